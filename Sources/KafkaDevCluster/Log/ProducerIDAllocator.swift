import KafkaProtocol

/// Producer ids handed out by InitProducerId, and the transaction coordinator's producer id and
/// epoch per transactional id.
///
/// Ids start at 1000 and grow by one. For transactional ids this follows Kafka's
/// `TransactionCoordinator.handleInitProducerId` and `TransactionMetadata.prepareIncrementProducerEpoch`:
/// the first call allocates an id at epoch 0; each later call bumps the epoch, fencing older
/// instances; once the epoch reaches `Int16.max - 1` the next call rotates to a new id at epoch 0.
/// With an expected id and epoch (KIP-360, v3+) the call must come from the current producer: the
/// current epoch bumps, the previous epoch (a retried call) gets the current one again, anything
/// else is fenced.
struct ProducerIDAllocator: Sendable {
    /// The next producer id to hand out.
    var next: Int64 = 1000
    /// The producer per transactional id.
    var transactional: [String: TransactionalProducer] = [:]

    /// The coordinator's record of one transactional id.
    struct TransactionalProducer: Sendable, Hashable {
        var producerID: Int64
        var epoch: Int16
        /// The epoch before the last bump (-1 when none), to answer retried calls.
        var lastEpoch: Int16 = -1
        /// The id before the last rotation (-1 when none).
        var previousProducerID: Int64 = -1
        var transactionTimeoutMs: Int32
    }

    /// Hands out a new producer id.
    mutating func allocate() -> Int64 {
        let id = next
        next = next &+ 1
        return id
    }

    /// Whether the epoch can no longer be bumped (Kafka's `isProducerEpochExhausted`).
    static func isEpochExhausted(_ epoch: Int16) -> Bool { epoch >= Int16.max - 1 }

    /// Whether InitProducerId's expected producer id and epoch (KIP-360) may continue
    /// `transactionalID` (Kafka's `isValidProducerId`): its current id at the current or previous
    /// epoch, or the id before a rotation at an exhausted epoch. Always true without `expected` or
    /// without a record of the id.
    func accepts(_ transactionalID: String, expected: (id: Int64, epoch: Int16)?) -> Bool {
        guard let expected, let current = transactional[transactionalID] else { return true }
        if expected.id == current.previousProducerID && Self.isEpochExhausted(expected.epoch) { return true }
        return expected.id == current.producerID
            && (expected.epoch == current.epoch || expected.epoch == current.lastEpoch)
    }

    /// Bumps the epoch of `transactionalID` so that its current instance is fenced (Kafka's
    /// `prepareFenceProducerEpoch`, used when the coordinator aborts a transaction itself); at
    /// `Int16.max` the epoch stays. Returns the producer id and the new epoch, nil for an unknown id.
    mutating func fence(_ transactionalID: String) -> (id: Int64, epoch: Int16)? {
        guard var current = transactional[transactionalID] else { return nil }
        if current.epoch < Int16.max { current.epoch += 1 }
        current.lastEpoch = -1
        transactional[transactionalID] = current
        return (current.producerID, current.epoch)
    }

    /// InitProducerId for a transactional id (the caller checked routing and the timeout).
    ///
    /// - Parameter expected: the producer id and epoch the client holds (v3+), nil when it sent -1.
    /// - Returns: the producer id and epoch to use, or nil when `expected` is stale: the caller
    ///   answers PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below v4).
    mutating func initTransactional(
        _ transactionalID: String, timeoutMs: Int32, expected: (id: Int64, epoch: Int16)?
    ) -> (id: Int64, epoch: Int16)? {
        guard var current = transactional[transactionalID] else {
            let id = allocate()
            transactional[transactionalID] = TransactionalProducer(
                producerID: id, epoch: 0, transactionTimeoutMs: timeoutMs)
            return (id, 0)
        }
        if let expected {
            let valid =
                expected.id == current.producerID
                || (expected.id == current.previousProducerID && Self.isEpochExhausted(expected.epoch))
            guard valid else { return nil }
        }
        current.transactionTimeoutMs = timeoutMs
        if Self.isEpochExhausted(current.epoch), expected.map({ $0.epoch == current.epoch }) ?? true {
            // Kafka remembers the exhausted epoch when the client named it, so that a retry
            // with the old id and epoch gets the new id again.
            current.lastEpoch = expected == nil ? -1 : current.epoch
            current.previousProducerID = current.producerID
            current.producerID = allocate()
            current.epoch = 0
        } else if let expected, expected.epoch != current.epoch {
            guard expected.epoch == current.lastEpoch else { return nil }
            // A retry of the call that bumped the epoch: answer the current epoch again.
        } else if Self.isEpochExhausted(current.epoch) {
            return nil
        } else {
            current.lastEpoch = current.epoch
            current.epoch = current.epoch &+ 1
        }
        transactional[transactionalID] = current
        return (current.producerID, current.epoch)
    }
}
