import Foundation
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

/// The consumer with partitions assigned by the application, against the in-process dev cluster;
/// data is written by kcat (librdkafka), an independent producer.
@Suite("Standalone consumer on the dev cluster", .serialized, .timeLimit(.minutes(5)))
struct StandaloneConsumerTests {
    static let topic = ConsumerTests.topic
    static let allPartitions = ConsumerTests.allPartitions
    static let clientID = "standalone-test"

    @Test func earliestReadsEveryRecordOnceInOrder() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<300).map { "k\($0):v\($0)" }, codec: "lz4")
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest", "max.poll.records": "64"], clientID: Self.clientID)
            try consumer.assign(Self.allPartitions)
            let records = try await ConsumerTests.poll(consumer, until: 300)
            await consumer.close()
            try checkComplete(records, cluster: cluster, expected: (0..<300).map { "k\($0):v\($0)" })
        }
    }

    @Test func zstdCompressedRecords() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(
                cluster, (0..<500).map { "z\($0):\(String(repeating: "x", count: $0 % 50))" }, codec: "zstd")
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID)
            try consumer.assign(Self.allPartitions)
            let records = try await ConsumerTests.poll(consumer, until: 500)
            await consumer.close()
            try checkComplete(
                records, cluster: cluster,
                expected: (0..<500).map { "z\($0):\(String(repeating: "x", count: $0 % 50))" })
        }
    }

    @Test func latestSeesOnlyNewRecords() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<50).map { "old\($0):o" })
            let consumer = try ConsumerTests.makeConsumer(cluster, clientID: Self.clientID)  // auto.offset.reset defaults to latest
            try consumer.assign(Self.allPartitions)
            #expect(try await consumer.poll(timeout: .milliseconds(300)).isEmpty)
            for partition in Self.allPartitions {
                let end = try #require(cluster.highWatermark(topic: Self.topic, partition: partition.partition))
                #expect(try await consumer.position(partition) == end)
            }
            try await ConsumerTests.produce(cluster, (0..<20).map { "new\($0):n" })
            let records = try await ConsumerTests.poll(consumer, until: 20)
            await consumer.close()
            #expect(records.count == 20)
            #expect(records.allSatisfy { ConsumerTests.string($0.key).hasPrefix("new") })
        }
    }

    @Test func seekAndSeekToEnd() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<120).map { "k\($0):v\($0)" })
            let p0 = Self.allPartitions[0]
            let end = try #require(cluster.highWatermark(topic: Self.topic, partition: 0))
            try #require(end > 5)
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID)
            try consumer.assign([p0])
            try consumer.seek(p0, to: 5)
            let records = try await ConsumerTests.poll(consumer, until: Int(end - 5))
            #expect(records.map(\.offset) == Array(5..<end))
            try consumer.seek(p0, to: 2)
            let again = try await consumer.poll(timeout: .seconds(10))
            #expect(again.first?.offset == 2)
            try consumer.seekToEnd([p0])
            #expect(try await consumer.position(p0) == end)
            #expect(try await consumer.poll(timeout: .milliseconds(300)).isEmpty)
            try consumer.seekToBeginning([p0])
            #expect(try await consumer.position(p0) == 0)
            #expect(throws: KafkaConsumerError.self) {
                try consumer.seek(TopicPartition(topic: "other", partition: 0), to: 1)
            }
            await consumer.close()
        }
    }

    @Test func pauseAndResume() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<150).map { "k\($0):v\($0)" })
            let counts = Self.allPartitions.map {
                cluster.highWatermark(topic: Self.topic, partition: $0.partition) ?? 0
            }
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID)
            try consumer.assign(Self.allPartitions)
            try consumer.pause([Self.allPartitions[0]])
            #expect(consumer.paused == [Self.allPartitions[0]])
            let unpaused = Int(counts[1] + counts[2])
            let first = try await ConsumerTests.poll(consumer, until: unpaused)
            #expect(first.allSatisfy { $0.partition != 0 })
            #expect(try await consumer.poll(timeout: .milliseconds(300)).isEmpty)
            try consumer.resume([Self.allPartitions[0]])
            let rest = try await ConsumerTests.poll(consumer, until: Int(counts[0]))
            #expect(rest.allSatisfy { $0.partition == 0 } && rest.count == Int(counts[0]))
            await consumer.close()
        }
    }

    @Test func noResetPolicyFailsNamingThePartition() async throws {
        try await ConsumerTests.withCluster { cluster in
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "none"], clientID: Self.clientID)
            try consumer.assign([Self.allPartitions[1]])
            do throws(KafkaConsumerError) {
                _ = try await consumer.poll(timeout: .seconds(1))
                Issue.record("poll should fail")
            } catch {
                guard case .fetch(let error) = error.kind else {
                    Issue.record("expected a fetch error, got \(error)")
                    return
                }
                #expect(error.kind == .noResetPolicy && error.topic == Self.topic && error.partition == 1)
                #expect("\(error)".contains("t-1"))
            }
            await consumer.close()
        }
    }

    @Test func emptyPollReturnsAfterTheTimeout() async throws {
        try await ConsumerTests.withCluster { cluster in
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest", "fetch.max.wait.ms": "200"], clientID: Self.clientID)
            try consumer.assign(Self.allPartitions)
            let start = ContinuousClock.now
            let records = try await consumer.poll(timeout: .seconds(1))
            let elapsed = ContinuousClock.now - start
            #expect(records.isEmpty)
            #expect(elapsed >= .milliseconds(900))
            let task = Task { try await consumer.poll(timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            await #expect(throws: KafkaConsumerError(.cancelled)) { _ = try await task.value }
            await consumer.close()
        }
    }

    @Test func followsALeaderMovedMidConsumption() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<200).map { "a\($0):v" })
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest", "max.poll.records": "30"], clientID: Self.clientID)
            try consumer.assign(Self.allPartitions)
            var records = try await ConsumerTests.poll(consumer, until: 60)
            let leader = try #require(cluster.leader(topic: Self.topic, partition: 0))
            try cluster.moveLeader(topic: Self.topic, partition: 0, to: leader == 1 ? 2 : 1)
            try await ConsumerTests.produce(cluster, (0..<100).map { "b\($0):v" })
            records += try await ConsumerTests.poll(consumer, until: 240)
            await consumer.close()
            try checkComplete(
                records, cluster: cluster, expected: (0..<200).map { "a\($0):v" } + (0..<100).map { "b\($0):v" })
        }
    }

    @Test(arguments: ["earliest", "latest"])
    func offsetOutOfRangeResetsByPolicy(policy: String) async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<90).map { "k\($0):v" })
            let p0 = Self.allPartitions[0]
            let end = try #require(cluster.highWatermark(topic: Self.topic, partition: 0))
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": policy, "fetch.max.wait.ms": "100"], clientID: Self.clientID)
            try consumer.assign([p0])
            // A position past the log end: the broker answers OFFSET_OUT_OF_RANGE, the consumer resets.
            try consumer.seek(p0, to: end + 1_000)
            let records = try await ConsumerTests.poll(consumer, until: Int(end), timeout: .seconds(5))
            if policy == "earliest" {
                #expect(records.map(\.offset) == Array(0..<end))
            } else {
                #expect(records.isEmpty)
                #expect(try await consumer.position(p0) == end)
            }
            await consumer.close()
        }
    }

    @Test func twentyThousandRecordsInOrder() async throws {
        try await ConsumerTests.withCluster { cluster in
            let lines = (0..<20_000).map { "k\($0):value-\($0)" }
            try await ConsumerTests.produce(cluster, lines, codec: "lz4")
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID)
            try consumer.assign(Self.allPartitions)
            let records = try await ConsumerTests.poll(consumer, until: 20_000, timeout: .seconds(120))
            await consumer.close()
            try checkComplete(records, cluster: cluster, expected: lines)
        }
    }

    @Test func configurationErrorsNameTheProperty() throws {
        for (name, value) in [
            ("auto.offset.reset", "sometimes"), ("max.poll.records", "0"), ("isolation.level", "dirty"),
            ("fetch.max.wait.ms", "-1"), ("check.crcs", "maybe"),
        ] {
            do {
                _ = try KafkaConsumerConfiguration(properties: ["bootstrap.servers": "localhost:9092", name: value])
                Issue.record("\(name)=\(value) should be refused")
            } catch {
                #expect("\(error)".contains(name))
            }
        }
        let configuration = try KafkaConsumerConfiguration(properties: [
            "bootstrap.servers": "localhost:9092", "isolation.level": "read_committed", "max.poll.records": "7",
        ])
        #expect(configuration.isolationLevel == .readCommitted && configuration.maxPollRecords == 7)
        #expect(configuration.autoOffsetReset == .latest && configuration.fetchMaxBytes == 52_428_800)
    }

    // MARK: Helpers

    /// Every expected `key:value` line exactly once; per partition, offsets dense from 0 to the high watermark.
    private func checkComplete(_ records: [ConsumerRecord], cluster: DevCluster, expected: [String]) throws {
        let lines = records.map { "\(ConsumerTests.string($0.key)):\(ConsumerTests.string($0.value))" }
        #expect(lines.count == expected.count)
        #expect(Set(lines) == Set(expected))
        for partition in Self.allPartitions {
            let offsets = records.filter { $0.partition == partition.partition }.map(\.offset)
            let end = try #require(cluster.highWatermark(topic: Self.topic, partition: partition.partition))
            #expect(offsets == Array(0..<end), "partition \(partition.partition)")
        }
    }

}
