import KafkaNetwork

/// The uniform sticky partitioner of KIP-794: the Java client's `BuiltInPartitioner` (3.3 and later), which places
/// records that have no key (or every record, with `partitioner.ignore.keys`).
///
/// For each topic it sticks to one partition until `batch.size` bytes have been appended to it, then switches to
/// another partition chosen at random among the topic's available partitions (all partitions when none is
/// available). Sticking fills batches, and switching by bytes rather than by batch spreads the data evenly
/// even when some brokers are slower than others — the problem KIP-794 fixed in KIP-480's original sticky
/// partitioner. Once `2 × batch.size` bytes went to it, the partition is left regardless. As in Java, the random
/// choice may land on the partition that was just left.
///
/// The state (a ``StickyChoice`` per topic) lives in the record accumulator's topic routes and is changed only under
/// the accumulator's lock (`RecordAccumulator+Routing.swift`); this is the one implementation of the choice.
///
/// Adaptive partitioning (`partitioner.adaptive.partitioning.enable`, on by default): ``nextPartition(random:loadStats:topic:)``
/// favours partitions with fewer queued batches, weighting each by `maxQueueSize + 1 − queueSize` as Java does. The
/// loads are read from the topic route's queues when a new partition is chosen (`TopicRoute.loadStats()`).
enum StickyPartitioning {
    /// The bytes of a record counted against the sticky partition as it is chosen, and the thresholds that end it.
    struct Counting {
        var bytes: Int
        var threshold: Int
        var hardThreshold: Int

        /// `bytes` against `batchSize` (soft) and `2 × batchSize` (hard); a negative `batchSize` counts as `0`.
        init(bytes: Int, batchSize: Int) {
            let batchSize = max(0, batchSize)
            self.bytes = bytes
            self.threshold = batchSize
            self.hardThreshold = StickyPartitioning.saturatingAdd(batchSize, batchSize)
        }
    }

    /// The sticky choice, on the state the caller keeps: keeps `sticky` when it is still one of the topic's
    /// `partitionCount` partitions, otherwise takes `next()`; then counts `counting`.
    static func choose(
        _ sticky: inout StickyChoice?, partitionCount: Int, counting: Counting?, next: () -> Int32
    ) -> Int32 {
        let partition: Int32
        if let current = sticky, current.partition >= 0 && Int(current.partition) < partitionCount {
            partition = current.partition
        } else {
            partition = next()
            sticky = StickyChoice(partition: partition, producedBytes: 0)
        }
        if let counting {
            sticky.count(
                bytes: counting.bytes, appendedTo: partition, threshold: counting.threshold,
                hardThreshold: counting.hardThreshold, enableSwitch: true)
        }
        return partition
    }

    // MARK: - Choosing

    static func nextPartition(
        random: inout some RandomNumberGenerator,
        loadStats: LoadStats?,
        topic: PartitionerTopicInfo
    ) -> Int32 {
        let value = random.next()
        if let loadStats, let weighted = loadStats.partition(forRandom: value), topic.contains(partition: weighted) {
            return weighted
        }
        let available = topic.availablePartitions
        if !available.isEmpty {
            let candidate = available[Int(value % UInt64(available.count))]
            if topic.contains(partition: candidate) { return candidate }
        }
        // No partition has a leader: pick any (the record waits in the accumulator until one does).
        let count = UInt64(min(topic.partitionCount, Int(Int32.max)))
        return Int32(truncatingIfNeeded: value % count)
    }

    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    /// A topic's sticky partition and the bytes appended to it since it was chosen.
    struct StickyChoice: Sendable {
        var partition: Int32
        var producedBytes: Int
    }
}

extension Optional where Wrapped == StickyPartitioning.StickyChoice {
    /// Counts `bytes` appended to `partition` against the sticky partition (appends to other partitions are
    /// ignored, as in Java), and drops the choice (`nil`: choose anew) once `threshold` bytes (with `enableSwitch`)
    /// or `hardThreshold` bytes were appended to it.
    mutating func count(bytes: Int, appendedTo partition: Int32, threshold: Int, hardThreshold: Int, enableSwitch: Bool)
    {
        guard let current = self, current.partition == partition else { return }
        let produced = StickyPartitioning.saturatingAdd(current.producedBytes, Swift.max(0, bytes))
        if (produced >= threshold && enableSwitch) || produced >= hardThreshold {
            self = nil
        } else {
            self = StickyPartitioning.StickyChoice(partition: partition, producedBytes: produced)
        }
    }
}

/// The number of batches queued for one partition, the input of adaptive partitioning
/// (``LoadStats``).
package struct PartitionLoad: Sendable, Hashable {
    /// The partition.
    package var partition: Int32
    /// The number of batches queued for it (negative values count as `0`).
    package var queuedBatches: Int

    /// Creates a partition's load.
    package init(partition: Int32, queuedBatches: Int) {
        self.partition = partition
        self.queuedBatches = queuedBatches
    }
}

/// A cumulative frequency table: a uniform random value in `0..<total` maps to partition `i` with probability
/// proportional to its weight.
struct LoadStats: Sendable, Hashable {
    /// Running sums of the weights, strictly increasing (every weight is at least 1).
    let cumulativeWeights: [Int]
    let partitions: [Int32]

    /// `nil` when uniform choice should be used instead: as in Java, when the topic has fewer than two partitions,
    /// when `loads` is empty, or when every partition is listed and all queues are equally long. Otherwise each
    /// listed partition gets weight `maxQueued + 1 − queued`.
    init?(loads: [PartitionLoad], partitionCount: Int) {
        guard partitionCount >= 2, let first = loads.first else { return nil }
        let sizes = loads.map { max(0, $0.queuedBatches) }
        let firstSize = max(0, first.queuedBatches)
        let allEqual = sizes.allSatisfy { $0 == firstSize }
        if allEqual && loads.count >= partitionCount { return nil }
        let ceiling = StickyPartitioning.saturatingAdd(sizes.max() ?? 0, 1)
        var running = 0
        var cumulative: [Int] = []
        cumulative.reserveCapacity(sizes.count)
        for size in sizes {
            // ceiling > size, so each weight is at least 1 and the running sum strictly increases until it saturates.
            running = StickyPartitioning.saturatingAdd(running, ceiling - size)
            cumulative.append(running)
        }
        self.cumulativeWeights = cumulative
        self.partitions = loads.map(\.partition)
    }

    /// The partition for a random value: the first entry whose running sum exceeds `random % total`.
    func partition(forRandom random: UInt64) -> Int32? {
        guard let total = cumulativeWeights.last, total > 0 else { return nil }
        let target = Int(random % UInt64(total))
        var low = 0
        var high = cumulativeWeights.count - 1
        while low < high {
            let middle = low + (high - low) / 2
            if cumulativeWeights[middle] > target {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return partitions[low]
    }
}
