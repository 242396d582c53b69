import KafkaProtocol
import Testing

@testable import KafkaConsumer

struct FetchSessionBuilderTests {
    static let a0 = TopicPartition(topic: "a", partition: 0)
    static let a1 = TopicPartition(topic: "a", partition: 1)
    static let b0 = TopicPartition(topic: "b", partition: 0)
    static let ids: [String: KafkaUUID] = ["a": KafkaUUID(high: 1, low: 1), "b": KafkaUUID(high: 2, low: 2)]

    static func wanted(_ offsets: [TopicPartition: Int64]) -> [TopicPartition: FetchPartitionRequest] {
        offsets.mapValues { FetchPartitionRequest(fetchOffset: $0, maxBytes: 1 << 20, currentLeaderEpoch: 4) }
    }

    /// (topic name or id, partition, fetch offset) of each partition in the request.
    static func sent(_ request: FetchSessionBuilder.Request, version: Int16) -> [String] {
        request.topics.flatMap { topic in
            topic.partitions.map { p in
                let name = version >= 13 ? "\(topic.topicId.high)" : topic.topic
                return "\(name)-\(p.partition)@\(p.fetchOffset)"
            }
        }
    }

    static func forgotten(_ request: FetchSessionBuilder.Request, version: Int16) -> [String] {
        request.forgottenTopicsData.flatMap { topic in
            topic.partitions.map { "\(version >= 13 ? "\(topic.topicId.high)" : topic.topic)-\($0)" }
        }
    }

    static func respond(_ builder: inout FetchSessionBuilder, errorCode: KafkaErrorCode, sessionId: Int32) -> Bool {
        builder.handleResponse(errorCode: errorCode, sessionId: sessionId)
    }

    /// The request encodes at `version` (no field the version cannot carry).
    static func encodes(_ request: FetchSessionBuilder.Request, version: Int16) throws {
        var fetch = FetchRequest(maxWaitMs: 500, minBytes: 1)
        request.apply(to: &fetch)
        let bytes = try fetch.encoded(version: version)
        let decoded = try FetchRequest.decode(from: bytes, version: version)
        #expect(decoded.topics.count == request.topics.count)
    }

