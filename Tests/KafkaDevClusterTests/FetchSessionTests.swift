import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// Incremental fetch sessions (KIP-227) through the Fetch handler.
@Suite(.timeLimit(.minutes(5))) struct FetchSessionTests {
    typealias F = FetchFixtures

    /// Creates a session over partitions 0...2 of `t` at `version`; returns its id.
    static func createSession(_ harness: inout HandlerHarness, version: Int16) throws -> Int32 {
        let id = try #require(harness.state.topics["t"]).id
        let response = try harness.respond(
            FetchHandler.self,
            F.request("t", id: id, partitions: [(0, 0), (1, 0), (2, 0)], version: version, sessionID: 0, epoch: 0),
            version: version)
        #expect(response.errorCode == 0)
        #expect(response.sessionId > 0)
        #expect(F.partitions(response).keys.sorted() == [0, 1, 2])
        return response.sessionId
    }

    @Test(arguments: [Int16(7), 12, 13, 17])
    func incrementalFetchesAnswerOnlyWhatChanged(version: Int16) throws {
        var harness = F.harness(partitions: 3)
        try F.append(&harness.state, "t", 0, records: 2)
        let session = try Self.createSession(&harness, version: version)
        let id = try #require(harness.state.topics["t"]).id
        #expect(harness.state.fetchSessions.session(broker: 1, id: session)?.nextEpoch == 1)
        #expect(harness.state.fetchSessions.session(broker: 1, id: session)?.usesTopicIDs == (version >= 13))

        // Epoch 1: the client moved partition 0 to offset 2; new data arrived on partition 1 only.
        try F.append(&harness.state, "t", 1, records: 3)
        let first = try harness.respond(
            FetchHandler.self,
            F.request("t", id: id, partitions: [(0, 2)], version: version, sessionID: session, epoch: 1),
            version: version)
        #expect(first.sessionId == session)
        #expect(first.errorCode == 0)
        let answered = F.partitions(first)
        #expect(answered.keys.sorted() == [1])
        #expect(try F.offsets(answered[1]?.records) == [0...2])

        // Epoch 2: partition 1 moved on, nothing changed since: an empty answer.
        let second = try harness.respond(
            FetchHandler.self,
            F.request("t", id: id, partitions: [(1, 3)], version: version, sessionID: session, epoch: 2),
            version: version)
        #expect(second.sessionId == session)
        #expect(second.responses.isEmpty)

        // Epoch 3: data on partition 2 (never listed since the session began) comes back alone.
        try F.append(&harness.state, "t", 2, records: 1)
        let third = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [], version: version, sessionID: session, epoch: 3),
            version: version)
        #expect(F.partitions(third).keys.sorted() == [2])
        #expect(harness.state.fetchSessions.session(broker: 1, id: session)?.nextEpoch == 4)
    }

    @Test(arguments: [Int16(7), 13])
    func forgottenPartitionsLeaveTheSession(version: Int16) throws {
        var harness = F.harness(partitions: 3)
        let session = try Self.createSession(&harness, version: version)
        let id = try #require(harness.state.topics["t"]).id
        var request = F.request("t", id: id, partitions: [], version: version, sessionID: session, epoch: 1)
        request.forgottenTopicsData = [
            FetchRequest.ForgottenTopic(
                topic: version >= 13 ? "" : "t", topicId: version >= 13 ? id : .zero, partitions: [0])
        ]
        let response = try harness.respond(FetchHandler.self, request, version: version)
        #expect(response.responses.isEmpty)
        let kept = harness.state.fetchSessions.session(broker: 1, id: session)?.partitions.map(\.key.partition)
        #expect(kept?.sorted() == [1, 2])
        try F.append(&harness.state, "t", 0, records: 1)
        let after = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [], version: version, sessionID: session, epoch: 2),
            version: version)
        #expect(after.responses.isEmpty)
    }

    @Test func addingAPartitionAnswersIt() throws {
        var harness = F.harness(partitions: 4)
        let session = try Self.createSession(&harness, version: 12)
        let response = try harness.respond(
            FetchHandler.self, F.request("t", partitions: [(3, 0)], version: 12, sessionID: session, epoch: 1),
            version: 12)
        #expect(F.partitions(response).keys.sorted() == [3])
        #expect(F.partitions(response)[3]?.highWatermark == 0)
    }

    @Test func errorsAreAnsweredEveryTime() throws {
        var harness = F.harness(partitions: 3)
        let session = try Self.createSession(&harness, version: 12)
        for epoch: Int32 in 1...2 {
            let response = try harness.respond(
                FetchHandler.self, F.request("t", partitions: [(7, 0)], version: 12, sessionID: session, epoch: epoch),
                version: 12)
            #expect(F.partitions(response)[7]?.errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
        }
    }

    @Test(arguments: [Int16(7), 17])
    func sessionErrors(version: Int16) throws {
        var harness = F.harness(partitions: 3)
        let session = try Self.createSession(&harness, version: version)
        let id = try #require(harness.state.topics["t"]).id
        let wrongEpoch = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [], version: version, sessionID: session, epoch: 5),
            version: version)
        #expect(wrongEpoch.errorCode == KafkaErrorCode.invalidFetchSessionEpoch.rawValue)
        #expect(wrongEpoch.sessionId == 0)
        #expect(wrongEpoch.responses.isEmpty)
        let unknown = try harness.respond(
            FetchHandler.self,
            F.request("t", id: id, partitions: [], version: version, sessionID: session &+ 1, epoch: 1),
            version: version)
        #expect(unknown.errorCode == KafkaErrorCode.fetchSessionIdNotFound.rawValue)
        // Sessions belong to the broker that created them.
        let elsewhere = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [], version: version, sessionID: session, epoch: 1),
            version: version, broker: 2)
        #expect(elsewhere.errorCode == KafkaErrorCode.fetchSessionIdNotFound.rawValue)
        // The failed requests did not move the session on.
        #expect(harness.state.fetchSessions.session(broker: 1, id: session)?.nextEpoch == 1)
    }

    @Test func aSessionWithTopicIDsRefusesNames() throws {
        var harness = F.harness(partitions: 3)
        let session = try Self.createSession(&harness, version: 13)
        let response = try harness.respond(
            FetchHandler.self, F.request("t", partitions: [], version: 12, sessionID: session, epoch: 1), version: 12)
        #expect(response.errorCode == KafkaErrorCode.fetchSessionTopicIdError.rawValue)
    }

    @Test(arguments: [Int16(7), 17])
    func finalEpochClosesTheSession(version: Int16) throws {
        var harness = F.harness(partitions: 3)
        try F.append(&harness.state, "t", 0, records: 2)
        let session = try Self.createSession(&harness, version: version)
        let id = try #require(harness.state.topics["t"]).id
        let response = try harness.respond(
            FetchHandler.self,
            F.request("t", id: id, partitions: [(0, 0)], version: version, sessionID: session, epoch: -1),
            version: version)
        #expect(response.sessionId == 0)
        #expect(try F.offsets(F.partitions(response)[0]?.records) == [0...1])
        #expect(harness.state.fetchSessions.session(broker: 1, id: session) == nil)
        // Sessionless fetches create nothing.
        let sessionless = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 0)], version: version, sessionID: 0, epoch: -1),
            version: version)
        #expect(sessionless.sessionId == 0)
        #expect(harness.state.fetchSessions.count == 0)
    }

    @Test func aNewFullFetchReplacesTheSession() throws {
        var harness = F.harness(partitions: 3)
        let first = try Self.createSession(&harness, version: 12)
        let response = try harness.respond(
            FetchHandler.self, F.request("t", partitions: [(0, 0)], version: 12, sessionID: first, epoch: 0),
            version: 12)
        #expect(response.sessionId != first)
        #expect(harness.state.fetchSessions.session(broker: 1, id: first) == nil)
        #expect(harness.state.fetchSessions.count == 1)
    }

    @Test func theCacheEvictsTheLeastRecentlyUsedSession() throws {
        var cache = FetchSessionCache()
        cache.capacity = 2
        let a = cache.create(broker: 1, usesTopicIDs: false, partitions: [])
        let b = cache.create(broker: 1, usesTopicIDs: false, partitions: [])
        cache.update(broker: 1, id: a, epoch: 1, partitions: [])
        let c = cache.create(broker: 1, usesTopicIDs: false, partitions: [])
        #expect(cache.count == 2)
        #expect(cache.session(broker: 1, id: a)?.nextEpoch == 2)
        #expect(cache.session(broker: 1, id: b) == nil)
        #expect(cache.session(broker: 1, id: c) != nil)
        #expect(FetchSessionCache.epoch(after: Int32.max) == 1)
        cache.capacity = 0
        #expect(cache.create(broker: 1, usesTopicIDs: false, partitions: []) == 0)
    }

    @Test func aParkedIncrementalFetchUpdatesTheSessionWhenAnswered() throws {
        var harness = F.harness(partitions: 3)
        let session = try Self.createSession(&harness, version: 12)
        let request = F.request(
            "t", partitions: [], version: 12, maxWaitMs: 500, minBytes: 1, sessionID: session, epoch: 1)
        guard case .park(_, let poll) = harness.reply(FetchHandler.self, request, version: 12) else {
            Issue.record("expected a parked fetch")
            return
        }
        #expect(poll(&harness.state, harness.now, false) == nil)
        #expect(harness.state.fetchSessions.session(broker: 1, id: session)?.nextEpoch == 1)
        try F.append(&harness.state, "t", 2, records: 4)
        let response = try #require(poll(&harness.state, harness.now, false))
        #expect(response.sessionId == session)
        #expect(F.partitions(response).keys.sorted() == [2])
        #expect(try F.offsets(F.partitions(response)[2]?.records) == [0...3])
        #expect(harness.state.fetchSessions.session(broker: 1, id: session)?.nextEpoch == 2)
    }
}
