import Testing

@testable import KafkaProducer

/// The uniform sticky partitioner (KIP-794), `StickyPartitioning`, driven per topic as the accumulator's routes
/// drive it (`StickyTestTracker` below keeps the state a route keeps).
extension PartitionerTests {
    @Test func stickyStaysOnOnePartitionUntilBatchSizeBytesThenSwitches() {
        // Random values 0, 1, 2, ... pick available[0], then available[1], ...
        let tracker = StickyTestTracker(batchSize: 100, random: ScriptedRandom([0, 1, 2, 3]))
        let topic = PartitionerTopicInfo.allAvailable("orders", count: 4)
        #expect(tracker.currentPartition(topic: "orders") == nil)

        let first = tracker.partition(for: topic)
        #expect(first == 0)
        for _ in 0..<3 {  // 90 bytes: below batch.size
            #expect(tracker.partition(for: topic) == first)
            tracker.recordAppended(topic: "orders", partition: first, bytes: 30)
        }
        #expect(tracker.currentPartition(topic: "orders") == first)
        #expect(tracker.partition(for: topic) == first)
        tracker.recordAppended(topic: "orders", partition: first, bytes: 10)  // exactly 100 bytes: switch
        #expect(tracker.currentPartition(topic: "orders") == nil)

        let second = tracker.partition(for: topic)
        #expect(second == 1)
        // The new partition starts counting from zero.
        tracker.recordAppended(topic: "orders", partition: second, bytes: 99)
        #expect(tracker.partition(for: topic) == second)
        tracker.recordAppended(topic: "orders", partition: second, bytes: 1)
        #expect(tracker.partition(for: topic) == 2)
    }

    @Test func stickyWithoutSwitchPermissionWaitsForTwiceTheBatchSize() {
        let tracker = StickyTestTracker(batchSize: 100, random: ScriptedRandom([0, 1]))
        let topic = PartitionerTopicInfo.allAvailable("t", count: 2)
        let first = tracker.partition(for: topic)
        tracker.recordAppended(topic: "t", partition: first, bytes: 150, enableSwitch: false)
        #expect(tracker.currentPartition(topic: "t") == first)
        tracker.recordAppended(topic: "t", partition: first, bytes: 49, enableSwitch: false)
        #expect(tracker.currentPartition(topic: "t") == first)
        tracker.recordAppended(topic: "t", partition: first, bytes: 1, enableSwitch: false)  // 200 = 2 × batch.size
        #expect(tracker.currentPartition(topic: "t") == nil)
        #expect(tracker.partition(for: topic) == 1)
    }

    @Test func stickyIgnoresAppendsToOtherPartitionsAndNegativeSizes() {
        let tracker = StickyTestTracker(batchSize: 100, random: ScriptedRandom([2]))
        let topic = PartitionerTopicInfo.allAvailable("t", count: 4)
        #expect(tracker.partition(for: topic) == 2)
        tracker.recordAppended(topic: "t", partition: 3, bytes: 1_000)
        tracker.recordAppended(topic: "unknown", partition: 2, bytes: 1_000)
        tracker.recordAppended(topic: "t", partition: 2, bytes: -5_000)
        tracker.recordAppended(topic: "t", partition: 2, bytes: 99)
        #expect(tracker.currentPartition(topic: "t") == 2)
        tracker.recordAppended(topic: "t", partition: 2, bytes: Int.max)  // saturates, no trap
        #expect(tracker.currentPartition(topic: "t") == nil)
    }

    @Test func stickyWithZeroBatchSizeSwitchesAfterEveryRecord() {
        let tracker = StickyTestTracker(batchSize: -10, random: ScriptedRandom([0, 1, 2]))
        #expect(tracker.batchSize == 0)
        let topic = PartitionerTopicInfo.allAvailable("t", count: 3)
        var chosen: [Int32] = []
        for _ in 0..<6 {
            let partition = tracker.partition(for: topic)
            chosen.append(partition)
            tracker.recordAppended(topic: "t", partition: partition, bytes: 1)
        }
        #expect(chosen == [0, 1, 2, 0, 1, 2])
    }

    @Test func stickyChoosesOnlyAvailablePartitions() {
        let tracker = StickyTestTracker(batchSize: 10, random: SeededRandom(seed: 7))
        let available: [Int32] = [1, 4, 6]
        let topic = PartitionerTopicInfo(topic: "t", partitionCount: 8, availablePartitions: available)
        var seen: [Int32: Int] = [:]
        for _ in 0..<3_000 {
            let partition = tracker.partition(for: topic)
            seen[partition, default: 0] += 1
            tracker.recordAppended(topic: "t", partition: partition, bytes: 5)
        }
        #expect(Set(seen.keys) == Set(available))
    }

