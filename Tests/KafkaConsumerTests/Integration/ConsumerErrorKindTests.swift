import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Testing

/// Every public throwing API of the consumer throws ``KafkaConsumerError``: one test per kind that carries what
/// used to be thrown as another type (the fetch kinds and deserialization are covered by
/// `StandaloneConsumerTests.noResetPolicyFailsNamingThePartition` and
/// `ConsumerInterceptorTests`).
@Suite("Consumer errors are KafkaConsumerError", .timeLimit(.minutes(2)))
struct ConsumerErrorKindTests {
    /// A port nothing listens on: connections are refused at once.
    static let unreachable = "127.0.0.1:1"

    struct ListenerFailure: Error, CustomStringConvertible {
        var description: String { "the listener's own failure" }
    }

    /// Throws from `partitionsAssigned`.
    struct ThrowingListener: ConsumerRebalanceListener {
        func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {}
        func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {
            throw ListenerFailure()
        }
    }

    static func unreachableConsumer(_ properties: [String: String] = [:]) throws -> KafkaConsumer {
        var all = [
            "bootstrap.servers": unreachable, "request.timeout.ms": "1000", "retry.backoff.ms": "50",
            "reconnect.backoff.ms": "50", "socket.connection.setup.timeout.ms": "500",
        ]
        all.merge(properties) { $1 }
        return try KafkaConsumer(configuration: KafkaConsumerConfiguration(properties: all))
    }

    @Test("each error type the consumer meets maps to its kind; the original stays reachable")
    func wrappingKeepsWhatWasThrown() async {
        let fetch = ConsumerFetchError(.noResetPolicy, topic: "t", partition: 1, offset: 5)
        #expect(KafkaConsumerError(wrapping: fetch) == KafkaConsumerError(.fetch(fetch)))
        let broker = KafkaError(code: .groupAuthorizationFailed, api: .offsetCommit, topic: "t", partition: 0)
        #expect(KafkaConsumerError(wrapping: broker, groupId: "g") == KafkaConsumerError(.broker(broker), groupId: "g"))
        let network = KafkaNetworkError(.noBrokerAvailable, "no broker could be reached")
        #expect(KafkaConsumerError(wrapping: network) == KafkaConsumerError(.network(network)))
        #expect(KafkaConsumerError(wrapping: CancellationError()) == KafkaConsumerError(.cancelled))
        // A network failure met once the calling task is cancelled (a request cut short) is the cancellation.
        let cutShort = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return KafkaConsumerError(wrapping: network)
        }.value
        #expect(cutShort.kind == .cancelled && cutShort.underlying is KafkaNetworkError, "\(cutShort)")
        let closed = KafkaConsumerError(.closed)
        #expect(KafkaConsumerError(wrapping: closed) == closed)

        let other = KafkaConsumerError(wrapping: ListenerFailure())
        #expect(other.kind == .unexpected)
        #expect(other.underlying is ListenerFailure)
        #expect("\(other)" == "Unexpected error: the listener's own failure")

        // The underlying error takes part in equality by its description.
        let listener = KafkaConsumerError(
            .rebalanceListener("partitionsAssigned"), groupId: "g", underlying: ListenerFailure())
        #expect(
            listener
                == KafkaConsumerError(
                    .rebalanceListener("partitionsAssigned"), groupId: "g", underlying: ListenerFailure()))
        #expect(listener != KafkaConsumerError(.rebalanceListener("partitionsAssigned"), groupId: "g"))
        #expect(Set([listener, listener]).count == 1)
        #expect(
            "\(listener)" == "[group g] The rebalance listener's partitionsAssigned threw: the listener's own failure")
        #expect(!"\(KafkaConsumerError(.fetch(fetch)))".contains("\n"))
    }

    @Test("a poll cancelled while waiting throws .cancelled")
    func cancelledPoll() async throws {
        let consumer = try Self.unreachableConsumer()
        try consumer.assign([TopicPartition(topic: "t", partition: 0)])
        let poll = Task { try await consumer.poll(timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(300))
        poll.cancel()
        let result = await poll.result
        #expect(throws: KafkaConsumerError(.cancelled)) { try result.get() }
        await consumer.close()
    }

    @Test("partitionsFor against a cluster that cannot be reached throws .network")
    func unreachableClusterIsNetwork() async throws {
        let consumer = try Self.unreachableConsumer()
        do throws(KafkaConsumerError) {
            _ = try await consumer.partitionsFor(topic: "t")
            Issue.record("partitionsFor should fail")
        } catch {
            guard case .network(let cause) = error.kind else {
                Issue.record("expected .network, got \(error)")
                return
            }
            #expect(cause.kind == .noBrokerAvailable, "\(cause)")
            #expect(error.underlying == nil)
        }
        await consumer.close()
    }

    @Test("partitionsFor an unknown topic throws .broker with the broker's error")
    func unknownTopicIsBroker() async throws {
        try await ConsumerTests.withCluster(brokers: 1) { cluster in
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["allow.auto.create.topics": "false"], clientID: "error-kinds")
            await #expect(
                throws: KafkaConsumerError(
                    .broker(KafkaError(code: .unknownTopicOrPartition, api: .metadata, topic: "missing")))
            ) {
                _ = try await consumer.partitionsFor(topic: "missing")
            }
            await consumer.close()
        }
    }

    @Test("a rebalance listener that throws: poll throws .rebalanceListener with the listener's error")
    func throwingListenerIsWrapped() async throws {
        try await ConsumerTests.withCluster(brokers: 1) { cluster in
            let consumer = try ConsumerTests.makeConsumer(
                cluster,
                ["group.id": "throwing-listener", "heartbeat.interval.ms": "200", "enable.auto.commit": "false"],
                clientID: "error-kinds")
            try consumer.subscribe(topics: [ConsumerTests.topic], listener: ThrowingListener())
            var failure: KafkaConsumerError?
            let deadline = ContinuousClock.now + .seconds(60)
            while failure == nil, ContinuousClock.now < deadline {
                do throws(KafkaConsumerError) {
                    _ = try await consumer.poll(timeout: .milliseconds(500))
                } catch {
                    failure = error
                }
            }
            let error = try #require(failure)
            #expect(error.kind == .rebalanceListener("partitionsAssigned"), "\(error)")
            #expect(error.groupId == "throwing-listener")
            #expect(error.underlying is ListenerFailure)
            #expect("\(error)".contains("partitionsAssigned") && "\(error)".contains("the listener's own failure"))
            // The partitions were assigned all the same.
            #expect(consumer.assignment.count == Int(ConsumerTests.partitionCount))
            await consumer.close()
        }
    }
}
