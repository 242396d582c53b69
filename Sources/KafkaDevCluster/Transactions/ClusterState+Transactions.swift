import KafkaProtocol

extension ClusterState {
    /// Writes the markers of `completion` to every partition of the transaction that still exists
    /// (in partition order), commits or drops the pending offsets of its groups, and completes the
    /// transaction (CompleteCommit / CompleteAbort).
    mutating func finish(_ completion: TransactionCompletion, now: Int64) {
        for partition in completion.partitions {
            _ = withPartition(partition.topic, partition.partition) { state in
                state.log.appendMarker(
                    producerID: completion.producerID, epoch: completion.producerEpoch, commit: completion.commit,
                    leaderEpoch: state.leaderEpoch, timestamp: now)
            }
        }
        for group in completion.groups {
            groups.resolvePendingOffsets(group: group, producerID: completion.producerID, commit: completion.commit)
        }
        transactions.complete(completion.transactionalID)
    }

    /// Fences and aborts the Ongoing transaction of `transactionalID`, if any: the epoch is bumped
    /// (the old instance is fenced) and abort markers carry the new epoch.
    mutating func fenceAndAbort(_ transactionalID: String, now: Int64) {
        guard transactions[transactionalID]?.state == .ongoing, let fenced = producerIDs.fence(transactionalID),
            let completion = transactions.fenceAndAbort(transactionalID, fencedEpoch: fenced.epoch)
        else { return }
        finish(completion, now: now)
    }

    /// Aborts every Ongoing transaction older than its timeout, with an epoch bump (Kafka's
    /// `TransactionCoordinator.abortTimedOutTransactions`). `DevClusterCore` calls it before every
    /// request and on every tick (before parked fetches are re-evaluated), so a timed out
    /// transaction is aborted before anyone can observe it.
    mutating func abortTimedOutTransactions(now: Int64) {
        for id in transactions.timedOut(now: now) { fenceAndAbort(id, now: now) }
    }

    /// InitProducerId for a transactional id after the routing checks: a stale expected producer is
    /// refused (nil); an Ongoing transaction is fenced and aborted; then the epoch is bumped (or a
    /// first id allocated) and the id becomes Empty.
    mutating func initTransactionalProducer(
        _ transactionalID: String, timeoutMs: Int32, expected: (id: Int64, epoch: Int16)?, now: Int64
    ) -> (id: Int64, epoch: Int16)? {
        guard producerIDs.accepts(transactionalID, expected: expected) else { return nil }
        var expected = expected
        if transactions[transactionalID]?.state == .ongoing {
            fenceAndAbort(transactionalID, now: now)
            // Kafka answers CONCURRENT_TRANSACTIONS here and the client's retry bumps the epoch
            // once more; the dev cluster does both at once.
            expected = nil
        }
        guard let producer = producerIDs.initTransactional(transactionalID, timeoutMs: timeoutMs, expected: expected)
        else { return nil }
        transactions.initialized(transactionalID, producerID: producer.id, epoch: producer.epoch, timeoutMs: timeoutMs)
        return producer
    }

    /// After loading a data directory: transactions left open in the logs have no coordinator any
    /// more (its state is not kept), so each gets an abort marker, as its coordinator would have
    /// aborted it on timeout.
    mutating func abortOrphanedTransactions(now: Int64) {
        for name in Array(topics.keys) {
            let count = topics[name]?.partitions.count ?? 0
            for index in 0..<count {
                _ = withPartition(name, Int32(index)) { partition in
                    for producerID in partition.log.transactions.open.keys.sorted() {
                        let epoch = partition.log.producerStates.entry(for: producerID)?.epoch ?? 0
                        partition.log.appendMarker(
                            producerID: producerID, epoch: epoch, commit: false, leaderEpoch: partition.leaderEpoch,
                            timestamp: now)
                    }
                }
            }
        }
    }
}

extension GroupCoordinatorState {
    /// Stores offsets of a TxnOffsetCommit as pending for `producerID`.
    mutating func storePendingOffset(
        group: String, producerID: Int64, topic: String, partition: Int32, offset: CommittedOffset
    ) {
        pendingTransactionalOffsets[group, default: [:]][producerID, default: CommittedOffsets()][topic, partition] =
            offset
    }

    /// The end of `producerID`'s transaction: on commit its pending offsets of `group` become the
    /// group's committed offsets (the group is created when it vanished meanwhile); on abort they are
    /// dropped.
    mutating func resolvePendingOffsets(group: String, producerID: Int64, commit: Bool) {
        guard let pending = pendingTransactionalOffsets[group]?.removeValue(forKey: producerID) else { return }
        if pendingTransactionalOffsets[group]?.isEmpty == true { pendingTransactionalOffsets[group] = nil }
        guard commit else { return }
        if groups[group] == nil { groups[group] = ClassicGroup(groupID: group) }
        for topic in pending.all {
            for entry in topic.partitions {
                groups[group]?.offsets[topic.topic, entry.partition] = entry.offset
            }
        }
    }

    /// Whether some transaction holds a pending offset of `group` for the partition.
    func hasPendingOffset(group: String, topic: String, partition: Int32) -> Bool {
        pendingTransactionalOffsets[group]?.values.contains { $0[topic, partition] != nil } ?? false
    }
}