    @Test func stickySpreadsTrafficOverAllPartitionsOverTime() {
        let tracker = StickyTestTracker(batchSize: 1_000, random: SeededRandom(seed: 42))
        let topic = PartitionerTopicInfo.allAvailable("t", count: 12)
        var bytesPerPartition = [Int](repeating: 0, count: 12)
        var switches = 0
        var previous: Int32?
        for _ in 0..<24_000 {
            let partition = tracker.partition(for: topic)
            if let previous, previous != partition { switches += 1 }
            previous = partition
            bytesPerPartition[Int(partition)] += 100
            tracker.recordAppended(topic: "t", partition: partition, bytes: 100)
        }
        // 2,400,000 bytes in 1,000-byte stints: 2,400 choices, 200 per partition on average.
        let fairShare = 2_400_000 / 12
        for (partition, bytes) in bytesPerPartition.enumerated() {
            #expect(bytes > fairShare / 2, "partition \(partition) got \(bytes) bytes")
            #expect(bytes < fairShare * 2, "partition \(partition) got \(bytes) bytes")
            #expect(bytes % 1_000 == 0, "partition \(partition) got a partial stint")
        }
        #expect(switches > 2_000)
    }

    @Test func stickyFallsBackToAnyPartitionWhenNoneIsAvailable() {
        let tracker = StickyTestTracker(batchSize: 1, random: SeededRandom(seed: 3))
        let topic = PartitionerTopicInfo(topic: "t", partitionCount: 5, availablePartitions: [])
        var seen = Set<Int32>()
        for _ in 0..<500 {
            let partition = tracker.partition(for: topic)
            #expect((0..<5).contains(partition))
            seen.insert(partition)
            tracker.recordAppended(topic: "t", partition: partition, bytes: 1)
        }
        #expect(seen == [0, 1, 2, 3, 4])
    }

    @Test func stickyNeverReturnsAvailablePartitionsOutsideTheTopic() {
        // Inconsistent metadata: "available" partitions beyond the partition count fall back to the full range.
        let tracker = StickyTestTracker(batchSize: 1, random: ScriptedRandom([0, 1]))
        let topic = PartitionerTopicInfo(topic: "t", partitionCount: 3, availablePartitions: [7, -1])
        for _ in 0..<10 {
            let partition = tracker.partition(for: topic)
            #expect((0..<3).contains(partition))
            tracker.recordAppended(topic: "t", partition: partition, bytes: 1)
        }
        #expect(
            tracker.partition(for: PartitionerTopicInfo(topic: "t", partitionCount: 0, availablePartitions: [])) == -1)
    }

    @Test func stickyRechoosesWhenTheStickyPartitionNoLongerExists() {
        let tracker = StickyTestTracker(batchSize: 1_000, random: ScriptedRandom([5, 1]))
        #expect(tracker.partition(for: .allAvailable("t", count: 6)) == 5)
        #expect(tracker.partition(for: .allAvailable("t", count: 3)) == 1)
    }

    @Test func stickyKeepsOneStatePerTopic() {
        let tracker = StickyTestTracker(batchSize: 100, random: ScriptedRandom([0, 1, 2]))
        let a = PartitionerTopicInfo.allAvailable("a", count: 3)
        let b = PartitionerTopicInfo.allAvailable("b", count: 3)
        #expect(tracker.partition(for: a) == 0)
        #expect(tracker.partition(for: b) == 1)
        tracker.recordAppended(topic: "a", partition: 0, bytes: 100)
        #expect(tracker.currentPartition(topic: "a") == nil)
        #expect(tracker.currentPartition(topic: "b") == 1)
        #expect(tracker.partition(for: a) == 2)
        tracker.removeTopic("b")
        #expect(tracker.currentPartition(topic: "b") == nil)
        #expect(tracker.currentPartition(topic: "a") == 2)
    }

    @Test func adaptiveSwitchFavoursShorterQueues() {
        // Queue sizes 0, 3, 1 → weights 4, 1, 3 → running sums 4, 5, 8: values 0-3 pick partition 0,
        // 4 picks partition 1 and 5-7 pick partition 2 (values are taken modulo 8).
        let values: [UInt64] = [0, 3, 4, 5, 7, 8, 12, 13]
        let tracker = StickyTestTracker(batchSize: 1, random: ScriptedRandom(values))
        let topic = PartitionerTopicInfo.allAvailable("t", count: 3)
        tracker.updatePartitionLoadStats(
            topic: "t",
            loads: [
                PartitionLoad(partition: 0, queuedBatches: 0),
                PartitionLoad(partition: 1, queuedBatches: 3),
                PartitionLoad(partition: 2, queuedBatches: 1),
            ],
            partitionCount: 3
        )
        var chosen: [Int32] = []
        for _ in values {
            let partition = tracker.partition(for: topic)
            chosen.append(partition)
            tracker.recordAppended(topic: "t", partition: partition, bytes: 1)
        }
        #expect(chosen == [0, 0, 1, 2, 2, 0, 1, 2])
    }

    @Test func adaptiveStatsAreDroppedWhenUniformOrTrivial() {
        let values: [UInt64] = [0, 1, 2]
        let topic = PartitionerTopicInfo.allAvailable("t", count: 3)
        func choices(_ tracker: StickyTestTracker) -> [Int32] {
            values.map { _ in
                let partition = tracker.partition(for: topic)
                tracker.recordAppended(topic: "t", partition: partition, bytes: 1)
                return partition
            }
        }
        // Equal queues over every partition: uniform choice over the available list.
        let equal = StickyTestTracker(batchSize: 1, random: ScriptedRandom(values))
        equal.updatePartitionLoadStats(
            topic: "t",
            loads: (0..<3).map { PartitionLoad(partition: Int32($0), queuedBatches: 2) },
            partitionCount: 3
        )
        #expect(choices(equal) == [0, 1, 2])
        // Clearing the stats (empty loads) goes back to uniform too.
        let cleared = StickyTestTracker(batchSize: 1, random: ScriptedRandom(values))
        cleared.updatePartitionLoadStats(
            topic: "t", loads: [PartitionLoad(partition: 2, queuedBatches: 0)], partitionCount: 3)
        cleared.updatePartitionLoadStats(topic: "t", loads: [], partitionCount: 3)
        #expect(choices(cleared) == [0, 1, 2])
    }

    @Test func adaptiveWithExcludedPartitionsChoosesOnlyListedOnes() {
        // Partition 1 excluded (e.g. by partitioner.availability.timeout.ms): equal queues still restrict the choice.
        let tracker = StickyTestTracker(batchSize: 1, random: SeededRandom(seed: 11))
        tracker.updatePartitionLoadStats(
            topic: "t",
            loads: [PartitionLoad(partition: 0, queuedBatches: 4), PartitionLoad(partition: 2, queuedBatches: 4)],
            partitionCount: 3
        )
        let topic = PartitionerTopicInfo.allAvailable("t", count: 3)
        var seen = Set<Int32>()
        for _ in 0..<200 {
            let partition = tracker.partition(for: topic)
            seen.insert(partition)
            tracker.recordAppended(topic: "t", partition: partition, bytes: 1)
        }
        #expect(seen == [0, 2])
    }
}

