import KafkaNetwork
import NIOConcurrencyHelpers

/// The uniform sticky partitioner of KIP-794: the Java client's `BuiltInPartitioner` (3.3 and later), which places
/// records that have no key (or every record, with `partitioner.ignore.keys`).
///
/// For each topic it sticks to one partition until `batchSize` bytes have been appended to it, then switches to
/// another partition chosen at random among the topic's available partitions (all partitions when none is
/// available). Sticking fills batches, and switching by bytes rather than by batch spreads the data evenly
/// even when some brokers are slower than others — the problem KIP-794 fixed in KIP-480's original sticky
/// partitioner.
///
/// Usage by the record accumulator:
/// 1. ``partition(for:)`` returns the topic's current sticky partition (choosing one if needed).
/// 2. After appending the record, ``recordAppended(topic:partition:bytes:enableSwitch:)`` adds its size. Once the
///    partition has received `batchSize` bytes (and `enableSwitch` is true — Java passes "every batch of the
///    partition is full"), or `2 × batchSize` bytes regardless, the next ``partition(for:)`` picks a new one.
///    The switch is made lazily so that the new partition is chosen from the freshest topic information.
///    As in Java, the random choice may land on the partition that was just left.
///
/// Adaptive partitioning (`partitioner.adaptive.partitioning.enable`): by default the choice is uniform. An
/// accumulator that tracks queue depths can call ``updatePartitionLoadStats(topic:loads:partitionCount:)`` to make
/// the choice favour partitions with shorter queues, exactly as Java weights by `maxQueueSize + 1 − queueSize`.
/// Without those calls the tracker is the non-adaptive partitioner.
///
/// Thread-safe: all state sits behind one lock, and no call blocks or calls out while holding it.
public final class StickyPartitionTracker: Sendable {
    /// The number of bytes a sticky partition receives before the tracker switches (the producer's `batch.size`).
    public let batchSize: Int

    private let state: SpinningLockedValueBox<State>

    /// Creates a tracker that chooses partitions with the system's random number generator.
    ///
    /// - Parameter batchSize: The producer's `batch.size`. Negative values are treated as `0` (switch after every
    ///   record, as Java does with `batch.size=0`).
    public convenience init(batchSize: Int) {
        self.init(batchSize: batchSize, random: SystemRandomNumberGenerator())
    }

    /// Creates a tracker with an injected random number generator (for example a seeded one in tests).
    ///
    /// - Parameters:
    ///   - batchSize: The producer's `batch.size`. Negative values are treated as `0`.
    ///   - random: The source of randomness for choosing the next sticky partition.
    public init(batchSize: Int, random: some RandomNumberGenerator & Sendable) {
        self.batchSize = max(0, batchSize)
        self.state = SpinningLockedValueBox(State(random: random))
    }

    /// The partition the next record of `topic` without a key should go to.
    ///
    /// - Parameter topic: The topic's partitions.
    /// - Returns: The sticky partition, in `0..<topic.partitionCount`; `-1` (Java's `UNKNOWN_PARTITION`) if the
    ///   topic has no partitions.
    public func partition(for topic: PartitionerTopicInfo) -> Int32 {
        guard topic.partitionCount > 0 else { return -1 }
        return state.withLockedValue { state in
            Self.take(state.topic(topic.topic), random: &state.random, topic: topic, counting: nil)
        }
    }

    /// The partition the next record of `topic` without a key goes to, counting the record's `bytes` against it at
    /// once: ``partition(for:)`` and ``recordAppended(topic:partition:bytes:enableSwitch:)`` in one step (one lock,
    /// one lookup), for a caller that appends the record right away. The only difference: a record whose append then
    /// fails was counted anyway, which moves the next switch a little earlier.
    ///
    /// - Returns: as ``partition(for:)``.
    public func partition(for topic: PartitionerTopicInfo, countingBytes bytes: Int) -> Int32 {
        guard topic.partitionCount > 0 else { return -1 }
        let counting = Counting(bytes: bytes, batchSize: batchSize)
        return state.withLockedValue { state in
            Self.take(state.topic(topic.topic), random: &state.random, topic: topic, counting: counting)
        }
    }

    /// The topic's sticky partition, choosing one when there is none (or it is no longer available), counting
    /// `counting.bytes` against it when given.
    private static func take(
        _ topicState: TopicState, random: inout any RandomNumberGenerator & Sendable,
        topic: PartitionerTopicInfo, counting: Counting?
    ) -> Int32 {
        choose(&topicState.sticky, partitionCount: topic.partitionCount, counting: counting) {
            nextPartition(random: &random, loadStats: topicState.loadStats, topic: topic)
        }
    }

    /// The bytes of a record counted against the sticky partition as it is chosen, and the thresholds that end it.
    struct Counting {
        var bytes: Int
        var threshold: Int
        var hardThreshold: Int

        /// `bytes` against `batchSize` (soft) and `2 × batchSize` (hard), as ``partition(for:countingBytes:)`` counts.
        init(bytes: Int, batchSize: Int) {
            self.bytes = bytes
            self.threshold = batchSize
            self.hardThreshold = StickyPartitionTracker.saturatingAdd(batchSize, batchSize)
        }
    }

    /// The sticky choice itself, on state the caller keeps: the tracker's own topics, or the record accumulator's
    /// topic routes (which choose under the accumulator's lock, see `RecordAccumulator+Routing.swift`). Keeps
    /// `sticky` when it is still one of the topic's `partitionCount` partitions, otherwise takes `next()`; then
    /// counts `counting`.
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

