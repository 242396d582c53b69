/// An error from a partition assignor or from decoding consumer-protocol metadata.
public enum ConsumerPartitionAssignorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `partitionsPerTopic` gave a topic a negative partition count.
    case negativePartitionCount(topic: String, count: Int32)
    /// Subscription metadata (the JoinGroup protocol metadata) could not be decoded.
    case malformedSubscription(String)
    /// A member assignment (the SyncGroup assignment bytes) could not be decoded.
    case malformedAssignment(String)
    /// An assignor's user data could not be decoded.
    case malformedUserData(String)
    /// A consumer-protocol version that cannot be written or read.
    case unsupportedVersion(Int16)

    /// A readable explanation.
    public var description: String {
        switch self {
        case .negativePartitionCount(let topic, let count):
            "topic \(topic) has a negative partition count (\(count))"
        case .malformedSubscription(let detail): "malformed consumer subscription: \(detail)"
        case .malformedAssignment(let detail): "malformed consumer assignment: \(detail)"
        case .malformedUserData(let detail): "malformed assignor user data: \(detail)"
        case .unsupportedVersion(let version): "unsupported consumer protocol version \(version)"
        }
    }
}
