public import KafkaNetwork
import KafkaProtocol
import NIOCore

/// A consumer group as ``KafkaAdminClient/listConsumerGroups(states:)`` lists it (Java's
/// `ConsumerGroupListing`).
public struct ConsumerGroupListing: Sendable, Hashable {
    /// The group id.
    public var groupId: String
    /// The protocol type: `consumer`, or empty for a group that only stores committed offsets.
    public var protocolType: String
    /// The group state (`Stable`, `Empty`, `PreparingRebalance`, …); `nil` when the broker is too
    /// old to report it (ListGroups before v4).
    public var state: String?

    /// Creates a listing.
    public init(groupId: String, protocolType: String, state: String?) {
        self.groupId = groupId
        self.protocolType = protocolType
        self.state = state
    }

    /// Whether the group has no members and only stores offsets (committed with `assign` and a
    /// generation of -1, or by an admin client).
    public var isSimpleConsumerGroup: Bool { protocolType.isEmpty }
}

/// One member of a consumer group (Java's `MemberDescription`).
public struct ConsumerGroupMemberDescription: Sendable, Hashable {
    /// The member id the coordinator gave the member.
    public var memberId: String
    /// The static membership id (`group.instance.id`), if any.
    public var groupInstanceId: String?
    /// The member's `client.id`.
    public var clientId: String
    /// The host the member connected from, as the coordinator saw it.
    public var clientHost: String
    /// The partitions assigned to the member, decoded from its consumer-protocol assignment
    /// (empty while the group rebalances, or when the assignment cannot be decoded).
    public var assignment: [TopicPartitionKey]

    /// Creates a member description.
    public init(
        memberId: String, groupInstanceId: String?, clientId: String, clientHost: String,
        assignment: [TopicPartitionKey]
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.assignment = assignment
    }
}

/// A consumer group as ``KafkaAdminClient/describeConsumerGroups(_:)`` describes it (Java's
/// `ConsumerGroupDescription`).
public struct ConsumerGroupDescription: Sendable, Hashable {
    /// The group id.
    public var groupId: String
    /// The group state: `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance`, or `Dead`
    /// for a group that does not exist.
    public var state: String
    /// The protocol type: `consumer`, or empty for a group that only stores committed offsets.
    public var protocolType: String
    /// The partition assignor the group chose (`range`, `cooperative-sticky`, …); empty unless the
    /// group is `Stable`.
    public var partitionAssignor: String
    /// The broker that coordinates the group.
    public var coordinator: BrokerMetadata
    /// The members, with their assignments.
    public var members: [ConsumerGroupMemberDescription]

    /// Creates a description.
    public init(
        groupId: String, state: String, protocolType: String, partitionAssignor: String,
        coordinator: BrokerMetadata, members: [ConsumerGroupMemberDescription]
    ) {
        self.groupId = groupId
        self.state = state
        self.protocolType = protocolType
        self.partitionAssignor = partitionAssignor
        self.coordinator = coordinator
        self.members = members
    }

    /// Whether the group has no members and only stores offsets.
    public var isSimpleConsumerGroup: Bool { protocolType.isEmpty }
}

/// An offset committed for a consumer group, or one to commit: the consumer's ``/KafkaNetwork/OffsetAndMetadata`` (Java's
/// `OffsetAndMetadata`), under the name the admin client's API has used.
public typealias ConsumerGroupOffset = OffsetAndMetadata

/// Which offset ``KafkaAdminClient/listOffsets(_:isolationLevel:)`` looks up (Java's `OffsetSpec`).
public enum OffsetSpec: Sendable, Hashable {
    /// The log start offset.
    case earliest
    /// The offset after the last record (the high watermark, or the last stable offset when
    /// reading committed records only).
    case latest
    /// The offset of the record with the largest timestamp, and that timestamp (ListOffsets v7+).
    case maxTimestamp
    /// The first offset whose record timestamp is at or after the given time (milliseconds since
    /// the epoch).
    case forTimestamp(Int64)

    /// The timestamp ListOffsets carries for the spec.
    var requestTimestamp: Int64 {
        switch self {
        case .earliest: -2
        case .latest: -1
        case .maxTimestamp: -3
        case .forTimestamp(let time): time
        }
    }
}

/// An offset found by ``KafkaAdminClient/listOffsets(_:isolationLevel:)`` (Java's
/// `ListOffsetsResultInfo`).
public struct ListedOffset: Sendable, Hashable {
    /// The offset; -1 when no record matches a timestamp lookup.
    public var offset: Int64
    /// The record timestamp for timestamp and max-timestamp lookups; -1 otherwise.
    public var timestamp: Int64
    /// The leader epoch of the offset, when the broker reports it.
    public var leaderEpoch: Int32?

    /// Creates a listed offset.
    public init(offset: Int64, timestamp: Int64, leaderEpoch: Int32?) {
        self.offset = offset
        self.timestamp = timestamp
        self.leaderEpoch = leaderEpoch
    }
}

extension KafkaAdminClient {
    /// Which records ListOffsets counts when looking up the latest offset.
    public enum IsolationLevel: Int8, Sendable, Hashable {
        /// Every record up to the high watermark.
        case readUncommitted = 0
        /// Records of committed transactions only: the latest offset is the last stable offset.
        case readCommitted = 1
    }
}

/// Decodes a member's consumer-protocol assignment: an Int16 version, then
/// `ConsumerProtocolAssignment` (topics with their partitions, user data).
enum ConsumerAssignmentDecoder {
    /// The assigned partitions, sorted; empty for empty or undecodable bytes (never throws or traps).
    static func partitions(from bytes: ByteBuffer) -> [TopicPartitionKey] {
        var buffer = bytes
        guard buffer.readableBytes >= 2, let version: Int16 = buffer.readInteger(endianness: .big), version >= 0
        else { return [] }
        // Later versions only append fields, so a newer assignment decodes with the newest known layout.
        let layout = min(version, ConsumerProtocolAssignment.validVersions.upperBound)
        guard let message = try? ConsumerProtocolAssignment(from: &buffer, version: layout) else { return [] }
        return message.assignedPartitions.flatMap { topic in
            topic.partitions.map { TopicPartitionKey(topic: topic.topic, partition: $0) }
        }
        .sorted()
    }
}
