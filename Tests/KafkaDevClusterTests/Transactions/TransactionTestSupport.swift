import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// A one-broker harness with topic `t` (2 partitions) and helpers that speak the transaction APIs
/// through ``HandlerHarness`` (every request and response round-tripped through the wire format).
struct TransactionFixture {
    var harness: HandlerHarness
    var producerID: Int64 = -1
    var epoch: Int16 = -1
    /// The next sequence per partition.
    var sequences: [Int32: Int32] = [:]

    init() {
        harness = HandlerHarness(brokers: 1)
        harness.state.createTopic("t", partitions: 2, replicationFactor: 1)
    }

    /// InitProducerId for `id`; remembers the producer.
    @discardableResult
    mutating func initProducer(_ id: String = "tx", timeoutMs: Int32 = 60_000, version: Int16 = 5) throws
        -> InitProducerIdResponse
    {
        let response = try harness.respond(
            InitProducerIdHandler.self,
            InitProducerIdRequest(
                transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1),
            version: version)
        if response.errorCode == 0 {
            producerID = response.producerId
            epoch = response.producerEpoch
            sequences = [:]
        }
        return response
    }

    /// AddPartitionsToTxn; the error code per partition (topic-partition → code).
    mutating func addPartitions(
        _ partitions: [Int32], topic: String = "t", id: String = "tx", producerID: Int64? = nil, epoch: Int16? = nil,
        version: Int16 = 3
    ) throws -> [String: Int16] {
        let request = AddPartitionsToTxnRequest(
            v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerID ?? self.producerID,
            v3AndBelowProducerEpoch: epoch ?? self.epoch,
            v3AndBelowTopics: [.init(name: topic, partitions: partitions)])
        let response = try harness.respond(AddPartitionsToTxnHandler.self, request, version: version)
        var codes: [String: Int16] = [:]
        for topic in response.resultsByTopicV3AndBelow {
            for partition in topic.resultsByPartition {
                codes["\(topic.name)-\(partition.partitionIndex)"] = partition.partitionErrorCode
            }
        }
        return codes
    }

    /// AddOffsetsToTxn; the error code.
    mutating func addOffsets(group: String = "g", id: String = "tx", epoch: Int16? = nil, version: Int16 = 3) throws
        -> Int16
    {
        try harness.respond(
            AddOffsetsToTxnHandler.self,
            AddOffsetsToTxnRequest(
                transactionalId: id, producerId: producerID, producerEpoch: epoch ?? self.epoch, groupId: group),
            version: version
        ).errorCode
    }

    /// EndTxn; the error code.
    mutating func end(commit: Bool, id: String = "tx", epoch: Int16? = nil, version: Int16 = 3) throws -> Int16 {
        try harness.respond(
            EndTxnHandler.self,
            EndTxnRequest(
                transactionalId: id, producerId: producerID, producerEpoch: epoch ?? self.epoch, committed: commit),
            version: version
        ).errorCode
    }

    /// Produces `count` records to `t-partition` as this producer (transactional unless told not).
    mutating func produce(
        partition: Int32 = 0, count: Int = 2, transactional: Bool = true, epoch: Int16? = nil
    ) throws -> ProduceResponse.PartitionProduceResponse {
        let sequence = sequences[partition, default: 0]
        let batch = try ProduceTestSupport.batch(
            count: count, producerID: producerID, epoch: epoch ?? self.epoch, sequence: sequence,
            transactional: transactional)
        let answer = try ProduceTestSupport.produce(&harness, batch, partition: partition)
        if answer.errorCode == 0 { sequences[partition] = sequence + Int32(count) }
        return answer
    }

    /// Produces `count` plain records (no producer id) to `t-partition`.
    mutating func producePlain(partition: Int32 = 0, count: Int = 1) throws -> ProduceResponse.PartitionProduceResponse
    {
        try ProduceTestSupport.produce(&harness, ProduceTestSupport.batch(count: count), partition: partition)
    }

    /// A fetch of `t-partition` from `offset`.
    mutating func fetch(
        partition: Int32 = 0, offset: Int64 = 0, readCommitted: Bool, version: Int16 = 12
    ) throws -> FetchResponse.PartitionData {
        let response = try harness.respond(
            FetchHandler.self,
            FetchFixtures.request(
                "t", partitions: [(partition, offset)], version: version, isolationLevel: readCommitted ? 1 : 0),
            version: version)
        return try #require(response.responses.first?.partitions.first)
    }

    /// The batches of a fetched records buffer: (base offset, last offset, control).
    static func batches(_ data: FetchResponse.PartitionData) throws -> [(base: Int64, last: Int64, control: Bool)] {
        var reader = RecordBatchReader(data.records ?? ByteBuffer())
        return try reader.collect().compactMap { entry in
            guard case .batch(let batch) = entry else { return nil }
            return (batch.baseOffset, batch.baseOffset + Int64(batch.lastOffsetDelta), batch.isControlBatch)
        }
    }

    /// ListOffsets latest (-1) of `t-partition` at the isolation level.
    mutating func latestOffset(partition: Int32 = 0, readCommitted: Bool) throws -> Int64 {
        var request = ListOffsetsRequest(replicaId: -1, isolationLevel: readCommitted ? 1 : 0)
        request.topics = [.init(name: "t", partitions: [.init(partitionIndex: partition, timestamp: -1)])]
        let response = try harness.respond(ListOffsetsHandler.self, request, version: 7)
        return try #require(response.topics.first?.partitions.first?.offset)
    }

    /// The partition's log.
    func log(_ partition: Int32 = 0) throws -> PartitionLog {
        try #require(harness.state.partition("t", partition)?.log)
    }
}
