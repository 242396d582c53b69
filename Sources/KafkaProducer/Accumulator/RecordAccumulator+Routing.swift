package import KafkaNetwork
package import KafkaProtocol
package import NIOCore

/// How the partition of a record appended with ``RecordAccumulator/appendRouted(topic:generation:rule:key:value:timestamp:headers:completion:random:now:admit:)``
/// is chosen, under the accumulator's lock, for every partitioner strategy (the Java client's accumulator does it
/// for its `BuiltInPartitioner`).
package enum PartitionRule: Sendable {
    /// The record names its partition (checked against the topic's partition count).
    case explicit(Int32)
    /// A keyed record: `toPositive(murmur2(key))`, taken modulo the partition count.
    case keyHash(Int32)
    /// The uniform sticky partitioner (KIP-794); `bytes` (the record's key and value sizes) count against the sticky
    /// partition.
    case sticky(bytes: Int)
    /// ``PartitionerStrategy/roundRobin``: the topic's available partitions in turn.
    case roundRobin
    /// A custom partitioner, asked with the record's key and value (its answer is checked against the topic).
    case custom(any KafkaPartitioner, key: ByteBuffer?, value: ByteBuffer?)
}

/// A topic's routing state inside the accumulator: the partitions as of a metadata generation, the sticky partition,
/// and the partitions' queues by index. Lock-confined (``LockConfined``).
///
/// One lookup of the topic (the previous record's topic is at hand) then gives the partition and its queue without
/// hashing a `TopicPartitionKey`, without a lock of its own, and without copying the topic's partitions out of a
/// cache: the send path's one lock.
final class TopicRoute<Completion: Sendable>: LockConfined<TopicRoute<Completion>.Fields> {
    struct Fields {
        var generation: UInt64
        var info: PartitionerTopicInfo
        /// `info.partitionCount`, read per record without copying `info`.
        var partitionCount: Int
        var sticky: StickyPartitioning.StickyChoice?
        /// The round-robin position (``PartitionRule/roundRobin``).
        var roundRobinCounter: Int32 = 0
        /// The queues of the partitions appended to so far, by partition: the same objects as the accumulator's map.
        var queues: [PartitionQueue<Completion>?]
    }

    init(info: PartitionerTopicInfo, generation: UInt64) {
        let count = max(info.partitionCount, 0)
        super.init(
            fields: Fields(
                generation: generation, info: info, partitionCount: count,
                queues: Array(repeating: nil, count: count)))
    }

    var generation: UInt64 { fields.generation }
    var info: PartitionerTopicInfo { fields.info }

    /// Takes newer partitions; the queues found so far stay (a topic's partitions are only ever added).
    func update(info: PartitionerTopicInfo, generation: UInt64) {
        fields.generation = generation
        fields.info = info
        let count = max(info.partitionCount, 0)
        fields.partitionCount = count
        if fields.queues.count < count {
            fields.queues.append(contentsOf: repeatElement(nil, count: count - fields.queues.count))
        } else if fields.queues.count > count {
            fields.queues.removeLast(fields.queues.count - count)
        }
    }

    /// Forgets the queues (the accumulator dropped them all, ``RecordAccumulator/abortAll()``).
    func forgetQueues() {
        for index in fields.queues.indices { fields.queues[index] = nil }
    }

