package import KafkaNetwork
package import KafkaProtocol

/// The bookkeeping of an idempotent producer — producer id and epoch, per-partition sequence numbers, the batches in
/// flight, and recovery from lost producer state (KIP-360) — as a plain value type.
///
/// It performs no I/O and reads no clock; the sender owns one instance under its own lock (or actor), asks it what it
/// may send and tells it what happened.
///
/// ## Producer id
/// A new state has no identity: ``needsProducerID`` is `true` and nothing can be sent until the sender has issued
/// `InitProducerId` and reported the answer with ``producerIDReceived(_:)`` (or ``producerIDRequestFailed(_:)``).
///
/// ## Sequences
/// - Each partition's sequences start at 0 for every identity (producer id, epoch); batches of one partition get
///   consecutive base sequences: the next base is the previous base plus its record count, wrapping from
///   `Int32.max` to 0 as Kafka does.
/// - ``assignSequence(_:recordCount:)`` is for a batch drained for the first time. A batch that is resent calls
///   ``resequenceIfNeeded(_:_:)``: it keeps its sequence and identity, unless an epoch bump (or a new producer id)
///   happened since it was sequenced, in which case it gets a fresh sequence under the current identity. The sender
///   must drain re-sequenced retries of a partition in their original order, before that partition's new batches.
///
/// ## In flight and the broker's window
/// Each partition keeps its unacknowledged batches in sequence order. A broker remembers only the last five batches
/// it appended per producer and partition, and recognises a resent batch as a duplicate only among those. So the
/// bound is on the *window* — every batch sequenced since the oldest unacknowledged one, acknowledged or not (a
/// later batch can be acknowledged while an earlier one waits to be resent) — which holds at most `maxInFlight`
/// batches (default and maximum 5, see ``validate(maxInFlight:)``); ``canSend(_:)`` gates new batches on it. Were a
/// sixth batch appended behind an unacknowledged one, the broker would forget the older batch and answer its
/// resend OUT_OF_ORDER_SEQUENCE_NUMBER instead of DUPLICATE_SEQUENCE_NUMBER. A batch whose failure decision is
/// ``FailureDecision/retry`` stays in flight (it still owns its sequence), so resending it never needs a free slot.
///
/// A batch waiting in the queue to be resent is not on the wire. If the broker answered its last attempt with an
/// error, it was not written: it does not hold back an epoch bump and, if a bump happens first, it is re-sequenced
/// under the new identity like every other queued batch. If its last attempt got no answer (a lost connection, a
/// timeout — see ``mayHaveBeenWritten(_:)``), the broker may have written it: re-sequencing it could write its
/// records twice, so it holds the bump back and stays sendable under its old identity while the bump is pending,
/// until the broker says what became of it.
///
/// ## Outcomes (``batchFailed(_:_:error:logStartOffset:)``)
/// - `DUPLICATE_SEQUENCE_NUMBER`: the broker already has the batch → ``FailureDecision/treatAsSuccess``.
/// - Retriable errors → ``FailureDecision/retry`` with the same sequence.
/// - `OUT_OF_ORDER_SEQUENCE_NUMBER` for a batch that is not the oldest in flight of its partition → ``FailureDecision/retry``:
///   an earlier batch failed and the order recovers once it is resent. For the oldest batch in flight: if the
///   broker's `logStartOffset` is beyond our last acknowledged offset of that partition (retention deleted the
///   records that held our producer state) or an earlier batch of the partition expired → epoch bump
///   (``FailureDecision/retryAfterEpochBump``); otherwise the broker really lost records it acknowledged →
///   ``FailureDecision/fail(reason:)`` (Java's `OutOfOrderSequenceException`).
/// - `UNKNOWN_PRODUCER_ID`: the broker no longer knows our producer (e.g. retention removed its state) → epoch bump.
/// - `PRODUCER_FENCED`, `TRANSACTIONAL_ID_AUTHORIZATION_FAILED`, `CLUSTER_AUTHORIZATION_FAILED` → ``FailureDecision/fatal(reason:)``,
///   and so is `INVALID_PRODUCER_EPOCH` for a transactional producer; an idempotent-only producer instead treats
///   `INVALID_PRODUCER_EPOCH` as "our epoch is stale" and recovers with a new producer id.
/// - Other non-retriable errors → ``FailureDecision/fail(reason:)``.
///
/// Failing a batch that is not the last one sequenced for its partition leaves a hole in the sequence; the later
/// batches could never be accepted, so such a failure also requests an epoch bump. (Failing the last sequenced
/// batch, or expiring it before it was sent, simply gives its sequence back.)
///
/// ## Expiry and the sequence gap
/// A batch whose delivery timeout expires after it was sent may or may not have been written: its sequence is an
/// unknown gap. ``batchExpired(_:_:wasSent:)`` then requests an epoch bump; no later sequence is ever sent after such
/// a gap. A batch that expires before it was sent (no sequence yet, or the last one sequenced) frees nothing else.
///
/// ## Epoch bump (KIP-360)
/// While a bump is pending (``epochBumpPending``) nothing new is sent for any partition. Batches still in flight
/// finish: successes are acknowledged, and batches that would be retried are answered with
/// ``FailureDecision/retryAfterEpochBump`` and leave the in-flight set. Once no batch of any partition is in flight,
/// the bump happens: the epoch goes up by one locally and every partition's sequence restarts at 0 (sequences are
/// per identity, so all partitions reset — which is also why all partitions are held, not only the one with the
/// gap: an in-flight batch of another partition must not be re-sequenced behind newer batches). When the epoch is
/// already `Int16.max`, or the producer is transactional, or the broker rejected our epoch, or the brokers predate
/// KIP-360 (``epochBumpsLocally`` is `false`), the bump instead requires a new `InitProducerId` (``needsProducerID``).
///
/// ## Transactions
/// `isTransactional` is where a future transaction manager plugs in: it wraps this type, owns `InitProducerId` with
/// the transactional id (so bumps always go through ``needsProducerID``) and turns the ``FailureDecision/retryAfterEpochBump``
/// and ``FailureDecision/fail(reason:)`` outcomes into an abortable transaction error; fencing is always fatal.
package struct IdempotentProducerState: Sendable {
    /// The highest number of unacknowledged batches per partition for which the broker guarantees ordering.
    package static let maximumMaxInFlight = 5

    /// The sequence identity given to one batch.
    package struct BatchSequence: Sendable, Hashable {
        /// The producer id and epoch the batch is stamped with.
        package var identity: ProducerIdentity
        /// The batch's base sequence.
        package var baseSequence: Int32
        /// The number of records in the batch.
        package var recordCount: Int

        /// Creates a batch sequence.
        package init(identity: ProducerIdentity, baseSequence: Int32, recordCount: Int) {
            self.identity = identity
            self.baseSequence = baseSequence
            self.recordCount = recordCount
        }
    }

    /// What the sender must do with a batch whose produce request failed.
    package enum FailureDecision: Sendable, Equatable {
        /// Resend the same batch with the same sequence and identity.
        case retry
        /// The broker already has the batch (`DUPLICATE_SEQUENCE_NUMBER`): complete it successfully.
        case treatAsSuccess
        /// Give up on the batch and report the reason to its records.
        case fail(reason: String)
        /// Resend the batch once the pending epoch bump is done, with a new sequence (``resequenceIfNeeded(_:_:)``).
        case retryAfterEpochBump
        /// The producer cannot continue; fail everything with this reason.
        case fatal(reason: String)
    }

    struct PartitionState: Sendable {
        var nextSequence: Int32 = 0
        /// Unacknowledged batches of the current identity, in sequence order.
        var inFlight: [BatchSequence] = []
        /// The last offset acknowledged for the partition (kept across identities), -1 if none.
        var lastAckedOffset: Int64 = -1
        /// Every batch sequenced since the oldest unacknowledged one (`inFlight` plus the batches acknowledged
        /// after it), in sequence order: what the broker must still remember for duplicates to be recognised.
        var window: [BatchSequence] = []
        /// Batches of `inFlight` whose last attempt failed with ``FailureDecision/retry``: they keep their
        /// sequence but are back in the sender's queue, not on the wire, until they are resent.
        var awaitingResend: Set<BatchSequence> = []
        /// Batches of `awaitingResend` whose last attempt may have been written (no answer came).
        var fateUnknown: Set<BatchSequence> = []

        /// Whether a batch of this partition is on its way to (or being handled by) the broker, or may have been
        /// written without us knowing: either holds an epoch bump back.
        var holdsEpochBump: Bool {
            !fateUnknown.isEmpty || inFlight.contains { !awaitingResend.contains($0) }
        }

        /// Drops the front of the window up to the oldest unacknowledged batch.
        mutating func trimWindow() {
            guard let oldest = inFlight.first else {
                window = []
                return
            }
            if let index = window.firstIndex(of: oldest) { window.removeFirst(index) }
        }
    }

    /// The configured limit of unacknowledged batches per partition.
    package let maxInFlight: Int
    /// Whether the producer is transactional (bumps then go through `InitProducerId`; epoch errors are fatal).
    package let isTransactional: Bool
    /// The current producer id and epoch (``ProducerIdentity/none`` until one is received).
    package private(set) var identity: ProducerIdentity = .none
    /// Set once the producer hit a fatal error; nothing can be sent afterwards.
    package internal(set) var fatalReason: String?
    /// Whether an epoch bump has been requested and waits for the in-flight batches to finish.
    package private(set) var epochBumpPending = false
    /// Whether the brokers accept an epoch the producer bumped itself (KIP-360: InitProducerId v3 and newer, Kafka
    /// 2.5+). When they do not (Kafka 2.4 and older), every bump obtains a new producer id instead, as the Java 2.x
    /// client's `resetProducerId()`: sequences restart under an identity the broker has never seen.
    package var epochBumpsLocally = true

    var awaitingProducerID = true
    /// The pending bump must obtain a new producer id rather than increment the epoch locally.
    var bumpRequiresNewProducerID = false
    var partitions: [TopicPartitionKey: PartitionState] = [:]

    /// Creates a state without a producer id.
    ///
    /// - Parameters:
    ///   - maxInFlight: unacknowledged batches allowed per partition; values outside `1...5` are clamped — report
    ///     them first with ``validate(maxInFlight:)``.
    ///   - isTransactional: whether a transaction manager wraps this state.
    package init(maxInFlight: Int = IdempotentProducerState.maximumMaxInFlight, isTransactional: Bool = false) {
        self.maxInFlight = min(max(maxInFlight, 1), Self.maximumMaxInFlight)
        self.isTransactional = isTransactional
    }

    /// Checks `max.in.flight.requests.per.connection` for an idempotent producer: it must be between 1 and 5.
    package static func validate(maxInFlight: Int) throws(IdempotenceConfigurationError) {
        guard (1...maximumMaxInFlight).contains(maxInFlight) else {
            throw IdempotenceConfigurationError(
                message: "max.in.flight.requests.per.connection must be between 1 and \(maximumMaxInFlight) when "
                    + "idempotence is enabled, got \(maxInFlight)")
        }
    }

    /// Whether an `InitProducerId` must be sent before any batch can be drained (no id yet, or a bump needs a new id).
    package var needsProducerID: Bool { fatalReason == nil && awaitingProducerID }

    /// The number of unacknowledged batches of `partition`.
    package func inFlightCount(_ partition: TopicPartitionKey) -> Int {
        partitions[partition]?.inFlight.count ?? 0
    }

    /// The base sequence the next new batch of `partition` would get.
    package func nextSequence(_ partition: TopicPartitionKey) -> Int32 {
        partitions[partition]?.nextSequence ?? 0
    }

    /// Whether any partition has a batch in flight.
    package var hasInFlightBatches: Bool { partitions.values.contains { !$0.inFlight.isEmpty } }

    /// May this partition's next NEW batch be drained now? `false` while the producer id is being (re)initialized,
    /// while an epoch bump is pending, after a fatal error, or when the partition's window (the batches sequenced
    /// since its oldest unacknowledged one) holds `maxInFlight` batches.
    package func canSend(_ partition: TopicPartitionKey) -> Bool {
        guard isReady, let state = partitions[partition] else { return isReady }
        return max(state.window.count, state.inFlight.count) < maxInFlight
    }

    /// May `batch`, a retry of an earlier drained batch of `partition`, be resent now? A batch that keeps its
    /// sequence is still in flight and needs no free slot — it may even go while an epoch bump is pending, as the
    /// bump waits for what the broker says of it; a batch needing a new sequence counts as a new one.
    package func canResend(_ partition: TopicPartitionKey, _ batch: BatchSequence) -> Bool {
        guard fatalReason == nil, !awaitingProducerID else { return false }
        if isTracked(partition, batch) { return true }
        return canSend(partition)
    }

    /// Whether a failed attempt with `error` may still have been written: no answer came (a lost connection or
    /// a timeout, reported as NETWORK_EXCEPTION or REQUEST_TIMED_OUT), or the broker appended before failing
    /// (NOT_ENOUGH_REPLICAS_AFTER_APPEND).
    package static func mayHaveBeenWritten(_ error: KafkaErrorCode) -> Bool {
        switch error {
        case .networkException, .requestTimedOut, .notEnoughReplicasAfterAppend: true
        default: false
        }
    }

    /// Whether `batch` is the oldest unacknowledged batch of `partition` under the current identity. The sender
    /// resends a retried batch only then, so that a partition's retries reach the broker in sequence order.
    package func isOldestInFlight(_ partition: TopicPartitionKey, _ batch: BatchSequence) -> Bool {
        batch.identity == identity && partitions[partition]?.inFlight.first == batch
    }

    var isReady: Bool { fatalReason == nil && !awaitingProducerID && !epochBumpPending }

    func isTracked(_ partition: TopicPartitionKey, _ batch: BatchSequence) -> Bool {
        batch.identity == identity && (partitions[partition]?.inFlight.contains(batch) ?? false)
    }

    /// Records the `InitProducerId` answer: the identity becomes current, every partition restarts at sequence 0
    /// and any pending bump is complete. An invalid identity (negative id or epoch) is ignored.
    package mutating func producerIDReceived(_ newIdentity: ProducerIdentity) {
        guard fatalReason == nil, newIdentity.isValid else { return }
        identity = newIdentity
        awaitingProducerID = false
        epochBumpPending = false
        bumpRequiresNewProducerID = false
        resetAllSequences()
    }

    /// Records a failed `InitProducerId`: retriable errors leave ``needsProducerID`` set (the sender tries again);
    /// any other error is fatal. Returns whether the producer is now fatally failed.
    @discardableResult
    package mutating func producerIDRequestFailed(_ error: KafkaErrorCode) -> Bool {
        if !error.isRetriable && fatalReason == nil {
            fatalReason = "InitProducerId failed: \(error.name)"
        }
        return fatalReason != nil
    }

    /// Assigns the current identity and the partition's next base sequence to a NEW batch being drained, advances
    /// the next sequence by `recordCount` (wrapping past `Int32.max` to 0) and records the batch as in flight.
    /// Call only when ``canSend(_:)`` is `true`.
    package mutating func assignSequence(_ partition: TopicPartitionKey, recordCount: Int) -> BatchSequence {
        var state = partitions[partition] ?? PartitionState()
        let batch = BatchSequence(identity: identity, baseSequence: state.nextSequence, recordCount: recordCount)
        state.nextSequence = Self.increment(state.nextSequence, by: recordCount)
        state.inFlight.append(batch)
        state.window.append(batch)
        partitions[partition] = state
        return batch
    }

    /// The sequence a retried batch must be resent with: the same one while its identity is current and it is still
    /// in flight; otherwise (an epoch bump or new producer id happened since) a fresh one from
    /// ``assignSequence(_:recordCount:)``. Call only when ``canResend(_:_:)`` is `true`.
    package mutating func resequenceIfNeeded(_ partition: TopicPartitionKey, _ batch: BatchSequence) -> BatchSequence {
        if isTracked(partition, batch) {
            partitions[partition]?.awaitingResend.remove(batch)
            partitions[partition]?.fateUnknown.remove(batch)
            return batch
        }
        return assignSequence(partition, recordCount: batch.recordCount)
    }

    /// Replaces `batch`, which the broker refused as too large (so it wrote none of it), by consecutive pieces of
    /// `counts` records covering the same sequences, in its place: the later batches keep theirs. Returns the
    /// pieces' sequences, `nil` when `batch` is not tracked under the current identity (it then gets new sequences
    /// when it is drained again).
    mutating func split(_ partition: TopicPartitionKey, _ batch: BatchSequence, into counts: [Int]) -> [BatchSequence]?
    {
        guard isTracked(partition, batch), counts.reduce(0, +) == batch.recordCount, var state = partitions[partition]
        else { return nil }
        var pieces: [BatchSequence] = []
        var next = batch.baseSequence
        for count in counts {
            pieces.append(BatchSequence(identity: batch.identity, baseSequence: next, recordCount: count))
            next = Self.increment(next, by: count)
        }
        if let index = state.inFlight.firstIndex(of: batch) {
            state.inFlight.replaceSubrange(index...index, with: pieces)
        }
        if let index = state.window.firstIndex(of: batch) { state.window.replaceSubrange(index...index, with: pieces) }
        state.awaitingResend.remove(batch)
        state.fateUnknown.remove(batch)
        state.awaitingResend.formUnion(pieces)
        partitions[partition] = state
        return pieces
    }

    /// `sequence + count` modulo 2³¹, as Kafka increments sequences.
    static func increment(_ sequence: Int32, by count: Int) -> Int32 {
        let modulus = Int64(Int32.max) + 1
        let step = Int64(max(count, 0) % Int(modulus))
        return Int32(truncatingIfNeeded: (Int64(sequence) + step) % modulus)
    }

    mutating func resetAllSequences() {
        for key in partitions.keys {
            partitions[key]?.nextSequence = 0
            partitions[key]?.inFlight = []
            partitions[key]?.window = []
            partitions[key]?.awaitingResend = []
            partitions[key]?.fateUnknown = []
        }
    }

    /// Requests an epoch bump (applied as soon as nothing is in flight).
    mutating func requestEpochBump(newProducerID: Bool = false) {
        epochBumpPending = true
        if newProducerID || isTransactional { bumpRequiresNewProducerID = true }
        applyPendingBumpIfPossible()
    }

    /// Applies a pending bump once no batch is on the wire and none waiting for a resend may have been written.
    /// Batches waiting in the queue that the broker refused do not hold the bump back: they are re-sequenced under
    /// the new identity when drained. Those whose fate is unknown stay sendable under the old identity while the
    /// bump is pending (``canResend(_:_:)``), so waiting for them cannot deadlock.
    mutating func applyPendingBumpIfPossible() {
        guard epochBumpPending, fatalReason == nil, !partitions.values.contains(where: \.holdsEpochBump) else {
            return
        }
        epochBumpPending = false
        if bumpRequiresNewProducerID || !epochBumpsLocally || identity.epoch == Int16.max || !identity.isValid {
            bumpRequiresNewProducerID = false
            identity = .none
            awaitingProducerID = true
        } else {
            identity.epoch += 1
        }
        resetAllSequences()
    }
}
