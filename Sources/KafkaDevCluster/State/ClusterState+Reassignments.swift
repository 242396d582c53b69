import KafkaProtocol

/// A partition reassignment in progress (KIP-455), as Kafka's controller runs it.
///
/// While it runs, the partition's replicas are ``allReplicas`` (the target first, then the replicas being removed);
/// the replicas being added start out of the ISR and join it once they have copied the log; when every target
/// replica is in the ISR the reassignment completes: the replicas become the target, the removed ones leave the
/// replicas and the ISR, and a leader that was removed hands over to the first target replica in the ISR.
struct Reassignment: Sendable {
    /// The replicas before the reassignment started (what a cancellation restores).
    var original: [Int32]
    /// The replicas the partition ends with, the preferred leader first.
    var target: [Int32]
    /// The bytes each adding replica has copied so far, by broker.
    var copied: [Int32: Int64] = [:]
    /// The cluster time (ms) up to which copying was accounted.
    var lastStep: Int64

    /// The replicas being added: in the target, not in the original replicas.
    var adding: [Int32] { target.filter { !original.contains($0) } }
    /// The replicas being removed: in the original replicas, not in the target.
    var removing: [Int32] { original.filter { !target.contains($0) } }
    /// Every replica while the reassignment runs: the target, then the replicas being removed.
    var allReplicas: [Int32] { target + removing }
}

extension ClusterState {
    /// Why `replicas` cannot be a partition's replica list (Kafka's INVALID_REPLICA_ASSIGNMENT messages), or nil.
    func invalidReplicasReason(_ replicas: [Int32]) -> String? {
        if replicas.isEmpty { return "The manual partition assignment includes an empty replica list." }
        var seen = Set<Int32>()
        for replica in replicas {
            if !seen.insert(replica).inserted {
                return "The manual partition assignment includes the broker \(replica) more than once."
            }
            if broker(replica) == nil {
                return "The manual partition assignment includes broker \(replica), but no such broker is registered."
            }
        }
        return nil
    }

    /// Starts (or replaces) the reassignment of a partition to `target`, or cancels it (`target` nil).
    ///
    /// - Returns: the error code and message for the partition (NONE on success; UNKNOWN_TOPIC_OR_PARTITION,
    ///   INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS for a cancellation of nothing).
    mutating func reassign(
        _ topic: String, _ index: Int32, to target: [Int32]?, now: Int64
    ) -> (code: KafkaErrorCode, message: String?) {
        guard var partition = partition(topic, index) else {
            return (.unknownTopicOrPartition, "The partition \(topic)-\(index) does not exist.")
        }
        if let target, let reason = invalidReplicasReason(target) { return (.invalidReplicaAssignment, reason) }
        if let target {
            let original = partition.reassignment?.original ?? partition.replicas
            var reassignment = Reassignment(original: original, target: target, lastStep: now)
            reassignment.copied = partition.reassignment?.copied ?? [:]
            partition.reassignment = reassignment
            partition.replicas = reassignment.allReplicas
            let inSync = Set(partition.isr)
            partition.isr = partition.replicas.filter { inSync.contains($0) }
            reassigning[topic, default: []].insert(index)
        } else {
            guard let running = partition.reassignment else {
                return (.noReassignmentInProgress, "No reassignment is in progress for partition \(topic)-\(index)")
            }
            // Cancelled: back to the original replicas; the adding ones leave.
            partition.reassignment = nil
            partition.replicas = running.original
            finishReplicaChange(&partition)
        }
        replacePartition(topic, index, with: partition)
        advanceReassignments(now: now)
        return (.none, nil)
    }

    /// The replicas of a partition after its replica list changed (a reassignment completed or was cancelled): the
    /// ISR keeps only current replicas, a leader that is no longer a replica (or is down) hands over to the first
    /// current replica in the ISR, and the leader epoch is bumped when the leader changes.
    func finishReplicaChange(_ partition: inout Partition) {
        var inSync = partition.isr.filter { partition.replicas.contains($0) && isUp($0) }
        if inSync.isEmpty {
            // Nothing in sync survives: the partition keeps its last in-sync replica that is still a replica.
            inSync = partition.isr.filter { partition.replicas.contains($0) }.suffix(1)
        }
        partition.isr = partition.replicas.filter { inSync.contains($0) }
        if !partition.replicas.contains(partition.leader) || !isUp(partition.leader) {
            let newLeader = partition.replicas.first { isUp($0) && inSync.contains($0) } ?? -1
            if newLeader != partition.leader {
                partition.leader = newLeader
                partition.leaderEpoch &+= 1
            }
        }
        refreshLeadership(&partition)
    }

