import KafkaNetwork
import NIOCore
import Testing

@testable import KafkaProducer

/// `RoundRobinPartitioner`, and how the producer's one send path chooses partitions for every strategy: the rule
/// a record gets (`KafkaProducer.partitionRule`) and its choice inside the accumulator (`appendRouted`).
extension PartitionerTests {
    // MARK: - Round robin

    @Test func roundRobinCyclesOverAvailablePartitionsWhateverTheKey() {
        let partitioner = RoundRobinPartitioner()
        let topic = PartitionerTopicInfo(topic: "t", partitionCount: 6, availablePartitions: [0, 2, 5])
        let keys: [[UInt8]?] = [nil, [1], [1], [2, 3], nil, [1], [9]]
        let chosen = keys.map { partitioner.partition(topic: "t", key: $0, value: nil, cluster: topic) }
        #expect(chosen == [0, 2, 5, 0, 2, 5, 0])
    }

    @Test func roundRobinUsesAllPartitionsWhenNoneIsAvailable() {
        let partitioner = RoundRobinPartitioner()
        let topic = PartitionerTopicInfo(topic: "t", partitionCount: 3, availablePartitions: [])
        let chosen = (0..<7).map { _ in partitioner.partition(topic: "t", key: nil, value: nil, cluster: topic) }
        #expect(chosen == [0, 1, 2, 0, 1, 2, 0])
        let empty = PartitionerTopicInfo(topic: "t", partitionCount: 0, availablePartitions: [])
        #expect(partitioner.partition(topic: "t", key: nil, value: nil, cluster: empty) == -1)
    }

    @Test func roundRobinKeepsOneCounterPerTopic() {
        let partitioner = RoundRobinPartitioner()
        let a = PartitionerTopicInfo.allAvailable("a", count: 4)
        let b = PartitionerTopicInfo.allAvailable("b", count: 4)
        #expect(partitioner.partition(topic: "a", key: nil, value: nil, cluster: a) == 0)
        #expect(partitioner.partition(topic: "a", key: nil, value: nil, cluster: a) == 1)
        #expect(partitioner.partition(topic: "b", key: nil, value: nil, cluster: b) == 0)
        // onNewBatch does not skip a partition.
        partitioner.onNewBatch(topic: "a", cluster: a, previousPartition: 1)
        #expect(partitioner.partition(topic: "a", key: nil, value: nil, cluster: a) == 2)
        #expect(partitioner.partition(topic: "b", key: nil, value: nil, cluster: b) == 1)
    }

    @Test func roundRobinFollowsTheAvailableListAsItChanges() {
        let partitioner = RoundRobinPartitioner()
        let full = PartitionerTopicInfo.allAvailable("t", count: 4)
        let partial = PartitionerTopicInfo(topic: "t", partitionCount: 4, availablePartitions: [1, 3])
        #expect(partitioner.partition(topic: "t", key: nil, value: nil, cluster: full) == 0)  // counter 0
        #expect(partitioner.partition(topic: "t", key: nil, value: nil, cluster: partial) == 3)  // counter 1
        #expect(partitioner.partition(topic: "t", key: nil, value: nil, cluster: partial) == 1)  // counter 2
        #expect(partitioner.partition(topic: "t", key: nil, value: nil, cluster: full) == 3)  // counter 3
    }

    // MARK: - The send path's choice

    /// Appends records through `appendRouted`, as the producer does, and returns the chosen partitions.
    struct Route {
        let accumulator: RecordAccumulator<Int>
        var random: any RandomNumberGenerator = SeededRandom(seed: 5)
        var count = 0

        init(
            _ topic: PartitionerTopicInfo, batchSize: Int = 16_384,
            random: any RandomNumberGenerator = SeededRandom(seed: 5)
        ) {
            var configuration = RecordAccumulator<Int>.Configuration()
            configuration.batchSize = batchSize
            accumulator = RecordAccumulator(
                configuration: configuration, pool: BufferPool(totalMemory: 1 << 24, poolableSize: batchSize))
            accumulator.cacheRoute(topic: topic.topic, info: topic, generation: 1)
            self.random = random
        }

        mutating func partition(
            _ record: ProducerRecord, strategy: PartitionerStrategy = .default, ignoresKeys: Bool = false,
            admit: ((TopicPartitionKey) throws -> Void)? = nil
        ) throws -> Int32 {
            count += 1
            let rule = KafkaProducer.partitionRule(for: record, strategy: strategy, ignoresKeys: ignoresKeys)
            let routed = try accumulator.appendRouted(
                topic: record.topic, generation: 1, rule: rule, key: record.key, value: record.value,
                timestamp: 1_700_000_000_000, headers: [], completion: count, random: &random, now: .now,
                admit: admit)
            guard case .appended(_, let partition) = routed else {
                Issue.record("not appended: \(routed)")
                return -1
            }
            return partition
        }
    }

