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
