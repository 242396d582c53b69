import KafkaProtocol
import NIOCore
import Testing

/// Hand-checked encodings of a few messages and frames, independent of the kio vectors.
struct MessageCodecTests {
    @Test func apiVersionsRequestV3FrameBytes() throws {
        let request = ApiVersionsRequest(clientSoftwareName: "k", clientSoftwareVersion: "1")
        var frame = ByteBuffer()
        try KafkaFrame.encodeRequest(request, version: 3, correlationID: 7, clientID: "c", into: &frame)
        let expected: [UInt8] = [
            0, 0, 0, 17,  // size
            0, 18, 0, 3,  // api key 18, version 3
            0, 0, 0, 7,  // correlation id
            0, 1, 0x63,  // client id: legacy (non-compact) string even in header v2
            0,  // header tagged fields
            2, 0x6B, 2, 0x31,  // compact strings "k", "1"
            0,  // body tagged fields
        ]
        #expect(Array(frame.readableBytesView) == expected)
    }

    @Test func requestHeaderVersionsZeroToTwo() throws {
        let header = RequestHeader(requestApiKey: 3, requestApiVersion: 1, correlationId: 9, clientId: "id")
        #expect(Array(try header.encoded(version: 0).readableBytesView) == [0, 3, 0, 1, 0, 0, 0, 9])
        #expect(Array(try header.encoded(version: 1).readableBytesView) == [0, 3, 0, 1, 0, 0, 0, 9, 0, 2, 0x69, 0x64])
        #expect(
            Array(try header.encoded(version: 2).readableBytesView) == [0, 3, 0, 1, 0, 0, 0, 9, 0, 2, 0x69, 0x64, 0])
        var nullClient = header
        nullClient.clientId = nil
        #expect(Array(try nullClient.encoded(version: 1).readableBytesView) == [0, 3, 0, 1, 0, 0, 0, 9, 0xFF, 0xFF])
    }

    @Test func requestFramesDecodeOnTheServerSide() throws {
        for version in [Int16(4), 12] {
            let request = MetadataRequest(topics: [.init(name: "orders")], allowAutoTopicCreation: false)
            var frame = ByteBuffer()
            try KafkaFrame.encodeRequest(request, version: version, correlationID: 77, clientID: "svc", into: &frame)
            let size = try frame.readKafkaInt32()
            #expect(Int(size) == frame.readableBytes)
            let header = try KafkaFrame.decodeRequestHeader(&frame)
            #expect(header.requestApiKey == MetadataRequest.apiKey.rawValue)
            #expect(header.requestApiVersion == version)
            #expect(header.correlationId == 77)
            #expect(header.clientId == "svc")
            #expect(try MetadataRequest.decode(from: frame, version: version) == request)
        }
    }

    @Test func apiVersionsFallbackToleratesUnsupportedVersionAnswers() throws {
        // librdkafka 2.0.2's mock cluster answers ApiVersions v3 with these bytes (after the header).
        let mock = ByteBuffer(bytes: [0x00, 0x23, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00])
        #expect(throws: KafkaProtocolError.self) { try ApiVersionsResponse.decode(from: mock, version: 3) }
        let tolerated = try ApiVersionsResponse.decodeAllowingFallback(from: mock, version: 3)
        #expect(KafkaErrorCode(rawValue: tolerated.errorCode) == .unsupportedVersion)
        // A broker following KIP-511 answers in the v0 layout, listing the ApiVersions range.
        let kip511 = try ApiVersionsResponse(
            errorCode: KafkaErrorCode.unsupportedVersion.rawValue,
            apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 2)]
        ).encoded(version: 0)
        let parsed = try ApiVersionsResponse.decodeAllowingFallback(from: kip511, version: 3)
        #expect(parsed.apiKeys.first?.maxVersion == 2)
        // Anything else is still an error.
        #expect(throws: KafkaProtocolError.self) {
            try ApiVersionsResponse.decodeAllowingFallback(from: ByteBuffer(bytes: [0, 0, 1]), version: 3)
        }
    }

    @Test func nullsWhereTheSchemaForbidsThemReadAsDefaults() throws {
        // librdkafka's mock cluster sends a null Host in FindCoordinator v2 error responses.
        var bytes = ByteBuffer()
        bytes.writeKafkaInt32(0)  // throttle
        bytes.writeKafkaInt16(KafkaErrorCode.coordinatorNotAvailable.rawValue)
        try bytes.writeKafkaString(nil, compact: false)  // error message (nullable)
        bytes.writeKafkaInt32(-1)  // node id
        try bytes.writeKafkaString(nil, compact: false)  // host: not nullable in the schema
        bytes.writeKafkaInt32(-1)  // port
        let response = try FindCoordinatorResponse.decode(from: bytes, version: 2)
        #expect(response.host == "")
        #expect(KafkaErrorCode(rawValue: response.errorCode) == .coordinatorNotAvailable)
    }

    @Test func headerVersionsFollowFlexibility() {
        #expect(MetadataRequest.requestHeaderVersion(for: 8) == 1)
        #expect(MetadataRequest.requestHeaderVersion(for: 9) == 2)
        #expect(MetadataRequest.responseHeaderVersion(for: 8) == 0)
        #expect(MetadataRequest.responseHeaderVersion(for: 9) == 1)
        // ApiVersions responses always use header v0 so old brokers can answer.
        #expect(ApiVersionsRequest.responseHeaderVersion(for: 3) == 0)
        #expect(ApiVersionsRequest.requestHeaderVersion(for: 3) == 2)
    }

    @Test func requestTypesKnowKeysRangesAndResponses() throws {
        #expect(ProduceRequest.apiKey.rawValue == 0)
        #expect(FetchRequest.validVersions == 0...17)
        #expect(FetchRequest.firstFlexibleVersion == 12)
        #expect(OffsetDeleteRequest.firstFlexibleVersion == nil)
        #expect(KafkaMessageRegistry.requestTypes.count == KafkaAPIKey.allKnown.count)
        let type = try #require(KafkaMessageRegistry.requestType(for: .joinGroup))
        #expect(type.messageName == "JoinGroupRequest")
        #expect(KafkaAPIKey.describeCluster.name == "DescribeCluster")
    }

    @Test func responseFrameRoundTripChecksCorrelationID() throws {
        var body = ByteBuffer()
        try ResponseHeader(correlationId: 42).encode(into: &body, version: 1)
        let response = MetadataResponse(
            throttleTimeMs: 5, brokers: [.init(nodeId: 1, host: "localhost", port: 9092, rack: nil)],
            clusterId: "cluster", controllerId: 1,
            topics: [.init(errorCode: 0, name: "orders", topicId: KafkaUUID(high: 1, low: 2), partitions: [])])
        try response.encode(into: &body, version: 12)
        let (correlationID, decoded) = try KafkaFrame.decodeResponse(
            to: MetadataRequest.self, version: 12, frame: body, expectedCorrelationID: 42)
        #expect(correlationID == 42)
        #expect(decoded == response)
        #expect(throws: KafkaProtocolError.self) {
            try KafkaFrame.decodeResponse(to: MetadataRequest.self, version: 12, frame: body, expectedCorrelationID: 41)
        }
    }

    @Test func unknownTaggedFieldsAreKeptAndReEncodedInTagOrder() throws {
        var known = MetadataResponse()
        known.topics = []
        var bytes = try known.encoded(version: 12)
        // Replace the trailing empty tagged-field section with two unknown fields (tags 5 and 9).
        bytes.moveWriterIndex(to: bytes.writerIndex - 1)
        bytes.writeBytes([2, 5, 1, 0xAA, 9, 2, 0xBB, 0xCC])
        let decoded = try MetadataResponse.decode(from: bytes, version: 12)
        #expect(decoded.unknownTaggedFields.map(\.tag) == [5, 9])
        #expect(try decoded.encoded(version: 12) == bytes)
    }

    @Test func knownTaggedFieldsAreWrittenOnlyWhenNotDefault() throws {
        var partition = FetchResponse.PartitionData(partitionIndex: 0, records: nil)
        let plain = try FetchResponse(responses: [.init(topicId: .zero, partitions: [partition])]).encoded(version: 16)
        partition.currentLeader = .init(leaderId: 3, leaderEpoch: 7)
        let withLeader = try FetchResponse(responses: [.init(topicId: .zero, partitions: [partition])])
            .encoded(version: 16)
        #expect(withLeader.readableBytes > plain.readableBytes)
        let decoded = try FetchResponse.decode(from: withLeader, version: 16)
        #expect(decoded.responses.first?.partitions.first?.currentLeader.leaderEpoch == 7)
    }

    @Test func fieldsAVersionCannotCarryAreRejectedNotDropped() throws {
        // Metadata v0 has no way to say "do not auto-create topics".
        let request = MetadataRequest(topics: [], allowAutoTopicCreation: false)
        #expect(throws: KafkaProtocolError.self) { try request.encoded(version: 3) }
        #expect(throws: Never.self) { try request.encoded(version: 4) }
        // A null where the version does not allow one is an error, not a silent empty value.
        #expect(throws: KafkaProtocolError.self) { try MetadataRequest(topics: nil).encoded(version: 0) }
    }

    @Test func decodeErrorsNameTheAPIVersionTopicAndPartition() throws {
        let response = ProduceResponse(responses: [
            .init(name: "orders", partitionResponses: [.init(index: 4, errorCode: 0, baseOffset: 10)])
        ])
        let bytes = try response.encoded(version: 8)
        let truncated = bytes.getSlice(at: 0, length: bytes.readableBytes - 6) ?? ByteBuffer()
        do {
            _ = try ProduceResponse.decode(from: truncated, version: 8)
            Issue.record("decoding a truncated response succeeded")
        } catch let error as KafkaProtocolError {
            let text = error.description
            #expect(text.contains("ProduceResponse v8"), "\(text)")
            #expect(text.contains("topic=orders"), "\(text)")
            #expect(text.contains("partition=4"), "\(text)")
        }
    }
}