    func record(_ topic: String = "t", key: String? = nil, value: String? = "v", partition: Int32? = nil)
        -> ProducerRecord
    {
        ProducerRecord(
            topic: topic, partition: partition, key: key.map { ByteBuffer(string: $0) },
            value: value.map { ByteBuffer(string: $0) })
    }

    @Test func roundRobinStrategyIgnoresKeysAndSkipsUnavailablePartitions() throws {
        var route = Route(PartitionerTopicInfo(topic: "t", partitionCount: 4, availablePartitions: [0, 1, 3]))
        let chosen = try (0..<5).map { _ in try route.partition(record(key: "same-key"), strategy: .roundRobin) }
        #expect(chosen == [0, 1, 3, 0, 1])
    }

    @Test func keyedRecordsHashOverAllPartitionsEvenUnavailableOnes() throws {
        // "21" hashes to partition 40 of 100; only partitions 0..<10 have a leader.
        var route = Route(PartitionerTopicInfo(topic: "t", partitionCount: 100, availablePartitions: Array(0..<10)))
        #expect(try route.partition(record(key: "21")) == 40)
        // An empty key is a key: it hashes too.
        #expect(try route.partition(record(key: "")) == 81)
    }

    @Test func keyedRecordsDoNotMoveTheStickyPartition() throws {
        var route = Route(.allAvailable("t", count: 4), batchSize: 100, random: ScriptedRandom([0, 1]))
        #expect(try route.partition(record()) == 0)
        // A keyed record of many bytes that lands elsewhere is not counted against the sticky partition.
        _ = try route.partition(record(key: "21", value: String(repeating: "x", count: 500)))
        #expect(try route.partition(record()) == 0)
        // 100 bytes of unkeyed records reach batch.size: the next one goes to the next random partition.
        _ = try route.partition(record(value: String(repeating: "x", count: 100)))
        #expect(try route.partition(record()) == 1)
    }

    @Test func ignoreKeysSendsKeyedRecordsToTheStickyPartition() throws {
        var route = Route(.allAvailable("t", count: 100), batchSize: 30, random: ScriptedRandom([2, 0]))
        let chosen = try (0..<4).map {
            try route.partition(record(key: "key-\($0)", value: nil), ignoresKeys: true)
        }
        // Keyed records go to the sticky partition and count their key bytes: 4 × 5 = 20, below batch.size (30).
        #expect(chosen.allSatisfy { $0 == 2 })
        // One more 10-byte key reaches 30: the sticky partition moves on (to 0, the next scripted choice).
        let more = try (0..<2).map { _ in try route.partition(record(key: "0123456789", value: nil), ignoresKeys: true)
        }
        #expect(more == [2, 0])
    }

    @Test func explicitPartitionWinsOverKeyAndStrategy() throws {
        let custom = RecordingPartitioner(answer: 1)
        for strategy in [PartitionerStrategy.default, .roundRobin, .custom(custom)] {
            var route = Route(PartitionerTopicInfo(topic: "t", partitionCount: 5, availablePartitions: [0]))
            #expect(try route.partition(record(key: "k", partition: 4), strategy: strategy) == 4)
        }
        #expect(custom.calls.isEmpty)
    }

