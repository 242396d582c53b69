import KafkaProtocol

/// One partition's idempotent-producer bookkeeping, as Kafka's `ProducerStateManager` keeps it:
/// per producer id the current epoch and the metadata of the last five batches appended.
///
/// The rules, checked by ``check(producerID:epoch:firstSequence:lastSequence:)`` before an
/// append and recorded by ``record(producerID:epoch:batch:)`` after it:
///
/// - same epoch and a sequence range equal to one of the cached batches: a duplicate, answered
///   with the original batch's offsets and nothing appended;
/// - epoch lower than the known one: INVALID_PRODUCER_EPOCH (Kafka 2.7+ answers this, not
///   PRODUCER_FENCED, to idempotent and transactional producers alike on Produce);
/// - epoch higher than the known one: the sequence must start again at 0, else
///   OUT_OF_ORDER_SEQUENCE_NUMBER;
/// - same epoch: the first sequence must follow the last one (`Int32.max` wraps to 0), else
///   OUT_OF_ORDER_SEQUENCE_NUMBER;
/// - no state for the producer and a first sequence other than 0: UNKNOWN_PRODUCER_ID. This is the
///   behaviour of brokers before KIP-360 (Kafka 2.5 and later accept any sequence then); it tells a
///   client plainly that the broker lost its state.
struct ProducerStateTable: Sendable, Hashable {
    /// How many batches per producer are remembered for duplicate detection (Kafka's
    /// `NUM_BATCHES_TO_RETAIN`, which is also the client's `max.in.flight.requests.per.connection`).
    static let retainedBatches = 5

