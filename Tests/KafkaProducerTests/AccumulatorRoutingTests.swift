import KafkaNetwork
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaProducer

/// `RecordAccumulator.appendRouted`: the default partitioner's choice made under the accumulator's lock.
@Suite(.timeLimit(.minutes(5))) struct AccumulatorRoutingTests {
    let t0 = ContinuousClock.now
    let helpers = RecordAccumulatorTests()

    func info(_ topic: String = "t", partitions: Int) -> PartitionerTopicInfo {
        PartitionerTopicInfo(
            topic: topic, partitionCount: partitions, availablePartitions: (0..<Int32(partitions)).map { $0 })
    }

    /// Appends a record of `value` with `rule`; the completion is `id`.
    func route(
        _ accumulator: RecordAccumulator<Int>, _ rule: PartitionRule, id: Int, value: String = "v",
        topic: String = "t", generation: UInt64 = 1, random: inout some RandomNumberGenerator
    ) throws -> RecordAccumulator<Int>.RoutedAppend {
        try accumulator.appendRouted(
            topic: topic, generation: generation, rule: rule, key: nil, value: ByteBuffer(string: value),
            timestamp: 1_700_000_000_000, headers: [], completion: id, random: &random, now: t0)
    }

    func drainAll(_ accumulator: RecordAccumulator<Int>) -> [DrainedBatch<Int>] {
        var all: [DrainedBatch<Int>] = []
        accumulator.beginFlush()
        while true {
            let drained = accumulator.drain(nodes: [1], leaderOf: { _ in 1 }, maxRequestSize: 1 << 30, now: t0)
            let batches = drained.values.flatMap { $0 }
            if batches.isEmpty { break }
            all += batches
        }
        accumulator.endFlush()
        return all
    }

    @Test func withoutARouteTheTopicIsUnknownAndAnOlderRouteIsNotUsed() throws {
        let (accumulator, _) = helpers.makeAccumulator()
        var random = SeededRandom(seed: 1)
        #expect(try route(accumulator, .explicit(0), id: 0, random: &random) == .unknownTopic)
        accumulator.cacheRoute(topic: "t", info: info(partitions: 2), generation: 5)
        #expect(try route(accumulator, .explicit(0), id: 1, generation: 6, random: &random) == .unknownTopic)
        #expect(accumulator.cachedTopicInfo("t", generation: 6) == nil)
        // A route cached at a newer generation than the caller saw is fine.
        guard
            case .appended(let result, let partition) = try route(
                accumulator, .explicit(1), id: 2, generation: 4, random: &random)
        else {
            Issue.record("not appended")
            return
        }
        #expect(partition == 1)
        #expect(result.newBatchCreated)
        #expect(accumulator.cachedTopicInfo("t", generation: 5) == info(partitions: 2))
    }

    @Test func anOlderRouteDoesNotReplaceANewerOne() {
        let (accumulator, _) = helpers.makeAccumulator()
        accumulator.cacheRoute(topic: "t", info: info(partitions: 3), generation: 7)
        accumulator.cacheRoute(topic: "t", info: info(partitions: 2), generation: 6)
        #expect(accumulator.cachedTopicInfo("t", generation: 7)?.partitionCount == 3)
        accumulator.cacheRoute(topic: "t", info: info(partitions: 4), generation: 8)
        #expect(accumulator.cachedTopicInfo("t", generation: 8)?.partitionCount == 4)
    }

    @Test func anExplicitPartitionOutsideTheTopicIsRefusedAndNothingIsQueued() throws {
        let (accumulator, _) = helpers.makeAccumulator()
        accumulator.cacheRoute(topic: "t", info: info(partitions: 2), generation: 1)
        var random = SeededRandom(seed: 1)
        for partition: Int32 in [2, -1] {
            #expect(
                throws: KafkaProducerPartitionError.invalidExplicitPartition(
                    topic: "t", partition: partition, partitionCount: 2)
            ) {
                try route(accumulator, .explicit(partition), id: 0, random: &random)
            }
        }
        #expect(!accumulator.hasIncomplete)
    }

    @Test func keyedRecordsGoToTheJavaClientsPartition() throws {
        let (accumulator, _) = helpers.makeAccumulator()
        accumulator.cacheRoute(topic: "t", info: info(partitions: 7), generation: 1)
        var random = SeededRandom(seed: 1)
        for key in ["a", "order-42", "", "ü"] {
            let hash = Murmur2.hash(Array(key.utf8))
            let expected = Int32(Murmur2.partition(forKey: Array(key.utf8), partitionCount: 7))
            guard case .appended(_, let partition) = try route(accumulator, .keyHash(hash), id: 0, random: &random)
            else {
                Issue.record("not appended")
                continue
            }
            #expect(partition == expected, "key \(key)")
        }
    }

    @Test func theStickyPartitionHoldsForBatchSizeBytesThenSwitches() throws {
        let (accumulator, _) = helpers.makeAccumulator(batchSize: 1_000)
        accumulator.cacheRoute(topic: "t", info: info(partitions: 4), generation: 1)
        // Random values 1, 3: the first sticky partition is 1, the next 3.
        var random = ScriptedRandom([1, 3])
        var partitions: [Int32] = []
        for id in 0..<12 {
            guard
                case .appended(_, let partition) = try route(
                    accumulator, .sticky(bytes: 100), id: id, random: &random)
            else {
                Issue.record("not appended")
                return
            }
            partitions.append(partition)
        }
        // 10 records × 100 bytes reach batch.size: the 11th goes to the next sticky partition.
        #expect(partitions == Array(repeating: 1, count: 10) + [3, 3])
        let batches = drainAll(accumulator)
        let byPartition = Dictionary(grouping: batches, by: \.topicPartition.partition)
        #expect(byPartition[1]?.flatMap(\.completions) == Array(0..<10))
        #expect(byPartition[3]?.flatMap(\.completions) == [10, 11])
    }

    @Test func whenTheBufferIsExhaustedTheCallerIsToldWhichPartitionToWaitFor() throws {
        // Memory for one batch only: the second batch must wait.
        let (accumulator, pool) = helpers.makeAccumulator(batchSize: 200, memory: 200)
        accumulator.cacheRoute(topic: "t", info: info(partitions: 2), generation: 1)
        var random = SeededRandom(seed: 1)
        guard case .appended = try route(accumulator, .explicit(0), id: 0, random: &random) else {
            Issue.record("not appended")
            return
        }
        #expect(pool.availableMemory == 0)
        #expect(try route(accumulator, .explicit(1), id: 1, random: &random) == .needsMemory(partition: 1, target: 200))
        // Nothing was queued for the refused record.
        #expect(drainAll(accumulator).map(\.completions) == [[0]])
    }

    @Test func afterAbortAllTheRouteFindsNewQueues() throws {
        let (accumulator, _) = helpers.makeAccumulator()
        accumulator.cacheRoute(topic: "t", info: info(partitions: 2), generation: 1)
        var random = SeededRandom(seed: 1)
        _ = try route(accumulator, .explicit(1), id: 0, random: &random)
        #expect(accumulator.abortAll().map(\.completions) == [[0]])
        guard case .appended(let result, _) = try route(accumulator, .explicit(1), id: 1, random: &random) else {
            Issue.record("not appended")
            return
        }
        #expect(result.newBatchCreated)
        let batches = drainAll(accumulator)
        #expect(batches.map(\.completions) == [[1]])
        #expect(batches.first?.topicPartition == TopicPartitionKey(topic: "t", partition: 1))
    }

    @Test func moreListedPartitionsKeepTheQueuesFoundSoFar() throws {
        let (accumulator, _) = helpers.makeAccumulator()
        accumulator.cacheRoute(topic: "t", info: info(partitions: 2), generation: 1)
        var random = SeededRandom(seed: 1)
        _ = try route(accumulator, .explicit(1), id: 0, random: &random)
        #expect(throws: KafkaProducerPartitionError.self) {
            try route(accumulator, .explicit(3), id: 1, random: &random)
        }
        accumulator.cacheRoute(topic: "t", info: info(partitions: 4), generation: 2)
        guard case .appended(let same, _) = try route(accumulator, .explicit(1), id: 2, generation: 2, random: &random)
        else {
            Issue.record("not appended")
            return
        }
        #expect(!same.newBatchCreated)  // partition 1's open batch was found again
        guard
            case .appended(_, let partition) = try route(
                accumulator, .explicit(3), id: 3, generation: 2, random: &random)
        else {
            Issue.record("not appended")
            return
        }
        #expect(partition == 3)
        let completions = Dictionary(
            grouping: drainAll(accumulator), by: \.topicPartition.partition
        ).mapValues { $0.flatMap(\.completions) }
        #expect(completions == [1: [0, 2], 3: [3]])
    }

    @Test func aClosedAccumulatorRefusesRoutedAppends() {
        let (accumulator, _) = helpers.makeAccumulator()
        accumulator.cacheRoute(topic: "t", info: info(partitions: 2), generation: 1)
        accumulator.close()
        var random = SeededRandom(seed: 1)
        #expect(throws: ProducerBufferError.closed) {
            try route(accumulator, .sticky(bytes: 1), id: 0, random: &random)
        }
    }
}

