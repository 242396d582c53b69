/// A member's claim on partitions it owned before this rebalance.
struct PartitionClaim {
    var partitions: [TopicPartition]
    /// The generation the claim comes from; -1 when unknown (Java's `DEFAULT_GENERATION`).
    var generation: Int32
}

/// The balanced, sticky target shared by ``StickyAssignor`` and ``CooperativeStickyAssignor``.
///
/// `members` is in assignor order; `topicsOf` gives each member's subscribed topics.
///
/// 1. Previous owners: each valid claim (the member still subscribes to the topic and the
///    partition exists) keeps its partition; when members claim the same partition, the highest
///    generation wins; a tie at the highest generation invalidates the partition for all of them
///    (Java logs this as an error and does the same).
/// 2. Every unowned partition goes to the eligible member with the fewest partitions, partitions
///    with fewer eligible members first.
/// 3. Balancing: while some member `A` holds a partition that a member `B` with at least two
///    fewer partitions could take, one such partition moves to the least-loaded `B` from the
///    most-loaded `A`, preferring partitions `A` did not own before. Each move lowers the sum of
///    squared counts, so this ends; at the end, members with identical subscriptions differ by at
///    most one partition, and a member that left or joined a balanced group of identical
///    subscriptions moves only the partitions it must.
func stickyTargetAssignment(
    partitionsPerTopic: [String: Int32], members: [String], topicsOf: [String: Set<String>],
    claims: [String: PartitionClaim]
) -> [String: [TopicPartition]] {
    // Eligible members per topic, in member order.
    var eligible: [String: [Int]] = [:]
    for (i, member) in members.enumerated() {
        for topic in topicsOf[member] ?? [] where partitionsPerTopic[topic] != nil {
            eligible[topic, default: []].append(i)
        }
    }
    var subscribedTopics = Array(eligible.keys)
    subscribedTopics.sort(by: byteOrderPrecedes)

    // 1. Resolve previous owners.
    var owner: [TopicPartition: (member: Int, generation: Int32, conflict: Bool)] = [:]
    for (i, member) in members.enumerated() {
        guard let claim = claims[member] else { continue }
        for tp in Set(claim.partitions) {
            guard topicsOf[member]?.contains(tp.topic) == true, let count = partitionsPerTopic[tp.topic],
                tp.partition >= 0, tp.partition < count
            else { continue }
            if let current = owner[tp] {
                if claim.generation > current.generation {
                    owner[tp] = (i, claim.generation, false)
                } else if claim.generation == current.generation {
                    owner[tp] = (current.member, current.generation, true)
                }
            } else {
                owner[tp] = (i, claim.generation, false)
            }
        }
    }
    var assigned = [Set<TopicPartition>](repeating: [], count: members.count)
    var previouslyOwned = [Set<TopicPartition>](repeating: [], count: members.count)
    var unowned: [TopicPartition] = []
    for topic in subscribedTopics {
        for partition in 0..<(partitionsPerTopic[topic] ?? 0) {
            let tp = TopicPartition(topic: topic, partition: partition)
            if let current = owner[tp], !current.conflict {
                assigned[current.member].insert(tp)
                previouslyOwned[current.member].insert(tp)
            } else {
                unowned.append(tp)
            }
        }
    }

    // 2. Unowned partitions to the least-loaded eligible member; most constrained first.
    unowned.sort { lhs, rhs in
        let l = (eligible[lhs.topic]?.count ?? 0)
        let r = (eligible[rhs.topic]?.count ?? 0)
        return l != r ? l < r : lhs < rhs
    }
    for tp in unowned {
        let target = (eligible[tp.topic] ?? []).min {
            assigned[$0].count < assigned[$1].count || (assigned[$0].count == assigned[$1].count && $0 < $1)
        }!
        assigned[target].insert(tp)
    }

    // 3. Balance.
    let memberTopics = members.map { topicsOf[$0] ?? [] }
    var moved = true
    while moved {
        moved = false
        let receivers = (0..<members.count).sorted { (assigned[$0].count, $0) < (assigned[$1].count, $1) }
        let donors = (0..<members.count).sorted { (-assigned[$0].count, $0) < (-assigned[$1].count, $1) }
        search: for b in receivers {
            for a in donors {
                guard assigned[a].count >= assigned[b].count + 2 else { break }
                var best: TopicPartition?
                var bestIsNew = false
                for tp in assigned[a] where memberTopics[b].contains(tp.topic) {
                    let isNew = !previouslyOwned[a].contains(tp)
                    let better = best.map { (isNew && !bestIsNew) || (isNew == bestIsNew && $0 < tp) } ?? true
                    if better {
                        best = tp
                        bestIsNew = isNew
                    }
                }
                if let best {
                    assigned[a].remove(best)
                    assigned[b].insert(best)
                    moved = true
                    break search
                }
            }
        }
    }
    return Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1, assigned[$0].sorted()) })
}