    /// The partition for a record, per `rule`; with `adaptive`, a new sticky partition is chosen by
    /// ``loadStats()``.
    func partition(
        for rule: PartitionRule, batchSize: Int, adaptive: Bool, random: inout some RandomNumberGenerator
    ) throws(KafkaProducerPartitionError) -> Int32 {
        let partitionCount = fields.partitionCount
        switch rule {
        case .explicit(let partition):
            guard partition >= 0 && Int(partition) < partitionCount else {
                throw .invalidExplicitPartition(
                    topic: fields.info.topic, partition: partition, partitionCount: partitionCount)
            }
            return partition
        case .keyHash(let hash):
            guard partitionCount > 0 else {
                throw .noPartitions(topic: fields.info.topic, partitionCount: partitionCount)
            }
            return Int32(truncatingIfNeeded: Int(Murmur2.toPositive(hash)) % partitionCount)
        case .sticky(let bytes):
            guard partitionCount > 0 else {
                throw .noPartitions(topic: fields.info.topic, partitionCount: partitionCount)
            }
            // The choice is updated in a local copy: choosing anew reads `fields.info`, which must not overlap a
            // modification of `fields`.
            var sticky = fields.sticky
            let partition = StickyPartitioning.choose(
                &sticky, partitionCount: partitionCount, counting: .init(bytes: bytes, batchSize: batchSize)
            ) {
                StickyPartitioning.nextPartition(
                    random: &random, loadStats: adaptive ? loadStats() : nil, topic: fields.info)
            }
            fields.sticky = sticky
            return partition
        case .roundRobin:
            guard partitionCount > 0 else {
                throw .noPartitions(topic: fields.info.topic, partitionCount: partitionCount)
            }
            let position = Int(Murmur2.toPositive(fields.roundRobinCounter))
            fields.roundRobinCounter &+= 1
            let available = fields.info.availablePartitions
            if !available.isEmpty, fields.info.contains(partition: available[position % available.count]) {
                return available[position % available.count]
            }
            // No partition has a leader: give one anyway (its records wait until it has one).
            return Int32(position % partitionCount)
        case .custom(let partitioner, let key, let value):
            guard partitionCount > 0 else {
                throw .noPartitions(topic: fields.info.topic, partitionCount: partitionCount)
            }
            let chosen = partitioner.partition(
                topic: fields.info.topic, key: key.map { Array($0.readableBytesView) },
                value: value.map { Array($0.readableBytesView) }, cluster: fields.info)
            guard fields.info.contains(partition: chosen) else {
                throw .invalidPartitionFromPartitioner(
                    topic: fields.info.topic, partition: chosen, partitionCount: partitionCount)
            }
            return chosen
        }
    }

    /// Adaptive partitioning's input (KIP-794), as the Java client's accumulator computes it: the number of batches
    /// queued for each partition that has a leader. `nil` (uniform choice) when they are all equal.
    func loadStats() -> LoadStats? {
        let available = fields.info.availablePartitions
        guard available.count >= 2 else { return nil }
        var loads: [PartitionLoad] = []
        loads.reserveCapacity(available.count)
        // The ids come from a broker's metadata: one outside the topic is skipped, never indexed.
        for partition in available where fields.info.contains(partition: partition) {
            loads.append(PartitionLoad(partition: partition, queuedBatches: fields.queues[Int(partition)]?.count ?? 0))
        }
        return LoadStats(loads: loads, partitionCount: fields.partitionCount)
    }

    /// The partition's queue, found in (or added to) `all` the first time. `partition` is one of the topic's.
    func queue(
        _ partition: Int32, in all: inout RecentlyUsedDictionary<TopicPartitionKey, PartitionQueue<Completion>>
    ) -> PartitionQueue<Completion> {
        let index = Int(partition)
        if let queue = fields.queues[index] { return queue }
        let queue = all.value(for: TopicPartitionKey(topic: fields.info.topic, partition: partition)) {
            PartitionQueue()
        }
        fields.queues[index] = queue
        return queue
    }
}

extension RecordAccumulator {
    /// The outcome of ``RecordAccumulator/appendRouted(topic:generation:rule:key:value:timestamp:headers:completion:random:now:admit:)``.
    package enum RoutedAppend: Equatable {
        /// The record is in a batch.
        case appended(AppendResult, partition: Int32)
        /// No route for the topic at this metadata generation (or a later one): cache one (``RecordAccumulator/cacheRoute(topic:info:generation:)``)
        /// and append again.
        case unknownTopic
        /// The record needs a new batch of `target` bytes whose memory is not free now: append it to `partition`
        /// with the waiting ``RecordAccumulator/append(_:key:value:timestamp:headers:completion:maxBlock:now:)``.
        case needsMemory(partition: Int32, target: Int)
    }

    /// Caches the topic's partitions for ``appendRouted(topic:generation:rule:key:value:timestamp:headers:completion:random:now:admit:)``
    /// as of metadata `generation` (the sticky partition and the queues found so far stay).
    package func cacheRoute(topic: String, info: PartitionerTopicInfo, generation: UInt64) {
        state.withLockedValue { state in
            if let route = state.routes.value(for: topic) {
                // A slower task may bring older partitions than another cached already: the newest stay.
                if generation >= route.generation { route.update(info: info, generation: generation) }
            } else {
                state.routes.set(TopicRoute(info: info, generation: generation), for: topic)
            }
        }
    }

