/// The partitions assigned to the consumer and, per partition, where fetching continues.
///
/// A partition's life: assigned without a position (its committed offset is looked up; see
/// ``partitionsAwaitingPosition``), or with a pending reset (``requestReset(_:to:)``, resolved by a
/// ListOffsets request; see ``partitionsNeedingReset()``), then fetchable once it has a position and
/// is not paused. Fetched records advance the position (``updatePosition(_:to:)``); each fetch
/// response also records the partition's high watermark, last stable offset and log start offset
/// for ``lag(_:)``.
///
/// A plain value: the fetcher owns it and mutates it in response to events (Java's
/// `SubscriptionState`, without the locking).
struct SubscriptionState: Sendable {
    /// The state of one assigned partition.
    struct PartitionState: Sendable, Hashable {
        /// The next offset to fetch; `nil` until initialised from a committed offset or a reset.
        var position: FetchPosition?
        /// Paused by the application: keeps its position but is not fetched.
        var isPaused = false
        /// A reset waiting for a ListOffsets answer (takes precedence over ``position``).
        var pendingReset: OffsetResetTarget?
        /// A reset was needed but `auto.offset.reset` is `none`: the application must be told.
        var needsResetWithoutPolicy = false
        /// From the last fetch response.
        var highWatermark: Int64?
        /// From the last fetch response (read_committed lag uses it).
        var lastStableOffset: Int64?
        /// From the last fetch response.
        var logStartOffset: Int64?

        /// Whether the partition can be fetched now.
        var isFetchable: Bool { !isPaused && position != nil && pendingReset == nil && !needsResetWithoutPolicy }
    }

    /// An operation named a partition that is not assigned (Java's `IllegalStateException: No
    /// current assignment for partition`).
    struct NotAssignedError: Error, Hashable, CustomStringConvertible {
        var partition: TopicPartition
        var description: String { "No current assignment for partition \(partition)" }
    }

    /// `auto.offset.reset`.
    let defaultResetStrategy: OffsetResetStrategy
    /// `isolation.level`: chooses the end offset ``lag(_:)`` measures against.
    let isolationLevel: IsolationLevel
    /// The assigned partitions.
    private(set) var partitions: [TopicPartition: PartitionState] = [:]

    init(defaultResetStrategy: OffsetResetStrategy = .latest, isolationLevel: IsolationLevel = .readUncommitted) {
        self.defaultResetStrategy = defaultResetStrategy
        self.isolationLevel = isolationLevel
    }

    /// The assigned partitions, sorted.
    var assignedPartitions: [TopicPartition] { partitions.keys.sorted() }

    /// Whether `partition` is assigned.
    func isAssigned(_ partition: TopicPartition) -> Bool { partitions[partition] != nil }

    /// The state of `partition`, if assigned.
    subscript(_ partition: TopicPartition) -> PartitionState? { partitions[partition] }

    /// Replaces the assignment. Partitions kept keep their position, pause flag and pending reset;
    /// new ones start without a position; the others are dropped.
    mutating func assign(_ assignment: some Sequence<TopicPartition>) {
        var next: [TopicPartition: PartitionState] = [:]
        for partition in assignment { next[partition] = partitions[partition] ?? PartitionState() }
        partitions = next
    }

    /// Sets the next offset to fetch, cancelling any pending reset.
    mutating func seek(_ partition: TopicPartition, to offset: Int64, leaderEpoch: Int32? = nil)
        throws(NotAssignedError)
    {
        try modify(partition) { state in
            state.position = FetchPosition(offset: offset, leaderEpoch: leaderEpoch)
            state.pendingReset = nil
            state.needsResetWithoutPolicy = false
        }
    }

    /// Moves the partitions to their first offset (resolved by the fetcher's ListOffsets request).
    mutating func seekToBeginning(_ partitions: some Sequence<TopicPartition>) throws(NotAssignedError) {
        for partition in partitions { try requestReset(partition, to: .earliest) }
    }

    /// Moves the partitions to their end offset (resolved by the fetcher's ListOffsets request).
    mutating func seekToEnd(_ partitions: some Sequence<TopicPartition>) throws(NotAssignedError) {
        for partition in partitions { try requestReset(partition, to: .latest) }
    }

    /// Marks `partition` for a reset to `target`; until resolved, it is not fetched.
    mutating func requestReset(_ partition: TopicPartition, to target: OffsetResetTarget) throws(NotAssignedError) {
        try modify(partition) { state in
            state.pendingReset = target
            state.needsResetWithoutPolicy = false
        }
    }

    /// Marks `partition` for a reset by `auto.offset.reset` (no committed offset, or
    /// OFFSET_OUT_OF_RANGE). With the `none` strategy it is reported by
    /// ``partitionsNeedingReset()`` for the application to handle.
    mutating func requestReset(_ partition: TopicPartition) throws(NotAssignedError) {
        switch defaultResetStrategy {
        case .earliest: try requestReset(partition, to: .earliest)
        case .latest: try requestReset(partition, to: .latest)
        case .none:
            try modify(partition) { state in
                state.pendingReset = nil
                state.needsResetWithoutPolicy = true
            }
        }
    }