    @Test(arguments: [Int16(12), 13, 17])
    func fullThenIncrementalThenErrorsThenClose(version: Int16) throws {
        let (a, b) = version >= 13 ? ("1", "2") : ("a", "b")
        var builder = FetchSessionBuilder()
        // Full request creating a session.
        var request = builder.nextRequest(
            Self.wanted([Self.a0: 10, Self.a1: 20, Self.b0: 30]), version: version, topicIds: Self.ids)
        try Self.encodes(request, version: version)
        #expect(request.isFull && request.sessionId == 0 && request.sessionEpoch == 0)
        #expect(Self.sent(request, version: version) == ["\(a)-0@10", "\(a)-1@20", "\(b)-0@30"])
        #expect(Self.respond(&builder, errorCode: .none, sessionId: 77))
        #expect(builder.sessionId == 77 && builder.nextEpoch == 1)
        if version >= 13 { #expect(builder.topicName(for: Self.ids["b"]!) == "b") }

        // Incremental: a0 unchanged, a1 advanced, b0 dropped.
        request = builder.nextRequest(Self.wanted([Self.a0: 10, Self.a1: 25]), version: version, topicIds: Self.ids)
        try Self.encodes(request, version: version)
        #expect(!request.isFull && request.sessionId == 77 && request.sessionEpoch == 1)
        #expect(Self.sent(request, version: version) == ["\(a)-1@25"])
        #expect(Self.forgotten(request, version: version) == ["\(b)-0"])
        #expect(Self.respond(&builder, errorCode: .none, sessionId: 77))
        #expect(builder.nextEpoch == 2)

        // Nothing changed: an empty incremental request; then b0 is added back.
        request = builder.nextRequest(Self.wanted([Self.a0: 10, Self.a1: 25]), version: version, topicIds: Self.ids)
        #expect(request.topics.isEmpty && request.forgottenTopicsData.isEmpty && request.sessionEpoch == 2)
        builder.handleResponse(errorCode: .none, sessionId: 77)
        request = builder.nextRequest(
            Self.wanted([Self.a0: 10, Self.a1: 25, Self.b0: 31]), version: version, topicIds: Self.ids)
        #expect(Self.sent(request, version: version) == ["\(b)-0@31"] && request.sessionEpoch == 3)

        // INVALID_FETCH_SESSION_EPOCH: the next request is full, closing session 77.
        #expect(!Self.respond(&builder, errorCode: .invalidFetchSessionEpoch, sessionId: 0))
        request = builder.nextRequest(
            Self.wanted([Self.a0: 10, Self.a1: 25, Self.b0: 31]), version: version, topicIds: Self.ids)
        #expect(request.isFull && request.sessionId == 77 && request.sessionEpoch == 0)
        #expect(Self.sent(request, version: version).count == 3)
        #expect(Self.respond(&builder, errorCode: .none, sessionId: 78))
        #expect(builder.sessionId == 78 && builder.nextEpoch == 1)

        // FETCH_SESSION_ID_NOT_FOUND: full, without a session id.
        _ = builder.nextRequest(Self.wanted([Self.a0: 11]), version: version, topicIds: Self.ids)
        #expect(!Self.respond(&builder, errorCode: .fetchSessionIdNotFound, sessionId: 0))
        request = builder.nextRequest(Self.wanted([Self.a0: 11]), version: version, topicIds: Self.ids)
        #expect(request.isFull && request.sessionId == 0 && request.sessionEpoch == 0)
        builder.handleResponse(errorCode: .none, sessionId: 90)

        // FETCH_SESSION_TOPIC_ID_ERROR and a transport failure also force a full request.
        _ = builder.nextRequest(Self.wanted([Self.a0: 12]), version: version, topicIds: Self.ids)
        #expect(!Self.respond(&builder, errorCode: .fetchSessionTopicIdError, sessionId: 0))
        #expect(builder.nextRequestIsFull)
        _ = builder.nextRequest(Self.wanted([Self.a0: 12]), version: version, topicIds: Self.ids)
        builder.handleResponse(errorCode: .none, sessionId: 91)
        _ = builder.nextRequest(Self.wanted([Self.a0: 13]), version: version, topicIds: Self.ids)
        builder.handleError()
        #expect(builder.nextRequestIsFull && builder.sessionId == 91)

        // Close: epoch -1, no partitions.
        let closeRequest = builder.close()
        let close = try #require(closeRequest)
        try Self.encodes(close, version: version)
        #expect(close.sessionId == 91 && close.sessionEpoch == -1 && close.topics.isEmpty)
        let second = builder.close()
        #expect(second == nil)
        #expect(builder.sessionId == 0 && builder.nextRequestIsFull)
    }

    @Test func version6IsAlwaysSessionless() throws {
        var builder = FetchSessionBuilder()
        for offset in Int64(0)..<3 {
            let request = builder.nextRequest(Self.wanted([Self.a0: offset, Self.b0: 5]), version: 6)
            try Self.encodes(request, version: 6)
            #expect(request.isFull && request.sessionId == 0 && request.sessionEpoch == -1)
            #expect(Self.sent(request, version: 6) == ["a-0@\(offset)", "b-0@5"])
            #expect(Self.respond(&builder, errorCode: .none, sessionId: 0))
        }
        let close = builder.close()
        #expect(close == nil)
        #expect(!Self.respond(&builder, errorCode: .notLeaderOrFollower, sessionId: 0))
    }

    @Test func topicIdsRequiredFrom13() {
        var builder = FetchSessionBuilder()
        let request = builder.nextRequest(
            Self.wanted([Self.a0: 1, TopicPartition(topic: "c", partition: 2): 3]), version: 13, topicIds: Self.ids)
        #expect(request.partitionsWithoutTopicId == [TopicPartition(topic: "c", partition: 2)])
        #expect(request.topics.map(\.topicId) == [Self.ids["a"]!])
        #expect(request.topics.allSatisfy { $0.topic.isEmpty })
    }

    @Test func recreatedTopicIsForgottenAndReadded() {
        var builder = FetchSessionBuilder()
        _ = builder.nextRequest(Self.wanted([Self.a0: 1]), version: 13, topicIds: Self.ids)
        builder.handleResponse(errorCode: .none, sessionId: 5)
        var ids = Self.ids
        ids["a"] = KafkaUUID(high: 9, low: 9)
        let request = builder.nextRequest(Self.wanted([Self.a0: 1]), version: 13, topicIds: ids)
        #expect(Self.sent(request, version: 13) == ["9-0@1"])
        #expect(Self.forgotten(request, version: 13) == ["1-0"])
        #expect(builder.topicName(for: KafkaUUID(high: 9, low: 9)) == "a")
    }

    @Test func switchingBetweenNamesAndIdsStartsAFullSession() {
        var builder = FetchSessionBuilder()
        _ = builder.nextRequest(Self.wanted([Self.a0: 1]), version: 12)
        builder.handleResponse(errorCode: .none, sessionId: 5)
        let request = builder.nextRequest(Self.wanted([Self.a0: 1]), version: 13, topicIds: Self.ids)
        #expect(request.isFull && request.sessionId == 5 && request.sessionEpoch == 0)
    }

    @Test func sessionClosedOrNotCreatedByBroker() {
        var builder = FetchSessionBuilder()
        _ = builder.nextRequest(Self.wanted([Self.a0: 1]), version: 12)
        builder.handleResponse(errorCode: .none, sessionId: 5)
        _ = builder.nextRequest(Self.wanted([Self.a0: 2]), version: 12)
        // An incremental response without a session id: the broker closed it.
        #expect(Self.respond(&builder, errorCode: .none, sessionId: 0))
        #expect(builder.nextRequestIsFull && builder.sessionId == 0)
        // A full response without a session id: the broker did not create one.
        _ = builder.nextRequest(Self.wanted([Self.a0: 2]), version: 12)
        #expect(Self.respond(&builder, errorCode: .none, sessionId: 0))
        #expect(builder.nextRequestIsFull)
    }
}
