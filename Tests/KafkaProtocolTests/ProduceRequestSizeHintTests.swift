import KafkaProtocol
import NIOCore
import Testing

@Suite(.timeLimit(.minutes(5))) struct ProduceRequestSizeHintTests {
    private func request(partitions: [Int], transactionalID: String?) -> ProduceRequest {
        let topics = ["orders", "a-much-longer-topic-name-for-the-hint"].map { name in
            ProduceRequest.TopicProduceData(
                name: name,
                partitionData: partitions.enumerated().map { index, size in
                    ProduceRequest.PartitionProduceData(
                        index: Int32(index), records: ByteBuffer(repeating: 7, count: size))
                })
        }
        return ProduceRequest(transactionalId: transactionalID, acks: -1, timeoutMs: 30_000, topicData: topics)
    }

    @Test(arguments: [Int16(3), 8, 9, 11])
    func theHintCoversTheEncodedBodyWithASmallMargin(version: Int16) throws {
        for (partitions, id) in [([16_384], nil), ([100, 16_384, 70_000], "tx-1"), ([0, 1], nil)] as [([Int], String?)]
        {
            let request = request(partitions: partitions, transactionalID: id)
            let encoded = try request.encoded(version: version).readableBytes
            #expect(request.encodedSizeHint >= encoded)
            #expect(request.encodedSizeHint <= encoded + 256)
        }
    }

    @Test func otherRequestsGiveNoHint() {
        #expect(MetadataRequest().encodedSizeHint == 0)
    }
}
