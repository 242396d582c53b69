/// One committed offset of a group.
struct CommittedOffset: Sendable, Hashable {
    var offset: Int64
    /// The leader epoch the consumer saw (-1 when unknown or committed before v6).
    var leaderEpoch: Int32 = -1
    var metadata: String = ""
    /// When the offset was committed (cluster milliseconds).
    var commitTimestamp: Int64
}

/// The committed offsets of one group, by topic and partition.
struct CommittedOffsets: Sendable {
    private(set) var topics: [String: [Int32: CommittedOffset]] = [:]

    var isEmpty: Bool { topics.isEmpty }

    subscript(topic: String, partition: Int32) -> CommittedOffset? {
        get { topics[topic]?[partition] }
        set {
            topics[topic, default: [:]][partition] = newValue
            if topics[topic]?.isEmpty == true { topics[topic] = nil }
        }
    }

    /// Every committed partition, sorted by topic then partition.
    var all: [(topic: String, partitions: [(partition: Int32, offset: CommittedOffset)])] {
        topics.keys.sorted().map { topic in
            let partitions = (topics[topic] ?? [:]).sorted { $0.key < $1.key }.map {
                (partition: $0.key, offset: $0.value)
            }
            return (topic: topic, partitions: partitions)
        }
    }

    /// Drops every offset of `topic`.
    mutating func removeTopic(_ topic: String) { topics[topic] = nil }
}
