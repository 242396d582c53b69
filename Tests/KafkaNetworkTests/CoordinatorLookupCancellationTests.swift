import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Testing

/// A coordinator lookup that keeps failing is retried for up to a minute; a caller that is cancelled meanwhile (a
/// consumer or producer closing) stops waiting at once, and callers sharing the lookup are not harmed.
@Suite(.timeLimit(.minutes(2))) struct CoordinatorLookupCancellationTests {
    static func client(_ cluster: MockKafkaCluster) throws -> KafkaClusterClient {
        var configuration = ClusterClientIntegrationTests.configuration(cluster)
        configuration.retries = 1_000
        configuration.retryBackoff = .milliseconds(200)
        configuration.retryBackoffMax = .milliseconds(200)
        return try KafkaClusterClient(configuration: configuration)
    }

    @Test func aCancelledCallerStopsWaitingWhileAnotherSharingTheLookupGetsTheCoordinator() async throws {
        let cluster = try MockKafkaCluster(brokers: 2)
        try cluster.setCoordinator(.group, key: "billing", broker: 2)
        let client = try Self.client(cluster)
        // About six seconds of COORDINATOR_NOT_AVAILABLE (200 ms apart), then the answer.
        cluster.pushRequestErrors(.findCoordinator, Array(repeating: .coordinatorNotAvailable, count: 30))
        let clock = ContinuousClock()
        let start = clock.now

        let patient = Task { try await client.coordinator(for: "billing", type: .group) }
        let cancelled = Task { try await client.coordinator(for: "billing", type: .group) }
        try await Task.sleep(for: .milliseconds(600))
        cancelled.cancel()
        let cancelledOutcome = await cancelled.result
        let cancelledAfter = start.duration(to: clock.now)
        #expect(throws: CancellationError.self) { try cancelledOutcome.get() }
        // The request in flight when it was cancelled is answered first; the lookup would go on for a minute.
        #expect(cancelledAfter < .seconds(20), "the cancelled caller waited \(cancelledAfter)")

        let coordinator = try await patient.value
        let patientAfter = start.duration(to: clock.now)
        #expect(coordinator.nodeID == 2)
        // The fault fired: the patient caller got its answer only after the errors (30 retries at 200 ms).
        #expect(patientAfter > .seconds(4), "the lookup failed for \(patientAfter) only")
        await client.shutdown()
    }

    @Test func aLoneCancelledCallerEndsTheLookupAndALaterCallStartsAFreshOne() async throws {
        let cluster = try MockKafkaCluster(brokers: 2)
        try cluster.setCoordinator(.group, key: "audit", broker: 1)
        let client = try Self.client(cluster)
        cluster.pushRequestErrors(.findCoordinator, Array(repeating: .coordinatorNotAvailable, count: 1_000))
        let clock = ContinuousClock()
        let start = clock.now
        let lookup = Task { try await client.coordinator(for: "audit", type: .group) }
        try await Task.sleep(for: .milliseconds(600))
        lookup.cancel()
        await #expect(throws: CancellationError.self) { try await lookup.value }
        #expect(start.duration(to: clock.now) < .seconds(20))
        // Without a caller the lookup stops: a later call is not handed the cancelled one.
        let later = Task { try await client.coordinator(for: "audit", type: .group) }
        try await Task.sleep(for: .milliseconds(600))
        later.cancel()
        await #expect(throws: CancellationError.self) { try await later.value }
        await client.shutdown()
    }
}
