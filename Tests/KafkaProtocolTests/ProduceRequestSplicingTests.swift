import KafkaProtocol
import NIOCore
import Testing

/// A produce request's record batches are written from their own buffers (spliced), not copied into the frame: the
/// pieces, joined, must be exactly the frame the generated encoder writes.
@Suite(.timeLimit(.minutes(5))) struct ProduceRequestSplicingTests {
    private static func records(_ size: Int, seed: UInt8) -> ByteBuffer {
        ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed })
    }

    private static func request(transactionalID: String?, partitions: [Int?]) -> ProduceRequest {
        let topics = ["orders", "a-much-longer-topic-name-with-Ünïcode"].enumerated().map { topicIndex, name in
            ProduceRequest.TopicProduceData(
                name: name,
                partitionData: partitions.enumerated().map { index, size in
                    ProduceRequest.PartitionProduceData(
                        index: Int32(index * 3 + topicIndex),
                        records: size.map { records($0, seed: UInt8(index + topicIndex)) })
                })
        }
        return ProduceRequest(transactionalId: transactionalID, acks: -1, timeoutMs: 30_000, topicData: topics)
    }

    private static func whole(_ request: ProduceRequest, version: Int16, clientID: String?) throws -> ByteBuffer {
        var frame = ByteBuffer()
        try KafkaFrame.encodeRequest(request, version: version, correlationID: 42, clientID: clientID, into: &frame)
        return frame
    }

    @Test(arguments: Array(ProduceRequest.validVersions))
    func joinedPiecesAreTheGeneratedFrameAtEveryVersion(version: Int16) throws {
        let cases: [(String?, [Int?])] = [
            (nil, [16_384]), ("tx-1", [100, 16_384, 70_000]), (nil, [0, 1, nil]), (nil, [200]),
        ]
        for (id, partitions) in cases {
            // Versions before 3 have no transactional id: the generated encoder refuses one, and so does splicing.
            let request = Self.request(transactionalID: version < 3 ? nil : id, partitions: partitions)
            for clientID in ["perf", nil] as [String?] {
                let spliced = try KafkaFrame.encodeRequestSpliced(
                    request, version: version, correlationID: 42, clientID: clientID, into: ByteBuffer())
                let expected = try Self.whole(request, version: version, clientID: clientID)
                #expect(spliced.joined == expected, "v\(version) \(partitions)")
                #expect(spliced.totalBytes == expected.readableBytes)
                // The size prefix counts the spliced bytes.
                #expect(
                    spliced.frame.getInteger(at: spliced.frame.readerIndex, as: Int32.self).map(Int.init)
                        == expected.readableBytes - 4)
                if version >= 3 {
                    // Every non-empty batch is spliced, none is in the frame, in order.
                    let batches = request.topicData.flatMap(\.partitionData).compactMap(\.records).filter {
                        $0.readableBytes > 0
                    }
                    #expect(spliced.splices.map(\.bytes) == batches)
                    #expect(spliced.splices.map(\.offset) == spliced.splices.map(\.offset).sorted())
                    #expect(
                        spliced.frame.readableBytes == expected.readableBytes
                            - batches.reduce(0) { $0 + $1.readableBytes })
                } else {
                    #expect(spliced.splices.isEmpty)  // the generated encoder writes these versions whole
                }
            }
        }
    }

    @Test func unknownTaggedFieldsAreEncodedWhole() throws {
        var request = Self.request(transactionalID: nil, partitions: [500])
        request.topicData[0].partitionData[0].unknownTaggedFields = [
            UnknownTaggedField(tag: 7, data: ByteBuffer(bytes: [1, 2]))
        ]
        try Self.expectEncodedWhole(request, version: 11)
    }

    @Test func otherRequestsAreEncodedWhole() throws {
        let request = MetadataRequest(topics: [.init(name: "orders")], allowAutoTopicCreation: false)
        try Self.expectEncodedWhole(request, version: 12)
    }

    /// The spliced encoding of `request` splices nothing: its frame is the generated encoder's, whole.
    private static func expectEncodedWhole<R: KafkaRequest>(_ request: R, version: Int16) throws {
        let spliced = try KafkaFrame.encodeRequestSpliced(
            request, version: version, correlationID: 9, clientID: "c", into: ByteBuffer())
        var expected = ByteBuffer()
        try KafkaFrame.encodeRequest(request, version: version, correlationID: 9, clientID: "c", into: &expected)
        #expect(spliced.splices.isEmpty)
        #expect(spliced.frame == expected)
    }

    @Test func anUnknownVersionIsRefused() {
        #expect(throws: KafkaProtocolError.self) {
            _ = try KafkaFrame.encodeRequestSpliced(
                Self.request(transactionalID: nil, partitions: [1]), version: 99, correlationID: 1, clientID: nil,
                into: ByteBuffer())
        }
    }

    @Test func theFrameIsWrittenAfterTheBuffersExistingBytes() throws {
        var buffer = ByteBuffer()
        buffer.writeString("prefix")
        buffer.moveReaderIndex(forwardBy: 6)  // consumed bytes before the frame, as a reused buffer may hold
        let request = Self.request(transactionalID: "t", partitions: [300, 20])
        let spliced = try KafkaFrame.encodeRequestSpliced(
            request, version: 9, correlationID: 3, clientID: "c", into: buffer)
        var expected = ByteBuffer()
        try KafkaFrame.encodeRequest(request, version: 9, correlationID: 3, clientID: "c", into: &expected)
        #expect(spliced.joined == expected)
    }
}