    /// The topic's current sticky partition, or `nil` if none is chosen (never used, or due to switch).
    public func currentPartition(topic: String) -> Int32? {
        state.withLockedValue { $0.topics.value(for: topic)?.sticky?.partition }
    }

    /// Records that `bytes` were appended to `partition` of `topic` on behalf of the sticky partitioner.
    ///
    /// Appends to any partition other than the current sticky one (a record that raced with a switch) are
    /// ignored, as in Java.
    ///
    /// - Parameters:
    ///   - topic: The topic's name.
    ///   - partition: The partition the record was appended to.
    ///   - bytes: The record's size in the batch; negative values count as `0`.
    ///   - enableSwitch: Whether reaching `batchSize` may switch partitions. Java passes `true` only when every
    ///     batch queued for the partition is full; `2 × batchSize` bytes switch regardless.
    public func recordAppended(topic: String, partition: Int32, bytes: Int, enableSwitch: Bool = true) {
        let counting = Counting(bytes: bytes, batchSize: batchSize)
        state.withLockedValue { state in
            state.topics.value(for: topic)?.sticky.count(
                bytes: counting.bytes, appendedTo: partition, threshold: counting.threshold,
                hardThreshold: counting.hardThreshold, enableSwitch: enableSwitch)
        }
    }

    /// Makes the next switches for `topic` favour partitions with fewer queued batches (adaptive partitioning),
    /// or returns to uniform choice.
    ///
    /// Each eligible partition gets weight `maxQueued + 1 − queued`, so a partition with an empty queue is chosen
    /// more often than one with a long queue. As in Java, the weighting is dropped (uniform choice over the
    /// available partitions) when the topic has fewer than two partitions, when `loads` is empty, or when every
    /// partition is listed and all queues are equally long.
    ///
    /// - Parameters:
    ///   - topic: The topic's name.
    ///   - loads: The partitions new batches may go to (leader known, not excluded by
    ///     `partitioner.availability.timeout.ms`) and their queue lengths.
    ///   - partitionCount: The topic's total number of partitions.
    public func updatePartitionLoadStats(topic: String, loads: [PartitionLoad], partitionCount: Int) {
        let stats = LoadStats(loads: loads, partitionCount: partitionCount)
        state.withLockedValue { state in
            state.topic(topic).loadStats = stats
        }
    }

    /// Forgets everything about `topic` (its sticky partition and load statistics), for example when the producer
    /// stops tracking it.
    public func removeTopic(_ topic: String) {
        state.withLockedValue { $0.topics.removeValue(forKey: topic) }
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

    // MARK: - State

    private struct State: Sendable {
        var random: any RandomNumberGenerator & Sendable
        /// The topics' states, the previous call's at hand.
        var topics = RecentlyUsedDictionary<String, TopicState>()

        /// The topic's state, created empty the first time.
        mutating func topic(_ name: String) -> TopicState {
            topics.value(for: name) { TopicState() }
        }
    }

    /// A topic's sticky choice and load statistics. A reference type, updated where it is found; touched only under
    /// the tracker's lock, hence `@unchecked Sendable`.
    private final class TopicState: @unchecked Sendable {
        @exclusivity(unchecked) var sticky: StickyChoice?
        @exclusivity(unchecked) var loadStats: LoadStats?
    }

    /// A topic's sticky partition and the bytes appended to it since it was chosen.
    struct StickyChoice: Sendable {
        var partition: Int32
        var producedBytes: Int
    }
}

extension Optional where Wrapped == StickyPartitionTracker.StickyChoice {
    /// Counts `bytes` appended to `partition` against the sticky partition (appends to other partitions are
    /// ignored, as in Java), and drops the choice (`nil`: choose anew) once `threshold` bytes (with `enableSwitch`)
    /// or `hardThreshold` bytes were appended to it.
    mutating func count(bytes: Int, appendedTo partition: Int32, threshold: Int, hardThreshold: Int, enableSwitch: Bool)
    {
        guard let current = self, current.partition == partition else { return }
        let produced = StickyPartitionTracker.saturatingAdd(current.producedBytes, Swift.max(0, bytes))
        if (produced >= threshold && enableSwitch) || produced >= hardThreshold {
            self = nil
        } else {
            self = StickyPartitionTracker.StickyChoice(partition: partition, producedBytes: produced)
        }
    }
}

/// The number of batches queued for one partition, the input of adaptive partitioning
/// (``StickyPartitionTracker/updatePartitionLoadStats(topic:loads:partitionCount:)``).
public struct PartitionLoad: Sendable, Hashable {
    /// The partition.
    public var partition: Int32
    /// The number of batches queued for it (negative values count as `0`).
    public var queuedBatches: Int

    /// Creates a partition's load.
    public init(partition: Int32, queuedBatches: Int) {
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

    /// `nil` when uniform choice should be used instead (see the tracker's documentation).
    init?(loads: [PartitionLoad], partitionCount: Int) {
        guard partitionCount >= 2, let first = loads.first else { return nil }
        let sizes = loads.map { max(0, $0.queuedBatches) }
        let firstSize = max(0, first.queuedBatches)
        let allEqual = sizes.allSatisfy { $0 == firstSize }
        if allEqual && loads.count >= partitionCount { return nil }
        let ceiling = StickyPartitionTracker.saturatingAdd(sizes.max() ?? 0, 1)
        var running = 0
        var cumulative: [Int] = []
        cumulative.reserveCapacity(sizes.count)
        for size in sizes {
            // ceiling > size, so each weight is at least 1 and the running sum strictly increases until it saturates.
            running = StickyPartitionTracker.saturatingAdd(running, ceiling - size)
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
