import KafkaProtocol
import NIOCore

/// One protocol a member supports (JoinGroup's `protocols`): its name and opaque metadata (for
/// consumers, the serialized `ConsumerProtocolSubscription`).
struct GroupProtocol: Sendable, Hashable {
    var name: String
    var metadata: ByteBuffer
}

/// One member of a classic group, as Kafka's `MemberMetadata` keeps it.
struct GroupMember: Sendable {
    var memberID: String
    /// The static member id (KIP-345), nil for dynamic members.
    var groupInstanceID: String?
    var clientID: String
    var clientHost: String
    var sessionTimeoutMs: Int32
    var rebalanceTimeoutMs: Int32
    var protocolType: String
    /// The supported protocols in the member's preference order.
    var protocols: [GroupProtocol]
    /// The assignment the leader gave this member in the last SyncGroup (empty until then).
    var assignment = ByteBuffer()
    /// The cluster time of the last heartbeat, join, sync or commit (session expiry starts here).
    var lastHeartbeat: Int64
    /// Set while the member's JoinGroup waits for the rebalance: the token of that parked join.
    var joinToken: UInt64?
    /// The generation for which the member sent SyncGroup (pending-sync tracking).
    var syncedGeneration: Int32 = -1

    /// Whether the member's JoinGroup waits for the running rebalance.
    var isAwaitingJoin: Bool { joinToken != nil }

    /// The member's metadata for `protocolName` (empty when it does not support it).
    func metadata(for protocolName: String?) -> ByteBuffer {
        protocols.first { $0.name == protocolName }?.metadata ?? ByteBuffer()
    }

    /// Whether `protocols` equal the member's (name and metadata, in order), as Kafka's
    /// `MemberMetadata.matches`.
    func matches(_ protocols: [GroupProtocol]) -> Bool { self.protocols == protocols }
}

/// What a JoinGroup asks, independent of the wire version.
struct JoinGroupParameters: Sendable {
    /// The member id sent ("" for a new member).
    var memberID: String
    var groupInstanceID: String?
    var clientID: String
    var clientHost: String
    var sessionTimeoutMs: Int32
    /// The rebalance timeout (v0: the session timeout).
    var rebalanceTimeoutMs: Int32
    var protocolType: String
    var protocols: [GroupProtocol]
    /// JoinGroup v4+: a new dynamic member first gets MEMBER_ID_REQUIRED (KIP-394).
    var requireKnownMemberID: Bool
    /// JoinGroup v9+: a rejoining static leader gets the members with `skipAssignment` (KIP-814).
    var supportsSkipAssignment: Bool
    /// The id a new member gets (`clientId-UUID`, or `groupInstanceId-UUID` for static members).
    var newMemberID: String
}

/// One member as the JoinGroup response lists it for the leader.
struct JoinedMember: Sendable, Hashable {
    var memberID: String
    var groupInstanceID: String?
    var metadata: ByteBuffer
}

/// The answer to one JoinGroup.
struct JoinOutcome: Sendable, Hashable {
    var error: KafkaErrorCode
    var memberID: String
    var generationID: Int32 = -1
    var protocolType: String? = nil
    var protocolName: String? = nil
    var leaderID: String = ""
    var skipAssignment = false
    /// Every member with its metadata, for the leader only.
    var members: [JoinedMember] = []

    static func failure(_ error: KafkaErrorCode, memberID: String = "") -> JoinOutcome {
        JoinOutcome(error: error, memberID: memberID)
    }
}

/// What the group does with a JoinGroup: answer now or when the rebalance completes.
enum JoinDecision: Sendable, Hashable {
    case respond(JoinOutcome)
    /// The join waits; its outcome will be stored under this token.
    case wait(token: UInt64)
}

/// What the group does with a SyncGroup: answer now or when the leader's assignment arrives.
enum SyncDecision: Sendable, Hashable {
    case respond(KafkaErrorCode, assignment: ByteBuffer)
    case wait
}
