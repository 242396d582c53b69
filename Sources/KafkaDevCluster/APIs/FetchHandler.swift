import KafkaProtocol

/// Fetch (versions 0–17): records of the partitions this broker leads, with long polling and
/// incremental fetch sessions (KIP-227).
///
/// - Topics are named (v0–12) or identified by topic id (v13+; an unknown id answers UNKNOWN_TOPIC_ID
///   on its partitions).
/// - Per partition, as Kafka: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER (also while the
///   partition has no leader), UNKNOWN_LEADER_EPOCH / FENCED_LEADER_EPOCH for a current leader epoch
///   (v9+) newer / older than the partition's, OFFSET_OUT_OF_RANGE outside log start...high
///   watermark. Error answers carry -1 offsets and no records; at v16+ NOT_LEADER_OR_FOLLOWER and
///   FENCED_LEADER_EPOCH also carry the current leader and its endpoint (KIP-951).
/// - Records are whole stored batches (see ``FetchResponseBuilder``) limited by each partition's
///   `partitionMaxBytes` and the response's `maxBytes` (v3+), the first batch of the first partition
///   with data exempt (KIP-74). read_committed (v4+) stops before the last stable offset and lists
///   the aborted transactions overlapping the records returned; both isolation levels report the
///   last stable offset. A long poll under read_committed counts only bytes below it, and wakes
///   when a marker moves it.
/// - Long poll: when fewer than `minBytes` are available, no partition has an error and `maxWaitMs`
///   is positive, the request waits until enough bytes arrive or `maxWaitMs` passes.
/// - Sessions (v7+): epoch 0 creates one (an existing `sessionId` is replaced), epoch -1 fetches
///   without one (closing `sessionId` if given), other epochs continue the session: listed partitions
///   are added or updated, forgotten ones removed, and only partitions with records, an error or a
///   changed high watermark, log start or last stable offset are answered. Errors: unknown session →
///   FETCH_SESSION_ID_NOT_FOUND, wrong epoch → INVALID_FETCH_SESSION_EPOCH, a session created with
///   topic ids used without (or the reverse) → FETCH_SESSION_TOPIC_ID_ERROR (top-level, no partitions).
///   The session is updated when the answer is built, so a long poll answers from the state of then.
///
/// Fetches from followers (replica id ≥ 0) are served like consumer fetches: the dev cluster has no
/// replication. `lastFetchedEpoch` (v12+) is not checked for divergence, and the preferred read
/// replica is always -1. An isolation level other than 0 or 1 fails the request with
/// UNKNOWN_SERVER_ERROR, as Kafka's request parsing does.
enum FetchHandler: DevAPIHandler {
    /// How a request uses fetch sessions.
    enum SessionMode: Sendable {
        /// No session (epoch -1, or a version before 7); `closing` is a session to remove first (or 0).
        case sessionless(closing: Int32)
        /// Epoch 0: create a session; `replacing` is an existing session to remove first (or 0).
        case create(replacing: Int32)
        /// An incremental request of session `id` at `epoch`.
        case incremental(id: Int32, epoch: Int32)
    }

    /// What a request fetches, resolved against the state.
    struct Plan: Sendable {
        var mode: SessionMode
        var targets: [FetchTarget]
    }

    static func handle(_ request: FetchRequest, in state: inout ClusterState, context: RequestContext) -> DevReply<
        FetchResponse
    > {
        if context.version >= 4, request.isolationLevel != 0, request.isolationLevel != 1 {
            return .respond(errorResponse(to: request, error: .unknownServerError, context: context))
        }
        let plan: Plan
        switch resolve(request, in: state, context: context) {
        case .failure(let error): return .respond(sessionErrorResponse(error.code))
        case .success(let resolved): plan = resolved
        }
        let minBytes = Int(request.minBytes)
        guard request.maxWaitMs > 0, minBytes > 0, !plan.targets.isEmpty else {
            return .respond(build(request, plan: plan, in: &state, context: context))
        }
        let readCommitted = context.version >= 4 && request.isolationLevel == 1
        let ready: @Sendable (ClusterState) -> Bool = { state in
            isReady(
                plan.targets, in: state, broker: context.brokerID, minBytes: minBytes, readCommitted: readCommitted,
                context: context)
        }
        if ready(state) { return .respond(build(request, plan: plan, in: &state, context: context)) }
        let (sum, overflow) = context.now.addingReportingOverflow(Int64(request.maxWaitMs))
        return .park(deadline: overflow ? Int64.max : sum) { state, now, expired in
            guard expired || ready(state) else { return nil }
            var pollContext = context
            pollContext.now = now
            return respond(request, in: &state, context: pollContext)
        }
    }

