import Foundation
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

/// Commits without group membership (`group.id` with manual assignment) and lookups by time,
/// against the in-process dev cluster; data is written by kcat.
@Suite("Consumer commits and offsetsForTimes on the dev cluster", .serialized, .timeLimit(.minutes(5)))
struct ConsumerCommitTests {
    static let topic = ConsumerTests.topic
    static let allPartitions = ConsumerTests.allPartitions
    static let clientID = "commit-test"

    @Test func commitThenCommittedRoundTrip() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<30).map { "k\($0):v\($0)" })
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["group.id": "g-round-trip"], clientID: Self.clientID)
            let p0 = Self.allPartitions[0]
            let p1 = Self.allPartitions[1]
            let before = try await consumer.committed(Set(Self.allPartitions))
            #expect(before.count == 3)
            #expect(before.values.allSatisfy { $0 == nil })
            try await consumer.commit([
                p0: OffsetAndMetadata(offset: 3, metadata: "three"),
                p1: OffsetAndMetadata(offset: 1, leaderEpoch: 0),
            ])
            let after = try await consumer.committed(Set(Self.allPartitions))
            #expect(after[p0] == .some(OffsetAndMetadata(offset: 3, metadata: "three")))
            #expect(after[p1]??.offset == 1)
            #expect(after[p1]??.metadata == "")
            #expect(after[Self.allPartitions[2]] == .some(nil))
            await consumer.close()
        }
    }

    @Test func commitPositionsAfterPollAndResumeInSecondConsumer() async throws {
        try await ConsumerTests.withCluster { cluster in
            let lines = (0..<60).map { "k\($0):v\($0)" }
            try await ConsumerTests.produce(cluster, lines)
            let group = "g-positions"
            let first = try ConsumerTests.makeConsumer(
                cluster, ["group.id": group, "auto.offset.reset": "earliest", "max.poll.records": "20"],
                clientID: Self.clientID)
            try first.assign(Self.allPartitions)
            let firstRecords = try await first.poll(timeout: .seconds(10))
            try #require(!firstRecords.isEmpty && firstRecords.count <= 20)
            var positions: [TopicPartition: Int64] = [:]
            for partition in Self.allPartitions { positions[partition] = try await first.position(partition) }
            try await first.commit()
            let committed = try await first.committed(Set(Self.allPartitions))
            for partition in Self.allPartitions {
                #expect(committed[partition]??.offset == positions[partition], "\(partition)")
            }
            await first.close()

            // A second consumer of the group starts where the first committed, not at auto.offset.reset.
            let second = try ConsumerTests.makeConsumer(
                cluster, ["group.id": group, "auto.offset.reset": "earliest"], clientID: Self.clientID)
            try second.assign(Self.allPartitions)
            for partition in Self.allPartitions {
                #expect(try await second.position(partition) == positions[partition], "\(partition)")
            }
            let rest = try await ConsumerTests.poll(second, until: lines.count - firstRecords.count)
            await second.close()
            let all = (firstRecords + rest).map { "\(ConsumerTests.string($0.key)):\(ConsumerTests.string($0.value))" }
            #expect(all.count == lines.count)
            #expect(Set(all) == Set(lines))
        }
    }

    @Test func withoutGroupIdCommitsAreRefused() async throws {
        try await ConsumerTests.withCluster { cluster in
            let consumer = try ConsumerTests.makeConsumer(cluster, clientID: Self.clientID)
            let p0 = Self.allPartitions[0]
            try consumer.assign([p0])
            await #expect(throws: KafkaConsumerError(.noGroupId)) {
                try await consumer.commit([p0: OffsetAndMetadata(offset: 1)])
            }
            await #expect(throws: KafkaConsumerError(.noGroupId)) { try await consumer.commit() }
            await #expect(throws: KafkaConsumerError(.noGroupId)) { _ = try await consumer.committed([p0]) }
            #expect("\(KafkaConsumerError(.noGroupId))".contains("group.id"))
            await consumer.close()
        }
    }

    @Test func commitsFollowAMovedCoordinator() async throws {
        try await ConsumerTests.withCluster { cluster in
            let group = "g-moving"
            let p0 = Self.allPartitions[0]
            let consumer = try ConsumerTests.makeConsumer(cluster, ["group.id": group], clientID: Self.clientID)
            cluster.moveCoordinator(key: group, to: 0)
            try await consumer.commit([p0: OffsetAndMetadata(offset: 5)])
            cluster.moveCoordinator(key: group, to: 2)
            try await consumer.commit([p0: OffsetAndMetadata(offset: 7, metadata: "after move")])
            #expect(cluster.requestCount(.findCoordinator) >= 2)  // NOT_COORDINATOR made it look again
            let committed = try await consumer.committed([p0])
            #expect(committed[p0] == .some(OffsetAndMetadata(offset: 7, metadata: "after move")))
            cluster.moveCoordinator(key: group, to: 1)
            #expect(try await consumer.committed([p0])[p0]??.offset == 7)
            await consumer.close()
        }
    }

    @Test func offsetsForTimesFindsTheFirstRecordOfTheSecondBatch() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<30).map { "a\($0):first" })
            var firstEnds: [TopicPartition: Int64] = [:]
            for partition in Self.allPartitions {
                let end = try #require(cluster.highWatermark(topic: Self.topic, partition: partition.partition))
                firstEnds[partition] = end
            }
            try await Task.sleep(for: .milliseconds(50))
            let between = Int64(Date().timeIntervalSince1970 * 1000)
            try await Task.sleep(for: .milliseconds(50))
            try await ConsumerTests.produce(cluster, (0..<30).map { "b\($0):second" })
            let consumer = try ConsumerTests.makeConsumer(cluster, clientID: Self.clientID)
            var query: [TopicPartition: Int64] = [:]
            for partition in Self.allPartitions { query[partition] = between }
            let found = try await consumer.offsetsForTimes(query)
            #expect(found.count == 3)
            for partition in Self.allPartitions {
                let end = try #require(cluster.highWatermark(topic: Self.topic, partition: partition.partition))
                let firstEnd = try #require(firstEnds[partition])
                if end > firstEnd {
                    let entry = try #require(found[partition] ?? nil, "\(partition)")
                    #expect(entry.offset == firstEnd, "\(partition)")
                    #expect(entry.timestamp >= between)
                } else {
                    #expect(found[partition] ?? nil == nil, "\(partition)")
                }
            }
            // Nothing that late: nil.
            let future = try await consumer.offsetsForTimes([Self.allPartitions[0]: between + 3_600_000])
            #expect(future[Self.allPartitions[0]] != nil && (future[Self.allPartitions[0]] ?? nil) == nil)
            await #expect(throws: KafkaConsumerError(.negativeTimestamp(Self.allPartitions[0]))) {
                _ = try await consumer.offsetsForTimes([Self.allPartitions[0]: -1])
            }

            // seek(toTimestamp:) reads the second batch only.
            let p = try #require(
                Self.allPartitions.first {
                    (cluster.highWatermark(topic: Self.topic, partition: $0.partition) ?? 0) > (firstEnds[$0] ?? 0)
                })
            try consumer.assign([p])
            try await consumer.seek(p, toTimestamp: between)
            let records = try await consumer.poll(timeout: .seconds(10))
            #expect(records.first?.offset == firstEnds[p])
            #expect(records.allSatisfy { ConsumerTests.string($0.value) == "second" })
            await consumer.close()
        }
    }

    // MARK: Helpers

}
