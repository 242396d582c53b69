import KafkaDevCluster
import KafkaProtocol
import Logging
import Testing

@testable import KafkaNetwork

/// Connection behaviour against a one-broker dev cluster's faults: garbage, oversized frames,
/// dropped answers, an old ApiVersions, no common version.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ConnectionFaultTests {
    /// The broker's address.
    static func address(_ broker: DevCluster) -> BrokerAddress {
        let first = broker.brokers.first
        return BrokerAddress(host: first?.host ?? "127.0.0.1", port: first?.port ?? 0)
    }

    static func client(_ broker: DevCluster, requestTimeout: Duration = .seconds(5)) throws -> KafkaClusterClient {
        var configuration = KafkaClientConfiguration(bootstrapServers: [address(broker)])
        configuration.requestTimeout = requestTimeout
        configuration.retryBackoff = .milliseconds(10)
        configuration.retryBackoffMax = .milliseconds(50)
        configuration.reconnectBackoff = .milliseconds(10)
        configuration.reconnectBackoffMax = .milliseconds(50)
        return try KafkaClusterClient(configuration: configuration)
    }

    /// One broker holding topic `t`, creating no topics on demand.
    static func broker(_ edit: (inout DevClusterConfiguration) -> Void = { _ in }) async throws -> DevCluster {
        var configuration = DevClusterConfiguration()
        configuration.autoCreateTopics = false
        configuration.topics = ["t": 1]
        edit(&configuration)
        return try await DevCluster(configuration: configuration)
    }

    @Test func sendsClientSoftwareNameAndVersion() async throws {
        let broker = try await Self.broker()
        let client = try Self.client(broker)
        _ = try await client.metadata(for: ["t"])
        let apiVersions = try #require(broker.receivedRequests.first { $0.apiKey == .apiVersions })
        #expect(apiVersions.version >= 3)
        #expect(apiVersions.clientSoftwareName == "swift-kafka")
        #expect(apiVersions.clientID == "swift-kafka")
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func fallsBackWhenTheBrokerRefusesApiVersionsV3() async throws {
        let broker = try await Self.broker { $0.apiVersions[.apiVersions] = 0...2 }
        let client = try Self.client(broker)
        _ = try await client.metadata(for: ["t"])
        let versions = broker.receivedRequests.filter { $0.apiKey == .apiVersions }.map(\.version)
        #expect(versions.count == 2)
        #expect((versions.last ?? 99) < 3)
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func noCommonVersionNamesTheAPI() async throws {
        let broker = try await Self.broker { $0.apiVersions[.metadata] = 50...60 }
        let client = try Self.client(broker)
        let error = try await #require(throws: KafkaNetworkError.self) { try await client.metadata(for: ["t"]) }
        #expect(error.kind == .unsupportedVersion)
        #expect(error.message.contains("Metadata"))
        #expect(error.message.contains("v50–v60"))
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func garbageClosesTheConnectionAndTheClientRecovers() async throws {
        let broker = try await Self.broker()
        let client = try Self.client(broker)
        _ = try await client.metadata(for: ["t"])
        broker.respondWithGarbage(count: 1)
        let error = try await #require(throws: KafkaNetworkError.self) {
            try await client.send(MetadataRequest(), to: .anyBroker, kind: .admin)
        }
        #expect(error.kind == .malformedResponse)
        #expect(error.isRetriable)
        // The process is alive and a new connection serves the next request.
        let response = try await client.send(MetadataRequest(), to: .anyBroker, kind: .admin)
        #expect(response.brokers.count == 1)
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func oversizedFrameClosesTheConnectionWithAClearError() async throws {
        let broker = try await Self.broker()
        let client = try Self.client(broker)
        _ = try await client.metadata(for: ["t"])
        broker.respondWithOversizedFrame(count: 1)
        let error = try await #require(throws: KafkaNetworkError.self) {
            try await client.send(MetadataRequest(), to: .anyBroker, kind: .admin)
        }
        #expect(error.kind == .frameTooLarge)
        let response = try await client.send(MetadataRequest(), to: .anyBroker, kind: .admin)
        #expect(response.brokers.count == 1)
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func retriesRecoverFromDroppedConnections() async throws {
        let broker = try await Self.broker()
        let client = try Self.client(broker)
        _ = try await client.metadata(for: ["t"])
        broker.closeConnection(count: 2)
        let response = try await client.sendWithRetries(MetadataRequest(), to: .anyBroker, kind: .admin)
        #expect(response.brokers.count == 1)
        #expect(broker.connectionCount >= 3)
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func unansweredRequestTimesOut() async throws {
        let broker = try await Self.broker()
        let client = try Self.client(broker, requestTimeout: .milliseconds(300))
        _ = try await client.metadata(for: ["t"])
        broker.dropResponses(count: 1)
        let error = try await #require(throws: KafkaNetworkError.self) {
            try await client.send(MetadataRequest(), to: .anyBroker, kind: .admin)
        }
        #expect(error.kind == .requestTimedOut)
        #expect(error.api == .metadata)
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func trafficKindsUseSeparateConnections() async throws {
        let broker = try await Self.broker()
        let client = try Self.client(broker)
        _ = try await client.metadata(for: ["t"])
        let admin = try await client.connection(to: .broker(1), kind: .admin)
        let produce = try await client.connection(to: .broker(1), kind: .produce)
        let group = try await client.connection(to: .broker(1), kind: .group)
        #expect(admin !== produce && produce !== group && admin !== group)
        #expect(try await client.connection(to: .broker(1), kind: .produce) === produce)
        // An unanswered request on the admin connection does not hold up the produce connection:
        // the produce request gets its answer while the admin request is still waiting for its own.
        broker.dropResponses(count: 1)
        let before = broker.receivedRequests.count
        let stuck = Task { try await admin.send(MetadataRequest(), timeout: .seconds(1)) }
        // Wait until the broker has the admin request (its answer is the one dropped), however loaded the machine.
        let deadline = ContinuousClock.now + .seconds(5)
        while broker.receivedRequests.count == before && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let answer = try await produce.send(MetadataRequest())
        #expect(answer.brokers.count == 1)
        let stuckError = await #expect(throws: KafkaNetworkError.self) { try await stuck.value }
        #expect(stuckError?.kind == .requestTimedOut)
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func cancellingAWaitingRequestKeepsTheConnectionUsable() async throws {
        let broker = try await Self.broker()
        let client = try Self.client(broker)
        let connection = try await client.connection(to: .anyBroker, kind: .admin)
        // Long enough that the answer cannot arrive before the cancellation, even on a loaded machine.
        broker.delayResponses(by: .seconds(2))
        let waiting = Task { try await connection.send(MetadataRequest()) }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        broker.delayResponses(by: .zero)
        // The late answer to the cancelled request is matched and dropped; the next one is ours.
        var request = MetadataRequest()
        request.topics = [.init(name: "t")]
        let response = try await connection.send(request)
        #expect(response.topics.map(\.name) == ["t"])
        #expect(connection.isActive)
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func concurrentRefreshesShareOneMetadataRequest() async throws {
        let broker = try await Self.broker()
        let client = try Self.client(broker)
        _ = try await client.metadata(for: ["t"])
        let before = broker.receivedRequests.filter { $0.apiKey == .metadata }.count
        broker.delayResponses(by: .milliseconds(200))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<25 { group.addTask { try await client.refreshMetadata() } }
            try await group.waitForAll()
        }
        let sent = broker.receivedRequests.filter { $0.apiKey == .metadata }.count - before
        #expect(sent >= 1)
        #expect(sent <= 2, "25 concurrent refreshes sent \(sent) Metadata requests")
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func metadataIsRefreshedAfterMaxAge() async throws {
        let broker = try await Self.broker()
        func metadataRequests() -> Int { broker.receivedRequests.filter { $0.apiKey == .metadata }.count }
        func client(maxAge: Duration) throws -> KafkaClusterClient {
            var configuration = KafkaClientConfiguration(bootstrapServers: [Self.address(broker)])
            configuration.metadataMaxAge = maxAge
            return try KafkaClusterClient(configuration: configuration)
        }
        // A long max age, so that a loaded machine (the whole suite runs in parallel) cannot expire it in between.
        let fresh = try client(maxAge: .seconds(60))
        _ = try await fresh.metadata(for: ["t"])
        _ = try await fresh.metadata(for: ["t"])
        #expect(metadataRequests() == 1, "a fresh cache answers without a request")
        await fresh.shutdown()

        let client = try client(maxAge: .milliseconds(200))
        _ = try await client.metadata(for: ["t"])
        #expect(metadataRequests() == 2)
        try await Task.sleep(for: .milliseconds(300))
        _ = try await client.metadata(for: ["t"])
        #expect(metadataRequests() == 3, "an expired cache is refreshed")

        let periodic = Task { await client.runPeriodicMetadataRefresh() }
        // Two more refreshes are due after 400 ms; a loaded machine gets up to 5 s before the test gives up.
        let deadline = ContinuousClock.now + .seconds(5)
        while metadataRequests() < 5 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        periodic.cancel()
        await periodic.value
        #expect(metadataRequests() >= 5, "the periodic refresh ran: \(metadataRequests())")
        await client.shutdown()
        await broker.shutdown()
    }
}
