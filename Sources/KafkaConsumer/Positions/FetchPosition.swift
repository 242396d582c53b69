/// Where the consumer fetches a partition next: the offset of the next record and the leader epoch
/// of the last record consumed before it (Java's `SubscriptionState.FetchPosition`).
struct FetchPosition: Sendable, Hashable {
    /// The offset of the next record to fetch.
    var offset: Int64
    /// The leader epoch of the record before ``offset``, when known; sent as `LastFetchedEpoch` /
    /// `CurrentLeaderEpoch` so the broker can detect truncation and stale leaders.
    var leaderEpoch: Int32?

    init(offset: Int64, leaderEpoch: Int32? = nil) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
    }
}

/// `auto.offset.reset`: what to do when a partition has no committed offset or its position is out
/// of range.
enum OffsetResetStrategy: String, Sendable, Hashable, CaseIterable {
    /// Start at the log start offset.
    case earliest
    /// Start at the log end offset (the high watermark, or the last stable offset in read_committed).
    case latest
    /// Fail: the application sees an error naming the partition (Java's
    /// `NoOffsetForPartitionException` / `OffsetOutOfRangeException`).
    case none
}

/// A pending reset of a partition's position, resolved with a ListOffsets request.
enum OffsetResetTarget: Sendable, Hashable {
    /// The log start offset (`ListOffsets` timestamp -2).
    case earliest
    /// The log end offset (`ListOffsets` timestamp -1).
    case latest
    /// The first offset whose timestamp is at least this many milliseconds since the epoch.
    case timestamp(Int64)

    /// The `Timestamp` field of the ListOffsets request that resolves it.
    var listOffsetsTimestamp: Int64 {
        switch self {
        case .earliest: -2
        case .latest: -1
        case .timestamp(let ms): ms
        }
    }
}

/// The isolation level of fetches (`isolation.level`), the `IsolationLevel` field of Fetch v4+.
enum IsolationLevel: Int8, Sendable, Hashable {
    /// Every record up to the high watermark, aborted transactions included.
    case readUncommitted = 0
    /// Only committed records, up to the last stable offset; aborted transactions are filtered.
    case readCommitted = 1
}
