import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing

extension ProduceRequestTests {
    func sampleBatches() throws -> [(TopicPartitionKey, ByteBuffer)] {
        [
            (TopicPartitionKey(topic: "orders", partition: 2), try makeUnstampedBatch(values: ["o2"])),
            (TopicPartitionKey(topic: "payments", partition: 0), try makeUnstampedBatch(values: ["p0"])),
            (TopicPartitionKey(topic: "orders", partition: 0), try makeUnstampedBatch(values: ["o0", "o0b"])),
            (TopicPartitionKey(topic: "payments", partition: 5), try makeUnstampedBatch(values: ["p5"])),
        ]
    }

    @Test func buildGroupsBatchesByTopic() throws {
        let batches = try sampleBatches()
        let request = try ProduceRequestBuilder.build(
            batches: batches, acks: -1, timeout: .seconds(30), transactionalID: "tx-1", version: 11)
        #expect(request.acks == -1)
        #expect(request.timeoutMs == 30_000)
        #expect(request.transactionalId == "tx-1")
        #expect(request.topicData.map(\.name) == ["orders", "payments"])
        #expect(request.topicData[0].partitionData.map(\.index) == [2, 0])
        #expect(request.topicData[1].partitionData.map(\.index) == [0, 5])
        #expect(request.topicData[0].partitionData[0].records == batches[0].1)
        #expect(request.topicData[0].partitionData[1].records == batches[2].1)
        #expect(request.topicData[1].partitionData[0].records == batches[1].1)
        #expect(request.topicData[1].partitionData[1].records == batches[3].1)
    }

    @Test(arguments: ProduceRequest.validVersions)
    func buildRoundTripsAtEverySupportedVersion(version: Int16) throws {
        let supported = ProduceRequestBuilder.supportedVersions.contains(version)
        #expect(supported == (version >= 3))
        let batches = try sampleBatches()
        guard supported else {
            let error = try #require(throws: KafkaProtocolError.self) {
                try ProduceRequestBuilder.build(
                    batches: batches, acks: 1, timeout: .milliseconds(1500), transactionalID: nil, version: version)
            }
            #expect(error.kind == .unsupportedVersion)
            return
        }
        for transactionalID in [nil, "tx"] as [String?] {
            let request = try ProduceRequestBuilder.build(
                batches: batches, acks: 1, timeout: .milliseconds(1500), transactionalID: transactionalID,
                version: version)
            var buffer = ByteBuffer()
            try request.encode(into: &buffer, version: version)
            let decoded = try ProduceRequest(from: &buffer, version: version)
            #expect(buffer.readableBytes == 0)
            #expect(decoded == request)
            #expect(decoded.transactionalId == transactionalID)
            #expect(decoded.timeoutMs == 1500)
            let records = try #require(decoded.topicData.first?.partitionData.first?.records)
            #expect(try RecordBatch(decoding: records).recordCount == 1)
        }
    }

    @Test func buildAcceptsDrainedStyleStampedBatches() throws {
        var batch = try makeUnstampedBatch()
        try RecordBatchStamp.stamp(&batch, producerID: 3, producerEpoch: 0, baseSequence: 0, isTransactional: false)
        let request = try ProduceRequestBuilder.build(
            batches: [(TopicPartitionKey(topic: "t", partition: 0), batch)], acks: 0, timeout: .zero,
            transactionalID: nil, version: 9)
        #expect(request.acks == 0 && request.timeoutMs == 0 && request.transactionalId == nil)
        let records = try #require(request.topicData.first?.partitionData.first?.records)
        #expect(try RecordBatch(decoding: records).producerId == 3)
    }

    @Test func buildRejectsInvalidArguments() throws {
        let batches = try sampleBatches()
        func build(
            _ batches: [(TopicPartitionKey, ByteBuffer)], acks: Int16 = -1, timeout: Duration = .seconds(1),
            version: Int16 = 11
        ) throws -> ProduceRequest {
            try ProduceRequestBuilder.build(
                batches: batches, acks: acks, timeout: timeout, transactionalID: nil, version: version)
        }
        #expect(throws: KafkaProtocolError.self) { try build(batches, acks: 2) }
        #expect(throws: KafkaProtocolError.self) { try build(batches, acks: -2) }
        #expect(throws: KafkaProtocolError.self) { try build(batches, timeout: .milliseconds(-1)) }
        #expect(throws: KafkaProtocolError.self) { try build(batches, timeout: .seconds(Int64(Int32.max))) }
        #expect(throws: KafkaProtocolError.self) { try build(batches, timeout: .seconds(Int64.max)) }
        #expect(throws: KafkaProtocolError.self) { try build(batches, version: 12) }
        #expect(throws: KafkaProtocolError.self) { try build(batches, version: -1) }
        #expect(throws: KafkaProtocolError.self) { try build([]) }
        let duplicate = try #require(throws: KafkaProtocolError.self) { try build(batches + [batches[0]]) }
        #expect(duplicate.message.contains("orders-2"))
        let notABatch = try #require(throws: KafkaProtocolError.self) {
            try build([(TopicPartitionKey(topic: "t", partition: 1), ByteBuffer(string: "not a record batch"))])
        }
        #expect(notABatch.context.contains("batch for t-1"))
        // The largest timeout that fits is accepted.
        #expect(try build(batches, timeout: .milliseconds(Int64(Int32.max))).timeoutMs == Int32.max)
    }
}
