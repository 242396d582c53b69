public import NIOCore

/// A member's subscription as the group leader sees it: the decoded JoinGroup protocol metadata
/// (`ConsumerProtocolSubscription`) plus the member's `group.instance.id`.
public struct Subscription: Sendable, Hashable {
    /// The subscribed topics.
    public var topics: [String]
    /// Assignor-specific data (the sticky assignor's previous assignment, for example).
    public var userData: ByteBuffer?
    /// The partitions the member owns now (version 1+; empty for eager members).
    public var ownedPartitions: [TopicPartition]
    /// The generation in which the member got ``ownedPartitions`` (version 2+), or `nil`.
    public var generationId: Int32?
    /// The member's rack (version 3+), or `nil`.
    public var rackId: String?
    /// The member's `group.instance.id` from JoinGroup (static membership), or `nil`.
    public var groupInstanceId: String?

    /// Creates a subscription.
    public init(
        topics: [String], userData: ByteBuffer? = nil, ownedPartitions: [TopicPartition] = [],
        generationId: Int32? = nil, rackId: String? = nil, groupInstanceId: String? = nil
    ) {
        self.topics = topics
        self.userData = userData
        self.ownedPartitions = ownedPartitions
        self.generationId = generationId
        self.rackId = rackId
        self.groupInstanceId = groupInstanceId
    }
}

/// One member's assignment: the SyncGroup `ConsumerProtocolAssignment`.
public struct MemberAssignment: Sendable, Hashable {
    /// The assigned partitions.
    public var partitions: [TopicPartition]
    /// Assignor-specific data, or `nil`.
    public var userData: ByteBuffer?

    /// Creates an assignment.
    public init(partitions: [TopicPartition], userData: ByteBuffer? = nil) {
        self.partitions = partitions
        self.userData = userData
    }
}

/// The leader's result for the whole group: each member's assignment, keyed by member id.
public struct GroupAssignment: Sendable, Hashable {
    /// Each member's assignment.
    public var members: [String: MemberAssignment]

    /// Creates a group assignment.
    public init(members: [String: MemberAssignment]) {
        self.members = members
    }

    /// Wraps an assignor's result (no user data).
    public init(_ partitions: [String: [TopicPartition]]) {
        self.members = partitions.mapValues { MemberAssignment(partitions: $0) }
    }

    /// Encodes every member's assignment for SyncGroup, keyed by member id.
    ///
    /// - Throws: ``ConsumerPartitionAssignorError/unsupportedVersion(_:)`` or an encoding failure.
    package func encoded(version: Int16 = 3) throws(ConsumerPartitionAssignorError) -> [String: ByteBuffer] {
        var result: [String: ByteBuffer] = [:]
        for (member, assignment) in members { result[member] = try assignment.encoded(version: version) }
        return result
    }
}