    static func errorResponse(to request: FetchRequest, error: KafkaErrorCode, context: RequestContext) -> FetchResponse
    {
        let version = context.version
        let builder = FetchResponseBuilder(request: request, version: version, broker: context.brokerID)
        var response = FetchResponse()
        if version >= 7 { response.errorCode = error.rawValue }
        response.responses = request.topics.map { topic in
            var entry = FetchResponse.FetchableTopicResponse()
            if version >= 13 { entry.topicId = topic.topicId } else { entry.topic = topic.topic }
            entry.partitions = topic.partitions.map { builder.errorData($0.partition, error) }
            return entry
        }
        return response
    }

    /// Resolves and answers `request` now (used when a parked request completes).
    static func respond(_ request: FetchRequest, in state: inout ClusterState, context: RequestContext)
        -> FetchResponse
    {
        switch resolve(request, in: state, context: context) {
        case .failure(let error): return sessionErrorResponse(error.code)
        case .success(let plan): return build(request, plan: plan, in: &state, context: context)
        }
    }

    /// A top-level session error: no partitions, session id 0.
    static func sessionErrorResponse(_ code: KafkaErrorCode) -> FetchResponse {
        FetchResponse(errorCode: code.rawValue, sessionId: 0)
    }

    /// Whether a long poll may answer: some partition has an error, or `minBytes` are available.
    static func isReady(
        _ targets: [FetchTarget], in state: ClusterState, broker: Int32, minBytes: Int, readCommitted: Bool,
        context: RequestContext? = nil
    ) -> Bool {
        var total = 0
        for target in targets {
            switch FetchResponseBuilder.check(target, in: state, broker: broker, context: context) {
            case .failure:
                return true
            case .success(let partition):
                let log = partition.log
                let upper = readCommitted ? log.lastStableOffset : log.highWatermark
                total += log.fetchableBytes(from: target.entry.fetchOffset, before: upper, cap: minBytes - total)
                if total >= minBytes { return true }
            }
        }
        return false
    }

    /// The partitions `request` fetches and how it uses sessions, without changing anything.
    static func resolve(_ request: FetchRequest, in state: ClusterState, context: RequestContext) -> Result<
        Plan, FetchError
    > {
        let version = context.version
        let usesIDs = version >= 13
        var requested: [FetchSessionCache.Partition] = []
        var positions: [FetchSessionCache.PartitionKey: Int] = [:]
        for topic in request.topics {
            for partition in topic.partitions {
                let key = FetchSessionCache.PartitionKey(
                    topicID: usesIDs ? topic.topicId : .zero, topic: usesIDs ? "" : topic.topic,
                    partition: partition.partition)
                let entry = FetchSessionCache.Partition(
                    key: key, fetchOffset: partition.fetchOffset, partitionMaxBytes: partition.partitionMaxBytes,
                    currentLeaderEpoch: partition.currentLeaderEpoch)
                // Like Kafka's request map: a repeated partition keeps its first place, last values.
                if let position = positions[key] {
                    requested[position] = entry
                } else {
                    positions[key] = requested.count
                    requested.append(entry)
                }
            }
        }
        let mode: SessionMode
        let partitions: [FetchSessionCache.Partition]
        let sessionID = version >= 7 ? request.sessionId : 0
        let epoch = version >= 7 ? request.sessionEpoch : -1
        if epoch == -1 {
            mode = .sessionless(closing: sessionID)
            partitions = requested
        } else if epoch == 0 {
            mode = .create(replacing: sessionID)
            partitions = requested
        } else {
            guard let session = state.fetchSessions.session(broker: context.brokerID, id: sessionID) else {
                return .failure(FetchError(code: .fetchSessionIdNotFound))
            }
            guard session.nextEpoch == epoch else { return .failure(FetchError(code: .invalidFetchSessionEpoch)) }
            guard session.usesTopicIDs == usesIDs else { return .failure(FetchError(code: .fetchSessionTopicIdError)) }
            var forgotten = Set<FetchSessionCache.PartitionKey>()
            for topic in request.forgottenTopicsData {
                for index in topic.partitions {
                    forgotten.insert(
                        FetchSessionCache.PartitionKey(
                            topicID: usesIDs ? topic.topicId : .zero, topic: usesIDs ? "" : topic.topic,
                            partition: index))
                }
            }
            mode = .incremental(id: sessionID, epoch: epoch)
            partitions = session.applying(requested, forgetting: forgotten)
        }
        var names: [KafkaUUID: String] = [:]
        if usesIDs {
            names.reserveCapacity(state.topics.count)
            for topic in state.topics.values { names[topic.id] = topic.name }
        }
        let targets = partitions.map { entry in
            FetchTarget(entry: entry, topic: usesIDs ? names[entry.key.topicID] : entry.key.topic)
        }
        return .success(Plan(mode: mode, targets: targets))
    }