    /// What is remembered of one appended batch.
    struct BatchMetadata: Sendable, Hashable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
        var lastOffset: Int64
        /// The batch's max timestamp as stored (the broker's time on LogAppendTime topics).
        var timestamp: Int64
    }

    /// One producer's state on the partition.
    struct Entry: Sendable, Hashable {
        var epoch: Int16
        /// The last batches appended at `epoch`, oldest first, at most ``retainedBatches``.
        var batches: [BatchMetadata]
        /// The coordinator epoch of the producer's last transaction marker, -1 before any.
        var coordinatorEpoch: Int32 = -1
        /// The timestamp of the producer's last batch (its max timestamp as stored) or marker, -1 when none.
        var lastTimestamp: Int64 = -1
        /// The last sequence appended, -1 when none.
        var lastSequence: Int32 { batches.last?.lastSequence ?? -1 }
    }

    /// The outcome of ``check(producerID:epoch:firstSequence:lastSequence:)``.
    enum Verdict: Sendable, Hashable {
        /// The batch may be appended.
        case append
        /// The batch was appended before; answer with these offsets and append nothing.
        case duplicate(BatchMetadata)
        /// The batch is refused with this error and message.
        case reject(KafkaErrorCode, String)
    }

    /// The state per producer id.
    private(set) var entries: [Int64: Entry] = [:]

    /// The state of one producer, nil when the partition has none.
    func entry(for producerID: Int64) -> Entry? { entries[producerID] }

    /// Decides whether a batch of `producerID` at `epoch` holding sequences
    /// `firstSequence...lastSequence` may be appended.
    func check(producerID: Int64, epoch: Int16, firstSequence: Int32, lastSequence: Int32) -> Verdict {
        guard let entry = entries[producerID] else {
            if firstSequence == 0 { return .append }
            return .reject(
                .unknownProducerId,
                "Found no record of producerId=\(producerID) on the broker. It is possible that the last message "
                    + "with the producerId=\(producerID) has been removed due to hitting the retention limit.")
        }
        if epoch == entry.epoch,
            let original = entry.batches.first(where: {
                $0.firstSequence == firstSequence && $0.lastSequence == lastSequence
            })
        {
            return .duplicate(original)
        }
        if epoch < entry.epoch {
            return .reject(
                .invalidProducerEpoch,
                "Epoch of producer \(producerID) is \(epoch), which is smaller than the last seen epoch \(entry.epoch)")
        }
        if epoch > entry.epoch {
            if firstSequence == 0 { return .append }
            return .reject(
                .outOfOrderSequenceNumber,
                "Invalid sequence number for new epoch of producer \(producerID): \(epoch) (request epoch), "
                    + "\(firstSequence) (seq. number), \(entry.epoch) (current producer epoch)")
        }
        if Self.isInSequence(last: entry.lastSequence, next: firstSequence) { return .append }
        return .reject(
            .outOfOrderSequenceNumber,
            "Out of order sequence number for producer \(producerID): \(firstSequence) (incoming seq. number), "
                + "\(entry.lastSequence) (current end sequence number)")
    }

    /// Records an appended batch: a new epoch starts a fresh history; the oldest batch beyond
    /// ``retainedBatches`` is forgotten.
    mutating func record(producerID: Int64, epoch: Int16, batch: BatchMetadata) {
        var entry = entries[producerID] ?? Entry(epoch: epoch, batches: [])
        if entry.epoch != epoch {
            entry.epoch = epoch
            entry.batches = []
        }
        entry.lastTimestamp = batch.timestamp
        entry.batches.append(batch)
        if entry.batches.count > Self.retainedBatches {
            entry.batches.removeFirst(entry.batches.count - Self.retainedBatches)
        }
        entries[producerID] = entry
    }

    /// Whether a transaction marker of `producerID` at `epoch` carrying `coordinatorEpoch` may be appended (Kafka's
    /// checks for markers of the coordinator or an admin client): `.none`; INVALID_PRODUCER_EPOCH for an epoch below
    /// the producer's; TRANSACTION_COORDINATOR_FENCED for a coordinator epoch below the one of its last marker.
    func checkMarker(producerID: Int64, epoch: Int16, coordinatorEpoch: Int32) -> (KafkaErrorCode, String)? {
        guard let entry = entries[producerID] else { return nil }
        if epoch < entry.epoch {
            return (
                .invalidProducerEpoch,
                "Epoch of producer \(producerID) is \(epoch), which is smaller than the last seen epoch \(entry.epoch)"
            )
        }
        if coordinatorEpoch < entry.coordinatorEpoch {
            return (
                .transactionCoordinatorFenced,
                "Invalid coordinator epoch for producerId \(producerID): \(coordinatorEpoch) (zombie), "
                    + "\(entry.coordinatorEpoch) (current)"
            )
        }
        return nil
    }

    /// Records a transaction marker of `producerID` written at `epoch` with `coordinatorEpoch` at `timestamp` (Kafka's
    /// `ProducerStateEntry.update`): a newer epoch replaces the known one and forgets the cached batches, so the
    /// producer's next batch starts again at sequence 0 and older epochs are refused; the marker's coordinator epoch
    /// and timestamp become the producer's.
    mutating func recordMarker(producerID: Int64, epoch: Int16, coordinatorEpoch: Int32 = 0, timestamp: Int64 = -1) {
        var entry = entries[producerID] ?? Entry(epoch: epoch, batches: [])
        if epoch > entry.epoch {
            entry.epoch = epoch
            entry.batches = []
        }
        entry.coordinatorEpoch = coordinatorEpoch
        entry.lastTimestamp = timestamp
        entries[producerID] = entry
    }

    /// Whether `next` directly follows `last` (`Int32.max` is followed by 0).
    static func isInSequence(last: Int32, next: Int32) -> Bool {
        (last != Int32.max && next == last &+ 1) || (last == Int32.max && next == 0)
    }

    /// The last sequence of a batch starting at `first` with `lastOffsetDelta`, wrapping past
    /// `Int32.max` to 0 as Kafka's `DefaultRecordBatch.incrementSequence` does.
    static func lastSequence(first: Int32, lastOffsetDelta: Int32) -> Int32 {
        let delta = max(lastOffsetDelta, 0)
        if first > Int32.max &- delta { return delta &- (Int32.max &- first) &- 1 }
        return first &+ delta
    }
}
