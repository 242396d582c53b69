import KafkaNetwork
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// Long-polling fetches over a real socket, through this package's own client.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct FetchLongPollTests {

    /// Runs `body` against a one-broker cluster with topic `poll`, always shutting the cluster down.
    static func withCluster(
        _ body: (DevCluster, BrokerConnection, KafkaUUID) async throws -> Void
    ) async throws {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 1
        configuration.topics = ["poll": 1]
        try await DevClusterClientTests.withConnection(configuration) { cluster, connection in
            let id = try #require(cluster.core.state.withLockedValue { $0.cluster.topics["poll"]?.id })
            try await body(cluster, connection, id)
        }
    }

    static func request(_ id: KafkaUUID, maxWaitMs: Int32) -> FetchRequest {
        var request = FetchRequest()
        request.maxWaitMs = maxWaitMs
        request.minBytes = 1
        request.topics = [
            FetchRequest.FetchTopic(
                topic: "poll", topicId: id,
                partitions: [FetchRequest.FetchPartition(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])
        ]
        return request
    }

    @Test func aLongPollReturnsOnceDataIsAppended() async throws {
        try await Self.withCluster { cluster, connection, id in
            let clock = ContinuousClock()
            let start = clock.now
            // maxWait is far beyond any scheduling delay of a loaded machine: an answer well before it came
            // from the append, not from the deadline.
            let pending = try connection.write(Self.request(id, maxWaitMs: 60_000), timeout: .seconds(90))
            try await Task.sleep(for: .milliseconds(300))
            try cluster.core.mutate { try FetchFixtures.append(&$0, "poll", 0, records: 3) }
            let response = try await pending.response()
            let elapsed = start.duration(to: clock.now)
            #expect(elapsed >= .milliseconds(250))
            #expect(elapsed < .seconds(30))
            let partition = try #require(response.responses.first?.partitions.first)
            #expect(partition.errorCode == 0)
            #expect(partition.highWatermark == 3)
            #expect(try FetchFixtures.offsets(partition.records) == [0...2])
        }
    }

    @Test func aLongPollWithoutDataAnswersEmptyAtMaxWait() async throws {
        try await Self.withCluster { _, connection, id in
            let clock = ContinuousClock()
            let start = clock.now
            // Answered at maxWait, not held until the request's own timeout.
            let response = try await connection.send(Self.request(id, maxWaitMs: 300), timeout: .seconds(60))
            let elapsed = start.duration(to: clock.now)
            #expect(elapsed >= .milliseconds(250))
            #expect(elapsed < .seconds(30))
            let partition = try #require(response.responses.first?.partitions.first)
            #expect(partition.errorCode == 0)
            #expect(partition.records?.readableBytes ?? 0 == 0)
        }
    }
}