    /// Moves every running reassignment on to `now`: adding replicas copy the log at their replication throttle
    /// (unthrottled: at once) and join the ISR when they hold all of it; a reassignment whose target replicas are
    /// all in the ISR completes.
    mutating func advanceReassignments(now: Int64) {
        guard !reassigning.isEmpty else { return }
        for (topic, indexes) in reassigning {
            for index in indexes {
                guard var partition = partition(topic, index), var reassignment = partition.reassignment else {
                    reassigning[topic]?.remove(index)
                    continue
                }
                let elapsed = max(0, now &- reassignment.lastStep)
                reassignment.lastStep = now
                let size = Int64(partition.log.sizeInBytes)
                var inSync = Set(partition.isr)
                if partition.leader != -1 && isUp(partition.leader) {
                    for broker in reassignment.adding where !inSync.contains(broker) && isUp(broker) {
                        let copied: Int64
                        if let rate = replicationRate(topic, index, leader: partition.leader, follower: broker) {
                            let (step, overflow) = rate.multipliedReportingOverflow(by: elapsed)
                            let sum = (reassignment.copied[broker] ?? 0).addingReportingOverflow(
                                overflow ? Int64.max : step / 1000)
                            copied = sum.overflow ? Int64.max : sum.partialValue
                        } else {
                            copied = Int64.max
                        }
                        reassignment.copied[broker] = copied
                        if copied >= size { inSync.insert(broker) }
                    }
                }
                partition.isr = partition.replicas.filter { inSync.contains($0) }
                if reassignment.target.allSatisfy({ inSync.contains($0) }) {
                    partition.reassignment = nil
                    partition.replicas = reassignment.target
                    finishReplicaChange(&partition)
                    reassigning[topic]?.remove(index)
                } else {
                    partition.reassignment = reassignment
                }
                replacePartition(topic, index, with: partition)
            }
            if reassigning[topic]?.isEmpty ?? false { reassigning[topic] = nil }
        }
    }

    /// Stores `partition` as partition `index` of `topic` (which must exist).
    mutating func replacePartition(_ topic: String, _ index: Int32, with partition: Partition) {
        guard var topicState = topics[topic], index >= 0, Int(index) < topicState.partitions.count else { return }
        topics[topic] = nil
        topicState.partitions[Int(index)] = partition
        topics[topic] = topicState
    }

    /// The bytes per second at which `follower` copies partition `index` of `topic` from `leader`: the smaller of
    /// the leader's `leader.replication.throttled.rate` (when the topic's `leader.replication.throttled.replicas`
    /// names `index:leader` or is `*`) and the follower's `follower.replication.throttled.rate` (when
    /// `follower.replication.throttled.replicas` names `index:follower` or is `*`); nil when neither applies.
    func replicationRate(_ topic: String, _ index: Int32, leader: Int32, follower: Int32) -> Int64? {
        let configs = topics[topic]?.configs ?? [:]
        func listed(_ name: String, _ broker: Int32) -> Bool {
            let entries = (configs[name] ?? "").split(separator: ",").map { String($0.filter { $0 != " " }) }
            return entries.contains("*") || entries.contains("\(index):\(broker)")
        }
        func rate(_ name: String, _ broker: Int32) -> Int64? {
            let value =
                brokerConfigs[broker]?[name] ?? brokerConfigs[BrokerConfigs.clusterDefaultKey]?[name]
            return value.flatMap { Int64($0) }.map { max($0, 1) }
        }
        var rates: [Int64] = []
        if listed("leader.replication.throttled.replicas", leader),
            let limit = rate("leader.replication.throttled.rate", leader)
        {
            rates.append(limit)
        }
        if listed("follower.replication.throttled.replicas", follower),
            let limit = rate("follower.replication.throttled.rate", follower)
        {
            rates.append(limit)
        }
        return rates.min()
    }
}

extension ClusterState.Partition {
    /// The size of `broker`'s replica and how many offsets it is behind: the whole log with no lag, except for a
    /// replica a reassignment is adding that is not in sync yet, which holds the bytes it has copied and lags by
    /// the same share of the log's offsets.
    func replicaCopy(on broker: Int32) -> (size: Int64, offsetLag: Int64) {
        let size = Int64(log.sizeInBytes)
        guard let reassignment, reassignment.adding.contains(broker), !isr.contains(broker), size > 0 else {
            return (size, 0)
        }
        let copied = min(max(reassignment.copied[broker] ?? 0, 0), size)
        let offsets = max(log.logEndOffset - log.logStartOffset, 0)
        let missing = Double(size - copied) / Double(size)
        return (copied, Int64((Double(offsets) * missing).rounded(.up)))
    }
}