/// The state the accumulator keeps per topic route (a sticky choice, here also load statistics), around the one
/// implementation in `StickyPartitioning`.
final class StickyTestTracker {
    let batchSize: Int
    private var random: any RandomNumberGenerator
    private var sticky: [String: StickyPartitioning.StickyChoice] = [:]
    private var loads: [String: LoadStats] = [:]

    init(batchSize: Int, random: some RandomNumberGenerator) {
        self.batchSize = max(0, batchSize)
        self.random = random
    }

    /// The sticky partition for the next unkeyed record, -1 for a topic without partitions.
    func partition(for topic: PartitionerTopicInfo) -> Int32 {
        choose(topic, counting: nil)
    }

    /// As `partition(for:)`, counting the record's bytes at once (the accumulator's way).
    func partition(for topic: PartitionerTopicInfo, countingBytes bytes: Int) -> Int32 {
        choose(topic, counting: .init(bytes: bytes, batchSize: batchSize))
    }

    private func choose(_ topic: PartitionerTopicInfo, counting: StickyPartitioning.Counting?) -> Int32 {
        guard topic.partitionCount > 0 else { return -1 }
        var choice = sticky[topic.topic]
        let stats = loads[topic.topic]
        let partition = StickyPartitioning.choose(&choice, partitionCount: topic.partitionCount, counting: counting) {
            StickyPartitioning.nextPartition(random: &random, loadStats: stats, topic: topic)
        }
        sticky[topic.topic] = choice
        return partition
    }

    func recordAppended(topic: String, partition: Int32, bytes: Int, enableSwitch: Bool = true) {
        let counting = StickyPartitioning.Counting(bytes: bytes, batchSize: batchSize)
        var choice = sticky[topic]
        choice.count(
            bytes: counting.bytes, appendedTo: partition, threshold: counting.threshold,
            hardThreshold: counting.hardThreshold, enableSwitch: enableSwitch)
        sticky[topic] = choice
    }

    func currentPartition(topic: String) -> Int32? { sticky[topic]?.partition }

    func updatePartitionLoadStats(topic: String, loads: [PartitionLoad], partitionCount: Int) {
        self.loads[topic] = LoadStats(loads: loads, partitionCount: partitionCount)
    }

    func removeTopic(_ topic: String) {
        sticky[topic] = nil
        loads[topic] = nil
    }
}
