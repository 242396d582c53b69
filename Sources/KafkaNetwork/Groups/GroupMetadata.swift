/// A consumer's place in its group, as the transactional producer needs it for
/// `sendOffsetsToTransaction` (KIP-447): the group, the generation and the member's identity.
public struct GroupMetadata: Sendable, Hashable {
    /// The group id (`group.id`).
    public var groupId: String
    /// The generation the member last joined, or -1 when it is not in a generation.
    public var generationId: Int32
    /// The member id the coordinator gave, or `""` before the first join.
    public var memberId: String
    /// The static member's `group.instance.id` (KIP-345), or `nil` for a dynamic member.
    public var groupInstanceId: String?

    /// Creates group metadata.
    public init(groupId: String, generationId: Int32 = -1, memberId: String = "", groupInstanceId: String? = nil) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }
}
