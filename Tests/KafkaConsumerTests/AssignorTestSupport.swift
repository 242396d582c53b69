import KafkaTestSupport
import Testing

@testable import KafkaConsumer

/// A seeded generator, so property tests replay exactly.
typealias SeededGenerator = SplitMix64

/// A random group: topics with partition counts, members with subscriptions.
struct RandomGroup {
    var partitionsPerTopic: [String: Int32]
    var subscriptions: [String: Subscription]

    /// Members 1-12, topics 1-6, partitions 0-40; `identical` gives everyone all topics.
    static func make(using rng: inout SeededGenerator, identical: Bool = false) -> RandomGroup {
        let topicCount = Int.random(in: 1...6, using: &rng)
        var partitionsPerTopic: [String: Int32] = [:]
        for t in 0..<topicCount { partitionsPerTopic["t\(t)"] = Int32.random(in: 0...40, using: &rng) }
        let topics = partitionsPerTopic.keys.sorted()
        var subscriptions: [String: Subscription] = [:]
        for m in 0..<Int.random(in: 1...12, using: &rng) {
            var chosen = identical ? topics : topics.filter { _ in Bool.random(using: &rng) }
            if chosen.isEmpty { chosen = [topics.randomElement(using: &rng)!] }
            subscriptions["member-\(m)"] = Subscription(topics: chosen)
        }
        return RandomGroup(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions)
    }

    /// Every partition of a topic someone subscribes to.
    var subscribedPartitions: Set<TopicPartition> {
        let subscribed = Set(subscriptions.values.flatMap(\.topics))
        var result: Set<TopicPartition> = []
        for (topic, count) in partitionsPerTopic where subscribed.contains(topic) {
            for p in 0..<count { result.insert(TopicPartition(topic: topic, partition: p)) }
        }
        return result
    }

    /// The same group with members' owned partitions (and generation) set from `assignment`.
    func owning(_ assignment: [String: [TopicPartition]], generation: Int32) -> RandomGroup {
        var copy = self
        for member in copy.subscriptions.keys {
            copy.subscriptions[member]!.ownedPartitions = assignment[member] ?? []
            copy.subscriptions[member]!.generationId = generation
        }
        return copy
    }
}

/// partition → owner, checking no partition appears twice.
func owners(
    _ assignment: [String: [TopicPartition]], sourceLocation: SourceLocation = #_sourceLocation
) -> [TopicPartition: String] {
    var result: [TopicPartition: String] = [:]
    for (member, partitions) in assignment {
        for tp in partitions {
            #expect(result[tp] == nil, "\(tp) assigned twice", sourceLocation: sourceLocation)
            result[tp] = member
        }
    }
    return result
}

/// Checks the invariants every assignor keeps: each member listed, partitions at most once (or
/// exactly once when `complete`), only to subscribers.
func checkValid(
    _ assignment: [String: [TopicPartition]], _ group: RandomGroup, complete: Bool,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(Set(assignment.keys) == Set(group.subscriptions.keys), sourceLocation: sourceLocation)
    let owned = owners(assignment, sourceLocation: sourceLocation)
    if complete {
        #expect(Set(owned.keys) == group.subscribedPartitions, sourceLocation: sourceLocation)
    } else {
        #expect(Set(owned.keys).isSubset(of: group.subscribedPartitions), sourceLocation: sourceLocation)
    }
    for (tp, member) in owned {
        #expect(group.subscriptions[member]!.topics.contains(tp.topic), sourceLocation: sourceLocation)
    }
}

/// Checks that members with identical subscriptions differ by at most one partition.
func checkBalanced(
    _ assignment: [String: [TopicPartition]], _ group: RandomGroup,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var countsBySubscription: [Set<String>: [Int]] = [:]
    for (member, subscription) in group.subscriptions {
        countsBySubscription[Set(subscription.topics), default: []].append(assignment[member]?.count ?? 0)
    }
    for (topics, counts) in countsBySubscription {
        #expect(
            counts.max()! - counts.min()! <= 1, "unbalanced for \(topics.sorted()): \(counts)",
            sourceLocation: sourceLocation)
    }
}

func tp(_ topic: String, _ partition: Int32) -> TopicPartition {
    TopicPartition(topic: topic, partition: partition)
}
