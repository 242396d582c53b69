import KafkaProtocol
import NIOCore

/// One partition a fetch reads: the client's parameters (as a session partition) and the topic
/// name its id resolves to (nil for an unknown topic id).
struct FetchTarget: Sendable {
    var entry: FetchSessionCache.Partition
    var topic: String?
}

/// Builds the per-partition answers of one fetch, in fetch order, applying the response-wide byte
/// limit and KIP-74's first-batch rule.
///
/// Records are whole stored v2 batches, concatenated into one buffer allocated once (a single batch
/// is passed on without copying). Old fetch versions (below 4) get the v2 batches as stored: the dev
/// cluster never down-converts to message formats 0 and 1. Kafka may end a partition's records with
/// a truncated batch when a limit cuts it; here only whole batches are returned, except at versions
/// 0–2 (no KIP-74) when not even the first batch fits the partition limit: then its first
/// `partitionMaxBytes` bytes are returned, as Kafka does, so that old clients report the record as
/// too large instead of fetching nothing forever.
struct FetchResponseBuilder {
    let version: Int16
    let broker: Int32
    let readCommitted: Bool
    /// Bytes still allowed by the request's `maxBytes` (v3+).
    private var remaining: Int
    /// Whether a partition returned records already (KIP-74 lets only the first exceed the limits).
    private var hasData = false
    /// Leaders reported with NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH (v16+ node endpoints).
    private var leaders: Set<Int32> = []

    /// The request's context, whose principal must have READ on each topic (with an authorizer).
    let context: RequestContext?

    init(request: FetchRequest, version: Int16, broker: Int32, context: RequestContext? = nil) {
        self.context = context
        self.version = version
        self.broker = broker
        readCommitted = version >= 4 && request.isolationLevel == 1
        remaining = version >= 3 ? max(Int(request.maxBytes), 0) : Int.max
    }

    /// Checks that `target` can be read on `broker`: returns its partition, or the partition error.
    static func check(
        _ target: FetchTarget, in state: ClusterState, broker: Int32, context: RequestContext? = nil
    ) -> Result<ClusterState.Partition, FetchError> {
        guard let topic = target.topic else { return .failure(FetchError(code: .unknownTopicId)) }
        if let context, !state.authorizes(context, DevAcls.Operation.read, DevAcls.ResourceType.topic, topic) {
            return .failure(FetchError(code: .topicAuthorizationFailed))
        }
        let index = target.entry.key.partition
        guard let partition = state.partition(topic, index) else {
            return .failure(FetchError(code: .unknownTopicOrPartition))
        }
        let leadership = state.leadership(topic, index, broker: broker)
        let epoch = target.entry.currentLeaderEpoch
        // Kafka checks the epoch first on every replica hosting the partition, then leadership.
        if epoch != -1, leadership == .none || partition.replicas.contains(broker) {
            if epoch > partition.leaderEpoch { return .failure(FetchError(code: .unknownLeaderEpoch)) }
            if epoch < partition.leaderEpoch { return .failure(FetchError(code: .fencedLeaderEpoch, partition)) }
        }
        switch leadership {
        case .none: break
        case .unknownTopicOrPartition: return .failure(FetchError(code: .unknownTopicOrPartition))
        default: return .failure(FetchError(code: .notLeaderOrFollower, partition))
        }
        let log = partition.log
        let offset = target.entry.fetchOffset
        guard offset >= log.logStartOffset, offset <= log.highWatermark else {
            return .failure(FetchError(code: .offsetOutOfRange))
        }
        return .success(partition)
    }

    /// The offset reads stop before: the last stable offset for read_committed, else the high
    /// watermark.
    func upperBound(_ log: PartitionLog) -> Int64 {
        readCommitted ? log.lastStableOffset : log.highWatermark
    }

    /// The answer for one partition, reading its records within the limits left.
    mutating func answer(_ target: FetchTarget, in state: ClusterState) -> FetchResponse.PartitionData {
        let partition: ClusterState.Partition
        switch Self.check(target, in: state, broker: broker, context: context) {
        case .failure(let error):
            var data = errorData(target.entry.key.partition, error.code)
            if version >= 16, let leader = error.partition {
                data.currentLeader = FetchResponse.LeaderIdAndEpoch(
                    leaderId: leader.leader, leaderEpoch: leader.leaderEpoch)
                if leader.leader >= 0 { leaders.insert(leader.leader) }
            }
            return data
        case .success(let found):
            partition = found
        }
        let log = partition.log
        var data = FetchResponse.PartitionData()
        data.partitionIndex = target.entry.key.partition
        data.highWatermark = log.highWatermark
        if version >= 4 {
            data.lastStableOffset = log.lastStableOffset
            data.abortedTransactions = readCommitted ? [] : nil
        }
        if version >= 5 { data.logStartOffset = log.logStartOffset }
        let offset = target.entry.fetchOffset
        let (records, end) = readRange(
            log, from: offset, partitionMaxBytes: target.entry.partitionMaxBytes, before: upperBound(log))
        data.records = records
        if version >= 4, readCommitted, end > offset {
            data.abortedTransactions = log.transactions.abortedTransactions(from: offset, before: end).map {
                FetchResponse.AbortedTransaction(producerId: $0.producerID, firstOffset: $0.firstOffset)
            }
        }
        return data
    }

