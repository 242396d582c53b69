public import NIOCore

/// The producer's single entry point for choosing a record's partition, as the Java client's
/// `KafkaProducer.partition` does.
///
/// In order:
/// 1. An explicit partition on the record wins; it must lie in `0..<partitionCount`.
/// 2. A custom partitioner (``PartitionerStrategy/custom(_:)``) decides, and its answer is validated.
/// 3. ``PartitionerStrategy/roundRobin`` takes the next available partition in turn.
/// 4. ``PartitionerStrategy/default``: a keyed record goes to ``Murmur2/partition(forKey:partitionCount:)`` over
///    all partitions, unless ``Configuration/ignoreKeys`` is set; other records use the uniform sticky
///    partitioner (``StickyPartitionTracker``).
///
/// When a record placed by the sticky partitioner has been appended, report its size with
/// ``recordAppended(_:topic:bytes:enableSwitch:)`` so the partitioner knows when to switch.
public struct ProducerPartitioner: Sendable {
    /// The partitioning settings of the producer's configuration.
    public struct Configuration: Sendable, Hashable {
        /// `batch.size`: the bytes the sticky partitioner sends to one partition before switching. Default 16384.
        public var batchSize: Int
        /// `partitioner.ignore.keys`: place keyed records with the sticky partitioner too, instead of by key hash.
        /// Has no effect on ``PartitionerStrategy/roundRobin`` and custom partitioners. Default `false`.
        public var ignoreKeys: Bool

        /// Creates partitioning settings (the Java client's defaults unless given).
        public init(batchSize: Int = 16_384, ignoreKeys: Bool = false) {
            self.batchSize = batchSize
            self.ignoreKeys = ignoreKeys
        }
    }

    /// How records without an explicit partition are placed.
    public let strategy: PartitionerStrategy
    /// The partitioning settings.
    public let configuration: Configuration
    /// The sticky partitioner used by ``PartitionerStrategy/default`` for records without a key (or all records
    /// with ``Configuration/ignoreKeys``). Exposed so the accumulator can feed it queue sizes
    /// (``StickyPartitionTracker/updatePartitionLoadStats(topic:loads:partitionCount:)``).
    public let stickyTracker: StickyPartitionTracker
    private let roundRobin: RoundRobinPartitioner
    /// Whether ``strategy`` is ``PartitionerStrategy/default``, checked per record without copying the strategy (a
    /// custom partitioner's existential).
    private let isDefaultStrategy: Bool

    /// Creates the producer's partitioner, with the system's random number generator for sticky switches.
    public init(strategy: PartitionerStrategy = .default, configuration: Configuration = Configuration()) {
        self.init(strategy: strategy, configuration: configuration, random: SystemRandomNumberGenerator())
    }

    /// Creates the producer's partitioner with an injected random number generator (for deterministic tests).
    public init(
        strategy: PartitionerStrategy,
        configuration: Configuration,
        random: some RandomNumberGenerator & Sendable
    ) {
        self.strategy = strategy
        self.configuration = configuration
        self.stickyTracker = StickyPartitionTracker(batchSize: configuration.batchSize, random: random)
        self.roundRobin = RoundRobinPartitioner()
        self.isDefaultStrategy = strategy.isDefault
    }

    /// Chooses the partition for one record.
    ///
    /// - Parameters:
    ///   - topic: The record's topic and its partitions.
    ///   - key: The serialized key, or `nil` for a null key.
    ///   - value: The serialized value, or `nil` for a null value.
    ///   - explicitPartition: The partition set on the record, if any.
    /// - Returns: The partition and how it was chosen.
    /// - Throws: ``KafkaProducerPartitionError`` if the explicit partition is out of range, the topic has no
    ///   partitions, or a custom partitioner returned a partition out of range.
    public func partition(
        topic: PartitionerTopicInfo,
        key: [UInt8]?,
        value: [UInt8]?,
        explicitPartition: Int32? = nil
    ) throws(KafkaProducerPartitionError) -> PartitionSelection {
        try choose(topic: topic, key: key, value: { value }, explicitPartition: explicitPartition)
    }

    /// Chooses the partition for one record whose key and value are buffers: the key is hashed in place and
    /// copied into arrays only for a custom partitioner (the producer's per-record path).
    ///
    /// With `countingBytes`, a sticky choice counts the record's bytes at once (see
    /// ``StickyPartitionTracker/partition(for:countingBytes:)``): the caller then does not call
    /// ``recordAppended(_:topic:bytes:enableSwitch:)``.
    public func partition(
        topic: PartitionerTopicInfo,
        keyBuffer key: ByteBuffer?,
        valueBuffer value: ByteBuffer?,
        explicitPartition: Int32? = nil,
        countingBytes: Int? = nil
    ) throws(KafkaProducerPartitionError) -> PartitionSelection {
        try choose(
            topic: topic, key: key?.readableBytesView, value: { value.map { Array($0.readableBytesView) } },
            explicitPartition: explicitPartition, countingBytes: countingBytes)
    }

