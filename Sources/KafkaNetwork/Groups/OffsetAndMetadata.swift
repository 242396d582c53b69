public import KafkaProtocol

/// An offset to commit, or one committed, with the leader epoch of the last consumed record and
/// free-form application metadata (Java's `OffsetAndMetadata`).
///
/// The offset is the next record to read, as a position is: after handling the record at offset
/// 41, commit 42.
public struct OffsetAndMetadata: Sendable, Hashable {
    /// The next offset to read.
    public var offset: Int64
    /// The leader epoch of the last consumed record, when known.
    public var leaderEpoch: Int32?
    /// Application metadata stored with the offset (empty by default).
    public var metadata: String

    /// Creates an offset to commit.
    public init(offset: Int64, leaderEpoch: Int32? = nil, metadata: String = "") {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
    }
}

extension OffsetCommitRequest {
    /// The topics of an OffsetCommit carrying `offsets`: topics sorted by name, partitions by index, the leader epoch
    /// from v6 on — what the consumer and the admin client commit alike.
    package static func topics(
        _ offsets: [TopicPartitionKey: OffsetAndMetadata], version: Int16
    ) -> [OffsetCommitRequestTopic] {
        let byTopic = Dictionary(grouping: offsets, by: { $0.key.topic })
        return byTopic.keys.sorted().map { topic in
            OffsetCommitRequestTopic(
                name: topic,
                partitions: (byTopic[topic] ?? []).sorted { $0.key.partition < $1.key.partition }.map {
                    OffsetCommitRequestPartition(
                        partitionIndex: $0.key.partition, committedOffset: $0.value.offset,
                        committedLeaderEpoch: version >= 6 ? ($0.value.leaderEpoch ?? -1) : -1,
                        committedMetadata: $0.value.metadata)
                })
        }
    }
}