    /// The topic's cached partitions, when they were cached at metadata `generation` or later.
    func cachedTopicInfo(_ topic: String, generation: UInt64) -> PartitionerTopicInfo? {
        state.withLockedValue { state in
            guard let route = state.routes.value(for: topic), route.generation >= generation else { return nil }
            return route.info
        }
    }

    /// Runs `body` on the topic's route under the lock (for tests); `nil` without a route.
    func withRoute<T>(_ topic: String, _ body: (TopicRoute<Completion>) -> T) -> T? {
        state.withLockedValue { state in state.routes.value(for: topic).map(body) }
    }

    /// Chooses the record's partition per `rule` and appends the record, under one lock: to the partition's last
    /// batch, or to a new batch whose memory the pool has free right now. The producer's one send path.
    ///
    /// - Parameters:
    ///   - generation: the metadata generation the caller sees; a route cached at an older generation is not used.
    ///   - now: read only when a new batch is created.
    ///   - admit: called under the lock with the chosen partition before anything is appended (a transaction notes
    ///     the partition there); when it throws, nothing is appended. It must not call back into the accumulator:
    ///     the accumulator's lock comes before any lock it takes.
    /// - Throws: ``KafkaProducerPartitionError`` for an explicit partition the topic does not have; otherwise as
    ///   ``appendWithoutWaiting(_:key:value:timestamp:headers:completion:now:)``.
    package func appendRouted(
        topic: String, generation: UInt64, rule: PartitionRule, key: ByteBuffer?, value: ByteBuffer?,
        timestamp: Int64, headers: [RecordHeader], completion: Completion, random: inout some RandomNumberGenerator,
        now: @autoclosure () -> ContinuousClock.Instant, admit: ((TopicPartitionKey) throws -> Void)? = nil
    ) throws -> RoutedAppend {
        let (recordSize, batchBytes) = try sizes(key: key, value: value, headers: headers)
        let batchSize = configuration.batchSize
        // The closure below uses a local copy of the generator: ThreadSanitizer's instrumentation of a closure's
        // access to a captured inout parameter crashes (Tools/tsan.sh), and a generator is a few words at most.
        var generator = random
        defer { random = generator }
        let routed: RoutedAppend = try state.withLockedValue { state in
            guard !state.closed else { throw ProducerBufferError.closed }
            let route: TopicRoute<Completion>
            if let last = state.lastRoute, state.lastRouteTopic == topic {
                route = last
            } else {
                guard let found = state.routes.value(for: topic) else { return .unknownTopic }
                route = found
                state.lastRouteTopic = topic
                state.lastRoute = route
            }
            guard route.generation >= generation else { return .unknownTopic }
            // Chooses a partition, lets `admit` note it, and tries the partition's last batch; without room there,
            // also returns the size of the new batch the record needs.
            func chooseAndAppend() throws -> (partition: Int32, appended: AppendResult?, target: Int) {
                let partition = try route.partition(
                    for: rule, batchSize: batchSize, adaptive: configuration.adaptivePartitioning, random: &generator)
                try admit?(TopicPartitionKey(topic: topic, partition: partition))
                let queue = route.queue(partition, in: &state.queues)
                let appended = try self.appendToLast(
                    of: queue, key: key, value: value, timestamp: timestamp, headers: headers,
                    recordSize: recordSize, completion: completion)
                return (partition, appended, appended == nil ? self.nextBatchTarget(in: queue) : 0)
            }
            var choice = try chooseAndAppend()
            if choice.appended == nil, case .custom(let custom, _, _) = rule {
                // KIP-480: a custom partitioner learns that its partition needs a new batch, and chooses again.
                custom.onNewBatch(topic: topic, cluster: route.info, previousPartition: choice.partition)
                choice = try chooseAndAppend()
            }
            guard let result = choice.appended else {
                return .needsMemory(partition: choice.partition, target: choice.target)
            }
            return .appended(result, partition: choice.partition)
        }
        guard case .needsMemory(let partition, let target) = routed else { return routed }
        let reservation = newBatch(key: key, value: value, headers: headers, batchBytes: batchBytes, target: target)
        guard try pool.tryReserve(reservation.bytes) else { return routed }
        let result = try appendReserved(
            reservation, TopicPartitionKey(topic: topic, partition: partition), key: key, value: value,
            timestamp: timestamp, headers: headers, recordSize: recordSize, completion: completion, now: now())
        return .appended(result, partition: partition)
    }
}
