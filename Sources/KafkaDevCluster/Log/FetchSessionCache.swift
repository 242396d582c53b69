import KafkaProtocol

/// Incremental fetch sessions (KIP-227), per broker as in Kafka: each broker hands out its own
/// session ids, so the cache is keyed by `(broker, sessionId)`.
///
/// A session remembers the partitions a client fetches (with their fetch offsets and byte limits)
/// and what the broker last answered for each (high watermark, log start offset, last stable
/// offset), so that incremental fetches may list only what changed and get back only what changed.
///
/// The cache is bounded (``capacity``, 1000 by default, Kafka's `max.incremental.fetch.session.cache.slots`);
/// when full, creating a session evicts the least recently used one. Kafka's finer eviction policy
/// (privileged follower sessions, a minimum idle time before eviction) is not reproduced: a client
/// whose session was evicted gets FETCH_SESSION_ID_NOT_FOUND and starts a new session, as with Kafka.
struct FetchSessionCache: Sendable {
    /// Identifies a session: the broker that created it and its id.
    struct Key: Sendable, Hashable {
        var broker: Int32
        var sessionID: Int32
    }

    /// Identifies a partition in a session: by topic id (sessions of fetch v13+, `topic` empty) or by
    /// topic name (older versions, `topicID` zero).
    struct PartitionKey: Sendable, Hashable {
        var topicID: KafkaUUID
        var topic: String
        var partition: Int32
    }

    /// One partition of a session: the client's fetch parameters and the last answered state.
    struct Partition: Sendable {
        var key: PartitionKey
        var fetchOffset: Int64
        var partitionMaxBytes: Int32
        var currentLeaderEpoch: Int32
        /// The high watermark last answered, -1 when never answered or last answered with an error
        /// (so that the partition is answered again once the error is gone).
        var highWatermark: Int64 = -1
        /// The log start offset last answered.
        var logStartOffset: Int64 = -1
        /// The last stable offset last answered.
        var lastStableOffset: Int64 = -1
    }

    /// One session.
    struct Session: Sendable {
        var id: Int32
        /// The epoch the next incremental request must carry.
        var nextEpoch: Int32
        /// Whether the session was created by fetch v13+ (partitions keyed by topic id); requests of
        /// the other kind get FETCH_SESSION_TOPIC_ID_ERROR.
        var usesTopicIDs: Bool
        /// The partitions in fetch order (partitions answered last move to the end, for fairness).
        var partitions: [Partition]
        /// Use stamp for least-recently-used eviction.
        fileprivate(set) var lastUsed: UInt64

        /// The session's partitions after an incremental request: `requested` partitions are updated
        /// in place (keeping their last answered state) or appended, then `forgotten` ones removed,
        /// in Kafka's order.
        func applying(_ requested: [Partition], forgetting forgotten: Set<PartitionKey>) -> [Partition] {
            var result = partitions
            if !requested.isEmpty {
                var positions: [PartitionKey: Int] = [:]
                positions.reserveCapacity(result.count)
                for (position, partition) in result.enumerated() { positions[partition.key] = position }
                for partition in requested {
                    if let position = positions[partition.key] {
                        result[position].fetchOffset = partition.fetchOffset
                        result[position].partitionMaxBytes = partition.partitionMaxBytes
                        result[position].currentLeaderEpoch = partition.currentLeaderEpoch
                    } else {
                        positions[partition.key] = result.count
                        result.append(partition)
                    }
                }
            }
            if !forgotten.isEmpty { result.removeAll { forgotten.contains($0.key) } }
            return result
        }
    }

    /// The most sessions kept, over all brokers; 0 disables sessions (every session-creating fetch is
    /// answered with session id 0, as a Kafka broker whose cache is full does).
    var capacity = 1000
    private(set) var sessions: [Key: Session] = [:]
    private var useCounter: UInt64 = 0

    /// The number of live sessions.
    var count: Int { sessions.count }

    /// The session `id` of `broker`, if it exists.
    func session(broker: Int32, id: Int32) -> Session? {
        sessions[Key(broker: broker, sessionID: id)]
    }

    /// Creates a session on `broker` holding `partitions`; returns its new random positive id, or 0
    /// when sessions are disabled. Evicts the least recently used session when the cache is full.
    mutating func create(broker: Int32, usesTopicIDs: Bool, partitions: [Partition]) -> Int32 {
        guard capacity > 0 else { return 0 }
        while sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            sessions[oldest.key] = nil
        }
        var id = Int32.random(in: 1...Int32.max)
        while sessions[Key(broker: broker, sessionID: id)] != nil { id = Int32.random(in: 1...Int32.max) }
        useCounter &+= 1
        sessions[Key(broker: broker, sessionID: id)] = Session(
            id: id, nextEpoch: Self.epoch(after: 0), usesTopicIDs: usesTopicIDs, partitions: partitions,
            lastUsed: useCounter)
        return id
    }

    /// Records an answered incremental request of epoch `epoch`: stores the session's partitions and
    /// expects the next epoch.
    mutating func update(broker: Int32, id: Int32, epoch: Int32, partitions: [Partition]) {
        let key = Key(broker: broker, sessionID: id)
        guard sessions[key] != nil else { return }
        useCounter &+= 1
        sessions[key]?.partitions = partitions
        sessions[key]?.nextEpoch = Self.epoch(after: epoch)
        sessions[key]?.lastUsed = useCounter
    }

    /// Removes a session (a final fetch, or a new full fetch replacing it).
    @discardableResult
    mutating func remove(broker: Int32, id: Int32) -> Session? {
        sessions.removeValue(forKey: Key(broker: broker, sessionID: id))
    }

    /// The epoch following `epoch`: wraps from `Int32.max` to 1, as Kafka's `nextEpoch`.
    static func epoch(after epoch: Int32) -> Int32 {
        epoch == Int32.max ? 1 : max(epoch, 0) + 1
    }
}
