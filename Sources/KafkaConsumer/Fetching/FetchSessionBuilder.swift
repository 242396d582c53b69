import KafkaProtocol

/// What the fetcher asks of one partition in a fetch request.
struct FetchPartitionRequest: Sendable, Hashable {
    /// The offset to fetch from (the partition's position).
    var fetchOffset: Int64
    /// `max.partition.fetch.bytes`.
    var maxBytes: Int32
    /// The log start offset (-1 for consumers, which are not followers).
    var logStartOffset: Int64 = -1
    /// The leader epoch the client believes current (v9+), -1 when unknown.
    var currentLeaderEpoch: Int32 = -1
    /// The epoch of the last fetched record (v12+), -1 when unknown.
    var lastFetchedEpoch: Int32 = -1
}

/// The client side of incremental fetch sessions (KIP-227), for the fetches to one broker: Java's
/// `FetchSessionHandler`.
///
/// The first request of a session is *full* (epoch 0, every partition); the broker answers with a
/// session id. Later requests are *incremental* (epoch 1, 2, …): only partitions added or whose
/// fetch parameters changed, and the ones no longer wanted in `ForgottenTopicsData`. A session
/// error makes the next request full again. Fetch versions below 7 have no sessions: every request
/// is full and sessionless.
struct FetchSessionBuilder: Sendable {
    /// No session (`SessionId` 0).
    static let invalidSessionId: Int32 = 0
    /// The epoch of a full request that creates a session.
    static let initialEpoch: Int32 = 0
    /// The epoch that closes a session (and of sessionless requests).
    static let finalEpoch: Int32 = -1
    /// The first Fetch version with sessions.
    static let minimumSessionVersion: Int16 = 7
    /// The first Fetch version naming topics by id.
    static let topicIdVersion: Int16 = 13

    /// The session-related fields of the next fetch request.
    struct Request: Sendable, Hashable {
        var sessionId: Int32
        var sessionEpoch: Int32
        var topics: [FetchRequest.FetchTopic]
        var forgottenTopicsData: [FetchRequest.ForgottenTopic]
        /// Whether this request lists every partition of the session.
        var isFull: Bool
        /// Partitions left out because the version needs topic ids and none is known: the fetcher
        /// should refresh metadata.
        var partitionsWithoutTopicId: [TopicPartition]

        /// Copies the fields into `request`.
        func apply(to request: inout FetchRequest) {
            request.sessionId = sessionId
            request.sessionEpoch = sessionEpoch
            request.topics = topics
            request.forgottenTopicsData = forgottenTopicsData
        }
    }

    struct SessionPartition: Sendable, Hashable {
        var data: FetchPartitionRequest
        var topicId: KafkaUUID
    }

    /// The session id the broker assigned, or ``invalidSessionId``.
    private(set) var sessionId: Int32 = Self.invalidSessionId
    /// The epoch of the next request (0 means the next request is full).
    private(set) var nextEpoch: Int32 = Self.initialEpoch
    /// The partitions the broker holds in the session, with what was last sent for them.
    private(set) var sessionPartitions: [TopicPartition: SessionPartition] = [:]
    /// Whether the session was built with topic ids (Fetch v13+).
    private(set) var sessionUsesTopicIds = false
    private var lastRequestWasFull = true
    private var lastRequestHadSession = false
    private var topicNames: [KafkaUUID: String] = [:]

    init() {}

    /// Whether the next request will be full.
    var nextRequestIsFull: Bool { nextEpoch == Self.initialEpoch }

    /// The topic name of a topic id sent in this session (Fetch v13+ responses carry only ids).
    func topicName(for id: KafkaUUID) -> String? { topicNames[id] }

    /// Builds the session fields of the next request and records what the broker will hold.
    ///
    /// - Parameters:
    ///   - wanted: the partitions to fetch, with their fetch parameters.
    ///   - version: the Fetch version the request will be sent at.
    ///   - topicIds: the topic ids from metadata (needed at v13+; partitions of topics without one
    ///     are left out and reported).
    mutating func nextRequest(
        _ wanted: [TopicPartition: FetchPartitionRequest], version: Int16, topicIds: [String: KafkaUUID] = [:]
    ) -> Request {
        let usesIds = version >= Self.topicIdVersion
        var next: [TopicPartition: SessionPartition] = [:]
        var withoutId: [TopicPartition] = []
        for (partition, data) in wanted {
            let id = topicIds[partition.topic] ?? .zero
            if usesIds && id == .zero {
                withoutId.append(partition)
                continue
            }
            next[partition] = SessionPartition(data: data, topicId: usesIds ? id : .zero)
        }
        withoutId.sort()

        guard version >= Self.minimumSessionVersion else {
            // Sessionless: forget any session; every request is full.
            sessionId = Self.invalidSessionId
            nextEpoch = Self.initialEpoch
            sessionPartitions = [:]
            lastRequestWasFull = true
            lastRequestHadSession = false
            return Request(
                sessionId: Self.invalidSessionId, sessionEpoch: Self.finalEpoch,
                topics: Self.topics(next, version: version), forgottenTopicsData: [], isFull: true,
                partitionsWithoutTopicId: withoutId)
        }
        lastRequestHadSession = true
        // A session built with names cannot continue with ids, or the reverse: close it, start anew.
        if nextEpoch != Self.initialEpoch && usesIds != sessionUsesTopicIds { nextEpoch = Self.initialEpoch }

        if nextEpoch == Self.initialEpoch {
            sessionPartitions = next
            sessionUsesTopicIds = usesIds
            topicNames = [:]
            for (partition, entry) in next where usesIds { topicNames[entry.topicId] = partition.topic }
            lastRequestWasFull = true
            return Request(
                sessionId: sessionId, sessionEpoch: Self.initialEpoch, topics: Self.topics(next, version: version),
                forgottenTopicsData: [], isFull: true, partitionsWithoutTopicId: withoutId)
        }

        var send: [TopicPartition: SessionPartition] = [:]
        var forget: [TopicPartition: SessionPartition] = [:]
        for (partition, previous) in sessionPartitions {
            guard let wantedNow = next[partition] else {
                forget[partition] = previous
                sessionPartitions[partition] = nil
                continue
            }
            if usesIds && previous.topicId != wantedNow.topicId {
                // The topic was recreated: forget the old id, add the new one.
                forget[partition] = previous
                send[partition] = wantedNow
                sessionPartitions[partition] = wantedNow
            } else if previous != wantedNow {
                send[partition] = wantedNow
                sessionPartitions[partition] = wantedNow
            }
        }
        for (partition, entry) in next where sessionPartitions[partition] == nil {
            send[partition] = entry
            sessionPartitions[partition] = entry
        }
        for (partition, entry) in send where usesIds { topicNames[entry.topicId] = partition.topic }
        lastRequestWasFull = false
        return Request(
            sessionId: sessionId, sessionEpoch: nextEpoch, topics: Self.topics(send, version: version),
            forgottenTopicsData: Self.forgotten(forget, version: version), isFull: false,
            partitionsWithoutTopicId: withoutId)
    }