    private func choose<Key: Collection<UInt8>>(
        topic: PartitionerTopicInfo,
        key: Key?,
        value: () -> [UInt8]?,
        explicitPartition: Int32?,
        countingBytes: Int? = nil
    ) throws(KafkaProducerPartitionError) -> PartitionSelection {
        if let explicitPartition {
            guard topic.contains(partition: explicitPartition) else {
                throw .invalidExplicitPartition(
                    topic: topic.topic,
                    partition: explicitPartition,
                    partitionCount: topic.partitionCount
                )
            }
            return PartitionSelection(partition: explicitPartition, source: .explicit)
        }
        guard topic.partitionCount > 0 else {
            throw .noPartitions(topic: topic.topic, partitionCount: topic.partitionCount)
        }
        if isDefaultStrategy { return builtIn(topic: topic, key: key, countingBytes: countingBytes) }
        switch strategy {
        case .custom(let partitioner):
            let chosen = partitioner.partition(
                topic: topic.topic, key: key.map { Array($0) }, value: value(), cluster: topic)
            guard topic.contains(partition: chosen) else {
                throw .invalidPartitionFromPartitioner(
                    topic: topic.topic,
                    partition: chosen,
                    partitionCount: topic.partitionCount
                )
            }
            return PartitionSelection(partition: chosen, source: .custom)
        case .roundRobin:
            let chosen = roundRobin.partition(topic: topic.topic, key: nil, value: nil, cluster: topic)
            return PartitionSelection(partition: chosen, source: .roundRobin)
        case .default:
            return builtIn(topic: topic, key: key, countingBytes: countingBytes)
        }
    }

    /// The default strategy: murmur2 of the key, or the sticky partition for records without a key (or all
    /// records with `partitioner.ignore.keys`).
    private func builtIn<Key: Collection<UInt8>>(
        topic: PartitionerTopicInfo, key: Key?, countingBytes: Int?
    ) -> PartitionSelection {
        if let key, !configuration.ignoreKeys {
            let chosen = Murmur2.partition(forKey: key, partitionCount: topic.partitionCount)
            return PartitionSelection(partition: Int32(truncatingIfNeeded: chosen), source: .keyHash)
        }
        guard let countingBytes else {
            return PartitionSelection(partition: stickyTracker.partition(for: topic), source: .sticky)
        }
        return PartitionSelection(
            partition: stickyTracker.partition(for: topic, countingBytes: countingBytes), source: .sticky)
    }

    /// Reports that a record was appended to the partition `selection` chose, so the sticky partitioner can
    /// count bytes. Does nothing unless the selection came from the sticky partitioner.
    ///
    /// - Parameters:
    ///   - selection: What ``partition(topic:key:value:explicitPartition:)`` returned for the record.
    ///   - topic: The record's topic.
    ///   - bytes: The record's size in its batch.
    ///   - enableSwitch: Whether reaching `batch.size` may switch partitions (Java: every batch of the partition
    ///     is full). See ``StickyPartitionTracker/recordAppended(topic:partition:bytes:enableSwitch:)``.
    public func recordAppended(_ selection: PartitionSelection, topic: String, bytes: Int, enableSwitch: Bool = true) {
        guard selection.source == .sticky else { return }
        stickyTracker.recordAppended(
            topic: topic, partition: selection.partition, bytes: bytes, enableSwitch: enableSwitch)
    }

    /// Whether the accumulator should call ``onNewBatch(topic:previousPartition:)`` and partition the record again
    /// before starting a new batch (Java's `abortOnNewBatch`): true for a custom partitioner only.
    public var notifiesOnNewBatch: Bool {
        if case .custom = strategy { return true }
        return false
    }

    /// Forwards KIP-480's `onNewBatch` to a custom partitioner; the built-in strategies ignore it.
    public func onNewBatch(topic: PartitionerTopicInfo, previousPartition: Int32) {
        guard case .custom(let partitioner) = strategy else { return }
        partitioner.onNewBatch(topic: topic.topic, cluster: topic, previousPartition: previousPartition)
    }
}

/// The partition chosen for a record, and how.
public struct PartitionSelection: Sendable, Hashable {
    /// How a partition was chosen.
    public enum Source: Sendable, Hashable {
        /// The record named its partition.
        case explicit
        /// The default partitioner hashed the record's key with murmur2.
        case keyHash
        /// The uniform sticky partitioner chose it; report the appended bytes.
        case sticky
        /// The round-robin partitioner chose it.
        case roundRobin
        /// A custom partitioner chose it.
        case custom
    }

    /// The partition, in `0..<partitionCount`.
    public var partition: Int32
    /// How the partition was chosen.
    public var source: Source

    /// Creates a selection.
    public init(partition: Int32, source: Source) {
        self.partition = partition
        self.source = source
    }
}

/// Why a record could not be given a partition.
public enum KafkaProducerPartitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The record names a partition the topic does not have.
    case invalidExplicitPartition(topic: String, partition: Int32, partitionCount: Int)
    /// A custom partitioner returned a partition the topic does not have.
    case invalidPartitionFromPartitioner(topic: String, partition: Int32, partitionCount: Int)
    /// The topic's metadata lists no partitions.
    case noPartitions(topic: String, partitionCount: Int)

    /// A message naming the topic, the partition and the partition count.
    public var description: String {
        switch self {
        case .invalidExplicitPartition(let topic, let partition, let count):
            return "Invalid partition \(partition) given with record for topic '\(topic)': "
                + "it is not in the range [0...\(count)) of the topic's \(count) partition(s)"
        case .invalidPartitionFromPartitioner(let topic, let partition, let count):
            return "The custom partitioner returned partition \(partition) for topic '\(topic)', "
                + "which is not in the range [0...\(count)) of the topic's \(count) partition(s)"
        case .noPartitions(let topic, let count):
            return "Topic '\(topic)' has no partitions (partition count \(count)); cannot choose a partition"
        }
    }
}
