import KafkaProducer
import NIOCore
import Testing

/// `RoundRobinPartitioner` and the `ProducerPartitioner` front door.
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

    @Test func roundRobinStrategyIgnoresKeys() throws {
        let partitioner = ProducerPartitioner(strategy: .roundRobin)
        let topic = PartitionerTopicInfo.allAvailable("t", count: 3)
        let key = Array("same-key".utf8)
        let chosen = try (0..<4).map { _ in try partitioner.partition(topic: topic, key: key, value: nil) }
        #expect(chosen.map(\.partition) == [0, 1, 2, 0])
        #expect(chosen.allSatisfy { $0.source == .roundRobin })
        #expect(!partitioner.notifiesOnNewBatch)
    }

    // MARK: - Default strategy

    @Test func keyedRecordsHashOverAllPartitionsEvenUnavailableOnes() throws {
        let partitioner = ProducerPartitioner()
        // "21" hashes to partition 40 of 100; only partitions 0..<10 have a leader.
        let topic = PartitionerTopicInfo(topic: "t", partitionCount: 100, availablePartitions: (0..<10).map { $0 })
        let selection = try partitioner.partition(topic: topic, key: Array("21".utf8), value: [1])
        #expect(selection == PartitionSelection(partition: 40, source: .keyHash))
        // An empty key is a key: it hashes too.
        let empty = try partitioner.partition(topic: topic, key: [], value: nil)
        #expect(empty == PartitionSelection(partition: 81, source: .keyHash))
    }

    @Test func keyedAppendsDoNotMoveTheStickyPartition() throws {
        let partitioner = ProducerPartitioner(
            strategy: .default,
            configuration: .init(batchSize: 100),
            random: ScriptedRandom([0, 1])
        )
        let topic = PartitionerTopicInfo.allAvailable("t", count: 4)
        let unkeyed = try partitioner.partition(topic: topic, key: nil, value: [1])
        #expect(unkeyed == PartitionSelection(partition: 0, source: .sticky))
        // A keyed record that happens to land on the sticky partition is not counted.
        let keyed = PartitionSelection(partition: 0, source: .keyHash)
        partitioner.recordAppended(keyed, topic: "t", bytes: 500)
        #expect(partitioner.stickyTracker.currentPartition(topic: "t") == 0)
        partitioner.recordAppended(unkeyed, topic: "t", bytes: 100)
        #expect(partitioner.stickyTracker.currentPartition(topic: "t") == nil)
        #expect(try partitioner.partition(topic: topic, key: nil, value: nil).partition == 1)
    }

    @Test func ignoreKeysSendsKeyedRecordsToTheStickyPartition() throws {
        let partitioner = ProducerPartitioner(
            strategy: .default,
            configuration: .init(batchSize: 30, ignoreKeys: true),
            random: ScriptedRandom([2, 0])
        )
        let topic = PartitionerTopicInfo.allAvailable("t", count: 100)
        var chosen: [PartitionSelection] = []
        for index in 0..<4 {
            let selection = try partitioner.partition(topic: topic, key: Array("key-\(index)".utf8), value: nil)
            chosen.append(selection)
            partitioner.recordAppended(selection, topic: "t", bytes: 10)
        }
        #expect(chosen.allSatisfy { $0.source == .sticky })
        #expect(chosen.map(\.partition) == [2, 2, 2, 0])
    }

    // MARK: - Explicit partitions and errors

    @Test func explicitPartitionWinsOverKeyAndStrategy() throws {
        let topic = PartitionerTopicInfo(topic: "t", partitionCount: 5, availablePartitions: [0])
        let custom = RecordingPartitioner(answer: 1)
        for strategy in [PartitionerStrategy.default, .roundRobin, .custom(custom)] {
            let partitioner = ProducerPartitioner(strategy: strategy)
            let selection = try partitioner.partition(topic: topic, key: [1, 2], value: nil, explicitPartition: 4)
            #expect(selection == PartitionSelection(partition: 4, source: .explicit))
        }
        #expect(custom.calls.isEmpty)
    }

    @Test(arguments: [Int32(-1), 5, 6, Int32.max, Int32.min])
    func explicitPartitionOutOfRangeThrows(partition: Int32) {
        let partitioner = ProducerPartitioner()
        let topic = PartitionerTopicInfo.allAvailable("payments", count: 5)
        let error = #expect(throws: KafkaProducerPartitionError.self) {
            try partitioner.partition(topic: topic, key: nil, value: nil, explicitPartition: partition)
        }
        #expect(error == .invalidExplicitPartition(topic: "payments", partition: partition, partitionCount: 5))
        let message = error?.description ?? ""
        #expect(message.contains("payments"))
        #expect(message.contains("\(partition)"))
        #expect(message.contains("5"))
    }

    @Test func topicWithoutPartitionsThrows() {
        let topic = PartitionerTopicInfo(topic: "empty", partitionCount: 0, availablePartitions: [])
        for strategy in [PartitionerStrategy.default, .roundRobin, .custom(ConstantPartitioner(answer: 0))] {
            let partitioner = ProducerPartitioner(strategy: strategy)
            #expect(throws: KafkaProducerPartitionError.noPartitions(topic: "empty", partitionCount: 0)) {
                try partitioner.partition(topic: topic, key: [1], value: nil)
            }
            #expect(throws: KafkaProducerPartitionError.self) {
                try partitioner.partition(topic: topic, key: nil, value: nil, explicitPartition: 0)
            }
        }
    }

    // MARK: - Custom partitioners

    @Test func customPartitionerReceivesKeyAndValueEvenWithIgnoreKeys() throws {
        let custom = RecordingPartitioner(answer: 2)
        let partitioner = ProducerPartitioner(strategy: .custom(custom), configuration: .init(ignoreKeys: true))
        let topic = PartitionerTopicInfo.allAvailable("t", count: 3)
        let selection = try partitioner.partition(topic: topic, key: [7], value: [8, 9])
        #expect(selection == PartitionSelection(partition: 2, source: .custom))
        _ = try partitioner.partition(topic: topic, key: nil, value: nil)
        #expect(
            custom.calls == [
                .init(topic: "t", key: [7], value: [8, 9]),
                .init(topic: "t", key: nil, value: nil),
            ]
        )
        // Appends of custom-placed records never touch the sticky tracker.
        partitioner.recordAppended(selection, topic: "t", bytes: 1 << 30)
        #expect(partitioner.stickyTracker.currentPartition(topic: "t") == nil)
    }

    @Test(arguments: [Int32(-1), 3, 100])
    func customPartitionerOutOfRangeThrows(answer: Int32) {
        let partitioner = ProducerPartitioner(strategy: .custom(ConstantPartitioner(answer: answer)))
        let topic = PartitionerTopicInfo.allAvailable("clicks", count: 3)
        let error = #expect(throws: KafkaProducerPartitionError.self) {
            try partitioner.partition(topic: topic, key: nil, value: nil)
        }
        #expect(error == .invalidPartitionFromPartitioner(topic: "clicks", partition: answer, partitionCount: 3))
        #expect(error?.description.contains("clicks") == true)
        #expect(error?.description.contains("\(answer)") == true)
    }

    @Test func onNewBatchReachesOnlyCustomPartitioners() {
        let custom = RecordingPartitioner(answer: 0)
        let topic = PartitionerTopicInfo.allAvailable("t", count: 3)
        let partitioner = ProducerPartitioner(strategy: .custom(custom))
        #expect(partitioner.notifiesOnNewBatch)
        partitioner.onNewBatch(topic: topic, previousPartition: 2)
        #expect(custom.newBatches.map(\.topic) == ["t"])
        #expect(custom.newBatches.map(\.previousPartition) == [2])
        // The protocol's default onNewBatch is a no-op that can be called.
        ProducerPartitioner(strategy: .custom(ConstantPartitioner(answer: 0))).onNewBatch(
            topic: topic, previousPartition: 1)
        #expect(!ProducerPartitioner().notifiesOnNewBatch)
    }

    @Test func buffersArePartitionedLikeByteArrays() throws {
        let partitioner = ProducerPartitioner()
        let topic = PartitionerTopicInfo.allAvailable("t", count: 7)
        for key in ["", "a", "order-42", String(repeating: "k", count: 300)] {
            let bytes = Array(key.utf8)
            let fromArray = try partitioner.partition(topic: topic, key: bytes, value: nil)
            // A buffer whose readable bytes start after a prefix: only the readable bytes are hashed.
            var buffer = ByteBuffer(string: "prefix" + key)
            buffer.moveReaderIndex(forwardBy: 6)
            let fromBuffer = try partitioner.partition(topic: topic, keyBuffer: buffer, valueBuffer: nil)
            #expect(fromBuffer == fromArray)
            #expect(fromBuffer.source == .keyHash)
            #expect(fromBuffer.partition == Int32(Murmur2.partition(forKey: bytes, partitionCount: 7)))
        }
        let explicit = try partitioner.partition(
            topic: topic, keyBuffer: ByteBuffer(string: "k"), valueBuffer: nil, explicitPartition: 3)
        #expect(explicit == PartitionSelection(partition: 3, source: .explicit))
    }
}