    /// Reads every target and answers; does the session bookkeeping of `plan`.
    static func build(_ request: FetchRequest, plan: Plan, in state: inout ClusterState, context: RequestContext)
        -> FetchResponse
    {
        let version = context.version
        let broker = context.brokerID
        var builder = FetchResponseBuilder(request: request, version: version, broker: broker, context: context)
        var response = FetchResponse()
        var answers: [(FetchTarget, FetchResponse.PartitionData)] = []
        answers.reserveCapacity(plan.targets.count)
        switch plan.mode {
        case .sessionless(let closing):
            if closing != 0 { state.fetchSessions.remove(broker: broker, id: closing) }
            for target in plan.targets { answers.append((target, builder.answer(target, in: state))) }
        case .create(let replacing):
            if replacing != 0 { state.fetchSessions.remove(broker: broker, id: replacing) }
            var entries: [FetchSessionCache.Partition] = []
            entries.reserveCapacity(plan.targets.count)
            for target in plan.targets {
                let data = builder.answer(target, in: state)
                answers.append((target, data))
                entries.append(remembering(data, in: target.entry))
            }
            response.sessionId = state.fetchSessions.create(
                broker: broker, usesTopicIDs: version >= 13, partitions: entries)
        case .incremental(let id, let epoch):
            var quiet: [FetchSessionCache.Partition] = []
            var answered: [FetchSessionCache.Partition] = []
            for target in plan.targets {
                let data = builder.answer(target, in: state)
                let entry = target.entry
                let changed =
                    (data.records?.readableBytes ?? 0) > 0 || data.errorCode != 0
                    || data.highWatermark != entry.highWatermark || data.logStartOffset != entry.logStartOffset
                    || data.lastStableOffset != entry.lastStableOffset
                if changed {
                    answers.append((target, data))
                    answered.append(remembering(data, in: entry))
                } else {
                    quiet.append(entry)
                }
            }
            // Answered partitions move to the end so that the next fetch starts with the others.
            state.fetchSessions.update(broker: broker, id: id, epoch: epoch, partitions: quiet + answered)
            response.sessionId = id
        }
        response.responses = FetchResponseBuilder.group(answers, version: version)
        response.nodeEndpoints = builder.nodeEndpoints(in: state)
        return response
    }

    /// `entry` with the answered offsets remembered (an error remembers -1, so that the partition
    /// is answered again once the error is gone).
    private static func remembering(_ data: FetchResponse.PartitionData, in entry: FetchSessionCache.Partition)
        -> FetchSessionCache.Partition
    {
        var entry = entry
        entry.highWatermark = data.errorCode == 0 ? data.highWatermark : -1
        entry.logStartOffset = data.logStartOffset
        entry.lastStableOffset = data.lastStableOffset
        return entry
    }
}