    /// The partition answer carrying `code`: no records, every offset -1, as Kafka answers errors.
    func errorData(_ index: Int32, _ code: KafkaErrorCode) -> FetchResponse.PartitionData {
        var data = FetchResponse.PartitionData()
        data.partitionIndex = index
        data.errorCode = code.rawValue
        data.highWatermark = -1
        if version >= 4 { data.abortedTransactions = nil }
        return data
    }

    /// Whole batches from `offset` within the partition and response limits; batches starting at or
    /// after `upper` (the high watermark or last stable offset) are left out.
    mutating func read(_ log: PartitionLog, from offset: Int64, partitionMaxBytes: Int32, before upper: Int64)
        -> ByteBuffer
    {
        readRange(log, from: offset, partitionMaxBytes: partitionMaxBytes, before: upper).records
    }

    /// ``read(_:from:partitionMaxBytes:before:)``, also answering the offset after the last batch
    /// returned (`offset` when none), which bounds the aborted transactions to report.
    mutating func readRange(_ log: PartitionLog, from offset: Int64, partitionMaxBytes: Int32, before upper: Int64)
        -> (records: ByteBuffer, end: Int64)
    {
        let limit = min(max(Int(partitionMaxBytes), 0), remaining)
        guard offset < upper else { return (ByteBuffer(), offset) }
        let read = log.read(from: offset, maxBytes: limit, minOneBatch: version >= 3 && !hasData)
        let batches = read.prefix { $0.baseOffset < upper }
        guard let first = batches.first else {
            // Versions 0-2: the first batch does not fit; Kafka returns its first `limit` bytes.
            let index = log.batchIndex(containing: max(offset, log.logStartOffset))
            guard version < 3, limit > 0, index < log.batches.count, log.batches[index].baseOffset < upper else {
                return (ByteBuffer(), offset)
            }
            let bytes = log.batches[index].bytes
            let cut = bytes.getSlice(at: bytes.readerIndex, length: min(limit, bytes.readableBytes)) ?? ByteBuffer()
            consume(cut.readableBytes)
            return (cut, log.batches[index].lastOffset &+ 1)
        }
        var records: ByteBuffer
        if batches.count == 1 {
            records = first.bytes
        } else {
            var total = 0
            for batch in batches { total += batch.bytes.readableBytes }
            records = ByteBuffer()
            records.reserveCapacity(total)
            for batch in batches { records.writeImmutableBuffer(batch.bytes) }
        }
        consume(records.readableBytes)
        return (records, (batches.last?.lastOffset ?? offset) &+ 1)
    }

    private mutating func consume(_ bytes: Int) {
        guard bytes > 0 else { return }
        hasData = true
        remaining = max(remaining - bytes, 0)
    }

    /// The endpoints of the leaders reported in partition errors (v16+), by node id.
    func nodeEndpoints(in state: ClusterState) -> [FetchResponse.NodeEndpoint] {
        guard version >= 16 else { return [] }
        return leaders.sorted().compactMap { id in
            guard let node = state.broker(id), node.isUp else { return nil }
            return FetchResponse.NodeEndpoint(nodeId: id, host: node.host, port: node.port, rack: node.rack)
        }
    }

    /// Groups partition answers into topics, keeping their order (consecutive partitions of one topic
    /// share an entry, as in Kafka's responses).
    static func group(
        _ answers: [(FetchTarget, FetchResponse.PartitionData)], version: Int16
    ) -> [FetchResponse.FetchableTopicResponse] {
        var topics: [FetchResponse.FetchableTopicResponse] = []
        var lastKey: (KafkaUUID, String)?
        for (target, data) in answers {
            let key = (target.entry.key.topicID, target.entry.key.topic)
            if let lastKey, lastKey == key, !topics.isEmpty {
                topics[topics.count - 1].partitions.append(data)
                continue
            }
            lastKey = key
            var topic = FetchResponse.FetchableTopicResponse()
            if version >= 13 { topic.topicId = key.0 } else { topic.topic = key.1 }
            topic.partitions = [data]
            topics.append(topic)
        }
        return topics
    }
}

/// A partition error, with the partition when its leader is worth reporting (v16+).
struct FetchError: Error {
    var code: KafkaErrorCode
    var partition: ClusterState.Partition?

    init(code: KafkaErrorCode, _ partition: ClusterState.Partition? = nil) {
        self.code = code
        self.partition = partition
    }
}

extension PartitionLog {
    /// Bytes of the batches from the one holding `offset` up to (not including) the first batch
    /// starting at or after `upper`, counting at most up to `cap`: what a long poll waits for.
    func fetchableBytes(from offset: Int64, before upper: Int64, cap: Int) -> Int {
        guard offset < upper, cap > 0 else { return 0 }
        var index = batchIndex(containing: max(offset, logStartOffset))
        var total = 0
        while index < batches.count, total < cap, batches[index].baseOffset < upper {
            total += batches[index].bytes.readableBytes
            index += 1
        }
        return total
    }
}