/// Adaptive partitioning (KIP-794): a new sticky partition is chosen with weights from the partitions' queues.
@Suite(.timeLimit(.minutes(1))) struct AdaptivePartitioningTests {
    let routing = AccumulatorRoutingTests()

    /// Queues 5 batches on partition 0 of a 2-partition topic, then counts where 400 new sticky choices land (each
    /// sticky record fills `batch.size`, so every record chooses anew); partition 1's batch is drained after each
    /// record, so that the queues stay at 5 and 0 (weights 1 and 6, as in Java).
    func choicesOfPartition1(adaptive: Bool) throws -> Int {
        let (accumulator, _) = routing.helpers.makeAccumulator(
            batchSize: 100, memory: 1 << 24, adaptivePartitioning: adaptive)
        accumulator.cacheRoute(topic: "t", info: routing.info(partitions: 2), generation: 1)
        var random = SeededRandom(seed: 7)
        let filler = String(repeating: "x", count: 90)
        for id in 0..<5 {
            _ = try routing.route(accumulator, .explicit(0), id: id, value: filler, random: &random)
        }
        accumulator.beginFlush()
        defer { accumulator.endFlush() }
        var onPartition1 = 0
        for id in 0..<400 {
            guard
                case .appended(_, let partition) = try routing.route(
                    accumulator, .sticky(bytes: 100), id: 100 + id, value: "v", random: &random)
            else {
                Issue.record("not appended")
                return 0
            }
            if partition == 1 {
                onPartition1 += 1
                let drained = accumulator.drain(
                    nodes: [1], leaderOf: { $0.partition == 1 ? 1 : nil }, maxRequestSize: 1 << 30,
                    now: routing.t0)
                #expect(drained.values.joined().count == 1)
            }
        }
        return onPartition1
    }

    @Test func equalQueuesGiveNoLoadStats() throws {
        let (accumulator, _) = routing.helpers.makeAccumulator(batchSize: 100, adaptivePartitioning: true)
        accumulator.cacheRoute(topic: "t", info: routing.info(partitions: 3), generation: 1)
        var random = SeededRandom(seed: 1)
        for partition: Int32 in 0..<3 {
            _ = try routing.route(accumulator, .explicit(partition), id: Int(partition), random: &random)
        }
        let stats = accumulator.withRoute("t") { $0.loadStats() }
        #expect(stats == .some(nil), "every partition holds one batch: uniform")
        _ = try routing.route(
            accumulator, .explicit(0), id: 9, value: String(repeating: "x", count: 95), random: &random)
        let skewed = accumulator.withRoute("t") { $0.loadStats() }
        #expect(skewed??.partitions == [0, 1, 2])
        #expect(skewed??.cumulativeWeights == [1, 3, 5])
    }

    @Test func availablePartitionsOutsideTheTopicAreSkipped() throws {
        let (accumulator, _) = routing.helpers.makeAccumulator(batchSize: 100, adaptivePartitioning: true)
        // A broker's metadata named partitions the topic does not have: the weights ignore them.
        let info = PartitionerTopicInfo(topic: "t", partitionCount: 2, availablePartitions: [-1, 0, 1, 7])
        accumulator.cacheRoute(topic: "t", info: info, generation: 1)
        var random = SeededRandom(seed: 1)
        _ = try routing.route(accumulator, .explicit(0), id: 0, random: &random)
        let stats = accumulator.withRoute("t") { $0.loadStats() }
        #expect(stats??.partitions == [0, 1])
        #expect(stats??.cumulativeWeights == [1, 3])
    }
}