    /// Updates the session from a fetch response's top-level error and session id.
    ///
    /// - Returns: whether the response's partition data can be used (`false` after a session
    ///   error: the next request is full).
    @discardableResult
    mutating func handleResponse(errorCode: KafkaErrorCode, sessionId responseSessionId: Int32) -> Bool {
        guard lastRequestHadSession else { return errorCode == .none }
        guard errorCode == .none else {
            if errorCode == .fetchSessionIdNotFound {
                sessionId = Self.invalidSessionId
            }
            // INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR and others: close the
            // existing session with the next (full) request and open a new one.
            nextEpoch = Self.initialEpoch
            return false
        }
        if responseSessionId == Self.invalidSessionId {
            // The broker did not create a session (full) or closed it (incremental).
            sessionId = Self.invalidSessionId
            nextEpoch = Self.initialEpoch
        } else if lastRequestWasFull {
            sessionId = responseSessionId
            nextEpoch = 1
        } else {
            nextEpoch = nextEpoch == Int32.max ? 1 : nextEpoch + 1
        }
        return true
    }

    /// The request failed without a response (disconnect, timeout): the next request closes the
    /// session and starts a new one.
    mutating func handleError() {
        nextEpoch = Self.initialEpoch
    }

    /// The request that closes the session (epoch -1, no partitions), or `nil` when there is none.
    /// The builder is left without a session.
    mutating func close() -> Request? {
        guard sessionId != Self.invalidSessionId else { return nil }
        let request = Request(
            sessionId: sessionId, sessionEpoch: Self.finalEpoch, topics: [], forgottenTopicsData: [], isFull: false,
            partitionsWithoutTopicId: [])
        sessionId = Self.invalidSessionId
        nextEpoch = Self.initialEpoch
        sessionPartitions = [:]
        topicNames = [:]
        return request
    }

    // MARK: Encoding the request fields

    private static func topics(
        _ partitions: [TopicPartition: SessionPartition], version: Int16
    ) -> [FetchRequest.FetchTopic] {
        var topics: [FetchRequest.FetchTopic] = []
        var lastTopic: String?
        for partition in partitions.keys.sorted() {
            guard let entry = partitions[partition] else { continue }
            let data = entry.data
            let fetchPartition = FetchRequest.FetchPartition(
                partition: partition.partition,
                currentLeaderEpoch: version >= 9 ? data.currentLeaderEpoch : -1,
                fetchOffset: data.fetchOffset,
                lastFetchedEpoch: version >= 12 ? data.lastFetchedEpoch : -1,
                logStartOffset: version >= 5 ? data.logStartOffset : -1,
                partitionMaxBytes: data.maxBytes)
            if lastTopic == partition.topic, !topics.isEmpty {
                topics[topics.count - 1].partitions.append(fetchPartition)
            } else {
                lastTopic = partition.topic
                topics.append(
                    FetchRequest.FetchTopic(
                        topic: version >= topicIdVersion ? "" : partition.topic,
                        topicId: version >= topicIdVersion ? entry.topicId : .zero, partitions: [fetchPartition]))
            }
        }
        return topics
    }

    private static func forgotten(
        _ partitions: [TopicPartition: SessionPartition], version: Int16
    ) -> [FetchRequest.ForgottenTopic] {
        // Keyed by (topic, id): a recreated topic forgets its old id while its new id is fetched.
        var result: [FetchRequest.ForgottenTopic] = []
        var lastKey: (String, KafkaUUID)?
        for partition in partitions.keys.sorted() {
            guard let entry = partitions[partition] else { continue }
            let id = version >= topicIdVersion ? entry.topicId : .zero
            if let key = lastKey, key.0 == partition.topic, key.1 == id {
                result[result.count - 1].partitions.append(partition.partition)
            } else {
                result.append(
                    FetchRequest.ForgottenTopic(
                        topic: version >= topicIdVersion ? "" : partition.topic, topicId: id,
                        partitions: [partition.partition]))
                lastKey = (partition.topic, id)
            }
        }
        return result
    }
}