    @Test(arguments: [Int32(-1), 5, 6, Int32.max, Int32.min])
    func explicitPartitionOutOfRangeThrows(partition: Int32) {
        var route = Route(.allAvailable("payments", count: 5))
        let error = #expect(throws: KafkaProducerPartitionError.self) {
            try route.partition(record("payments", partition: partition))
        }
        #expect(error == .invalidExplicitPartition(topic: "payments", partition: partition, partitionCount: 5))
        let message = error?.description ?? ""
        #expect(message.contains("payments") && message.contains("\(partition)") && message.contains("5"))
        #expect(route.accumulator.lastBatchID == 0, "nothing was appended")
    }

    @Test func topicWithoutPartitionsThrows() {
        let topic = PartitionerTopicInfo(topic: "empty", partitionCount: 0, availablePartitions: [])
        for strategy in [PartitionerStrategy.default, .roundRobin, .custom(ConstantPartitioner(answer: 0))] {
            var route = Route(topic)
            #expect(throws: KafkaProducerPartitionError.noPartitions(topic: "empty", partitionCount: 0)) {
                try route.partition(record("empty", key: "k"), strategy: strategy)
            }
            #expect(throws: KafkaProducerPartitionError.self) {
                try route.partition(record("empty", partition: 0), strategy: strategy)
            }
        }
    }

    @Test func customPartitionerReceivesKeyAndValueEvenWithIgnoreKeys() throws {
        let custom = RecordingPartitioner(answer: 2)
        var route = Route(.allAvailable("t", count: 3))
        var keyBuffer = ByteBuffer(bytes: [0, 7])
        keyBuffer.moveReaderIndex(forwardBy: 1)  // only the readable bytes reach the partitioner
        let first = ProducerRecord(topic: "t", key: keyBuffer, value: ByteBuffer(bytes: [8, 9]))
        #expect(try route.partition(first, strategy: .custom(custom), ignoresKeys: true) == 2)
        #expect(try route.partition(record(value: nil), strategy: .custom(custom), ignoresKeys: true) == 2)
        #expect(
            custom.calls.prefix(1) + custom.calls.suffix(1) == [
                .init(topic: "t", key: [7], value: [8, 9]),
                .init(topic: "t", key: nil, value: nil),
            ])
    }

    @Test(arguments: [Int32(-1), 3, 100])
    func customPartitionerOutOfRangeThrows(answer: Int32) {
        var route = Route(.allAvailable("clicks", count: 3))
        let error = #expect(throws: KafkaProducerPartitionError.self) {
            try route.partition(record("clicks"), strategy: .custom(ConstantPartitioner(answer: answer)))
        }
        #expect(error == .invalidPartitionFromPartitioner(topic: "clicks", partition: answer, partitionCount: 3))
        #expect(error?.description.contains("clicks") == true)
    }

    @Test func aCustomPartitionerHearsOfEachNewBatchAndChoosesAgain() throws {
        let custom = RecordingPartitioner(answer: 1)
        var route = Route(.allAvailable("t", count: 3), batchSize: 200)
        // The first record needs a new batch: onNewBatch, then the partitioner is asked again (KIP-480).
        #expect(try route.partition(record(), strategy: .custom(custom)) == 1)
        #expect(custom.newBatches.map(\.previousPartition) == [1])
        #expect(custom.calls.count == 2)
        // The next records fit the batch: no new batch, one call each.
        _ = try route.partition(record(), strategy: .custom(custom))
        #expect(custom.newBatches.count == 1)
        #expect(custom.calls.count == 3)
    }

    @Test func aTransactionNotesThePartitionBeforeTheAppendAndCanRefuseIt() throws {
        var route = Route(.allAvailable("t", count: 3))
        var noted: [TopicPartitionKey] = []
        #expect(try route.partition(record(partition: 2), admit: { noted.append($0) }) == 2)
        #expect(noted == [TopicPartitionKey(topic: "t", partition: 2)])
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try route.partition(record(partition: 1), admit: { _ in throw Refused() })
        }
        route.accumulator.beginFlush()
        let drained = route.accumulator.drain(nodes: [1], leaderOf: { _ in 1 }, maxRequestSize: 1 << 20, now: .now)
        #expect(drained[1]?.map(\.topicPartition.partition) == [2], "the refused record was not appended")
    }

    @Test func concurrentSendsThroughTheOneLockLoseNothing() async throws {
        let route = Route(PartitionerTopicInfo(topic: "t", partitionCount: 8, availablePartitions: [0, 2, 3, 7]))
        let accumulator = route.accumulator
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    for index in 0..<500 {
                        let id = task * 1_000 + index
                        let key = index % 3 == 0 ? ByteBuffer(string: "k\(index)") : nil
                        let rule: PartitionRule =
                            key.map { .keyHash(Murmur2.hash($0.readableBytesView)) } ?? .sticky(bytes: 8)
                        _ = try accumulator.appendRouted(
                            topic: "t", generation: 1, rule: rule, key: key, value: ByteBuffer(string: "value-\(id)"),
                            timestamp: 1_700_000_000_000, headers: [], completion: id, random: &random, now: .now)
                    }
                }
            }
            try await group.waitForAll()
        }
        accumulator.beginFlush()
        var ids: [Int] = []
        var unkeyedPartitions = Set<Int32>()
        while let batches = accumulator.drain(nodes: [1], leaderOf: { _ in 1 }, maxRequestSize: 1 << 30, now: .now)[1],
            !batches.isEmpty
        {
            for batch in batches {
                ids += batch.completions
                if batch.completions.contains(where: { $0 % 1_000 % 3 != 0 }) {
                    unkeyedPartitions.insert(batch.topicPartition.partition)
                }
            }
        }
        let sent: [Int] = (0..<8).flatMap { (task: Int) -> [Int] in (0..<500).map { task * 1_000 + $0 } }
        #expect(ids.sorted() == sent)
        #expect(unkeyedPartitions.isSubset(of: [0, 2, 3, 7]))
    }
}