    /// The partitions waiting for a reset, with their target, and those that need one but have no
    /// reset policy (the application gets an error naming them). Paused partitions are included:
    /// Java resets them too.
    func partitionsNeedingReset() -> (resets: [(TopicPartition, OffsetResetTarget)], withoutPolicy: [TopicPartition]) {
        var resets: [(TopicPartition, OffsetResetTarget)] = []
        var withoutPolicy: [TopicPartition] = []
        for partition in assignedPartitions {
            guard let state = partitions[partition] else { continue }
            if let target = state.pendingReset {
                resets.append((partition, target))
            } else if state.needsResetWithoutPolicy {
                withoutPolicy.append(partition)
            }
        }
        return (resets, withoutPolicy)
    }

    /// Completes a reset with the offset a ListOffsets request found. Ignored (returns `false`)
    /// when the partition was unassigned, sought elsewhere or re-reset to another target meanwhile.
    @discardableResult
    mutating func completeReset(
        _ partition: TopicPartition, requested target: OffsetResetTarget, offset: Int64, leaderEpoch: Int32? = nil
    ) -> Bool {
        guard var state = partitions[partition], state.pendingReset == target else { return false }
        state.pendingReset = nil
        state.position = FetchPosition(offset: offset, leaderEpoch: leaderEpoch)
        partitions[partition] = state
        return true
    }

    /// Assigned partitions with neither a position nor a pending reset: their committed offsets are
    /// looked up (and reset with ``requestReset(_:)`` when there is none).
    var partitionsAwaitingPosition: [TopicPartition] {
        assignedPartitions.filter {
            guard let state = partitions[$0] else { return false }
            return state.position == nil && state.pendingReset == nil && !state.needsResetWithoutPolicy
        }
    }

    /// Stops fetching `partitions` (their positions are kept).
    mutating func pause(_ partitions: some Sequence<TopicPartition>) throws(NotAssignedError) {
        for partition in partitions { try modify(partition) { $0.isPaused = true } }
    }

    /// Resumes fetching `partitions`.
    mutating func resume(_ partitions: some Sequence<TopicPartition>) throws(NotAssignedError) {
        for partition in partitions { try modify(partition) { $0.isPaused = false } }
    }

    /// Whether `partition` is paused.
    func isPaused(_ partition: TopicPartition) -> Bool { partitions[partition]?.isPaused ?? false }

    /// The paused partitions, sorted.
    var pausedPartitions: [TopicPartition] { assignedPartitions.filter { partitions[$0]?.isPaused == true } }

    /// The position of `partition`, if assigned and known.
    func position(_ partition: TopicPartition) -> FetchPosition? { partitions[partition]?.position }

    /// Whether `partition` is assigned, not paused and has a valid position.
    func isFetchable(_ partition: TopicPartition) -> Bool { partitions[partition]?.isFetchable ?? false }

    /// The fetchable partitions with their positions, sorted.
    var fetchablePartitions: [(TopicPartition, FetchPosition)] {
        assignedPartitions.compactMap { partition in
            guard let state = partitions[partition], state.isFetchable, let position = state.position else {
                return nil
            }
            return (partition, position)
        }
    }

    /// Advances the position after records were handed to the application (or control batches and
    /// aborted transactions skipped). Ignored (returns `false`) when the partition is no longer
    /// assigned, or is awaiting a reset: a seek or reset during the fetch wins.
    @discardableResult
    mutating func updatePosition(_ partition: TopicPartition, to position: FetchPosition) -> Bool {
        guard var state = partitions[partition], state.pendingReset == nil, !state.needsResetWithoutPolicy else {
            return false
        }
        state.position = position
        partitions[partition] = state
        return true
    }

    /// Records the offsets a fetch response reported (negative values mean unknown and are ignored).
    mutating func updateFetchMetadata(
        _ partition: TopicPartition, highWatermark: Int64?, lastStableOffset: Int64?, logStartOffset: Int64?
    ) {
        guard var state = partitions[partition] else { return }
        if let highWatermark, highWatermark >= 0 { state.highWatermark = highWatermark }
        if let lastStableOffset, lastStableOffset >= 0 { state.lastStableOffset = lastStableOffset }
        if let logStartOffset, logStartOffset >= 0 { state.logStartOffset = logStartOffset }
        partitions[partition] = state
    }

    /// Records behind the end of the partition: the high watermark (read_uncommitted) or last
    /// stable offset (read_committed) minus the position; `nil` when either is unknown. Never
    /// negative.
    func lag(_ partition: TopicPartition) -> Int64? {
        guard let state = partitions[partition], let position = state.position else { return nil }
        let end = isolationLevel == .readCommitted ? state.lastStableOffset : state.highWatermark
        guard let end else { return nil }
        let lag = end.subtractingReportingOverflow(position.offset)
        return lag.overflow ? nil : max(0, lag.partialValue)
    }

    /// Records past the log start offset (Java's `partitionLead`): position minus log start offset.
    func lead(_ partition: TopicPartition) -> Int64? {
        guard let state = partitions[partition], let position = state.position, let start = state.logStartOffset
        else { return nil }
        let lead = position.offset.subtractingReportingOverflow(start)
        return lead.overflow ? nil : lead.partialValue
    }

    private mutating func modify(
        _ partition: TopicPartition, _ body: (inout PartitionState) -> Void
    ) throws(NotAssignedError) {
        guard var state = partitions[partition] else { throw NotAssignedError(partition: partition) }
        body(&state)
        partitions[partition] = state
    }
}
