import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

@Suite(.timeLimit(.minutes(5))) struct ListOffsetsTests {
    typealias S = ProduceTestSupport
    typealias Entry = ListOffsetsResponse.ListOffsetsPartitionResponse

    /// Partition t-0 holding offsets 0-2 (timestamps 100-102), 3-4 (500, 501) and 5 (300).
    static func harness() throws -> HandlerHarness {
        var harness = S.harness()
        _ = try S.produce(&harness, S.batch(count: 3, timestamp: 100))
        _ = try S.produce(&harness, S.batch(count: 2, timestamp: 500))
        _ = try S.produce(&harness, S.batch(count: 1, timestamp: 300))
        return harness
    }

    static func request(
        _ timestamp: Int64, partition: Int32 = 0, leaderEpoch: Int32 = -1, replicaID: Int32 = -1,
        isolation: Int8 = 0, maxNumOffsets: Int32 = 1
    ) -> ListOffsetsRequest {
        ListOffsetsRequest(
            replicaId: replicaID, isolationLevel: isolation,
            topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(
                            partitionIndex: partition, currentLeaderEpoch: leaderEpoch, timestamp: timestamp,
                            maxNumOffsets: maxNumOffsets)
                    ])
            ])
    }

    static func lookup(
        _ harness: inout HandlerHarness, _ request: ListOffsetsRequest, version: Int16 = 10, broker: Int32 = 1
    ) throws -> Entry {
        let response = try harness.respond(ListOffsetsHandler.self, request, version: version, broker: broker)
        return try #require(response.topics.first?.partitions.first)
    }

    @Test(arguments: [Int16(1), 4, 10])
    func specialTimestamps(version: Int16) throws {
        var harness = try Self.harness()
        harness.state.withPartition("t", 0) { $0.leaderEpoch = 3 }
        let latest = try Self.lookup(&harness, Self.request(-1), version: version)
        #expect(latest.errorCode == 0)
        #expect(latest.offset == 6)
        #expect(latest.timestamp == -1)
        #expect(latest.leaderEpoch == (version >= 4 ? 3 : -1))
        let earliest = try Self.lookup(&harness, Self.request(-2), version: version)
        #expect(earliest.offset == 0)
        #expect(earliest.leaderEpoch == (version >= 4 ? 0 : -1))  // the epoch the first batch was written in
        let max = try Self.lookup(&harness, Self.request(-3), version: version)
        #expect(max.offset == 4)
        #expect(max.timestamp == 501)
        #expect(try Self.lookup(&harness, Self.request(-4), version: version).offset == 0)
        let tiered = try Self.lookup(&harness, Self.request(-5), version: version)
        #expect(tiered.offset == -1)
        #expect(tiered.timestamp == -1)
    }

    @Test func byTimestamp() throws {
        var harness = try Self.harness()
        let exact = try Self.lookup(&harness, Self.request(101))
        #expect(exact.offset == 1)
        #expect(exact.timestamp == 101)
        let between = try Self.lookup(&harness, Self.request(200))
        #expect(between.offset == 3)
        #expect(between.timestamp == 500)
        #expect(try Self.lookup(&harness, Self.request(0)).offset == 0)
        let none = try Self.lookup(&harness, Self.request(502), version: 1)
        #expect(none.errorCode == 0)
        #expect(none.offset == -1)
        #expect(none.timestamp == -1)
        // After DeleteRecords the search starts at the log start.
        harness.state.withPartition("t", 0) { $0.log.deleteRecords(before: 2) }
        #expect(try Self.lookup(&harness, Self.request(0)).offset == 2)
        #expect(try Self.lookup(&harness, Self.request(-2)).offset == 2)
    }

    @Test func emptyLog() throws {
        var harness = S.harness()
        let max = try Self.lookup(&harness, Self.request(-3))
        #expect(max.offset == -1)
        #expect(max.timestamp == -1)
        #expect(max.leaderEpoch == -1)
        #expect(try Self.lookup(&harness, Self.request(-1)).offset == 0)
        #expect(try Self.lookup(&harness, Self.request(-2)).offset == 0)
        #expect(try Self.lookup(&harness, Self.request(5)).offset == -1)
    }

    @Test func logAppendTimeTopicsSearchByAppendTime() throws {
        var harness = S.harness(configs: ["message.timestamp.type": "LogAppendTime"])
        _ = try S.produce(&harness, S.batch(count: 2, timestamp: 1))
        let found = try Self.lookup(&harness, Self.request(harness.now))
        #expect(found.offset == 0)
        #expect(found.timestamp == harness.now)
    }

    @Test func readCommittedUsesTheLastStableOffset() throws {
        var harness = try Self.harness()
        #expect(try Self.lookup(&harness, Self.request(-1, isolation: 1), version: 2).offset == 6)
        #expect(try Self.lookup(&harness, Self.request(-1, isolation: 1)).offset == 6)
    }

    @Test func version0OldStyleOffsets() throws {
        var harness = try Self.harness()
        let latest = try Self.lookup(&harness, Self.request(-1, maxNumOffsets: 10), version: 0)
        #expect(latest.oldStyleOffsets == [6, 0])
        #expect(try Self.lookup(&harness, Self.request(-1), version: 0).oldStyleOffsets == [6])
        #expect(try Self.lookup(&harness, Self.request(-2, maxNumOffsets: 5), version: 0).oldStyleOffsets == [0])
        #expect(try Self.lookup(&harness, Self.request(50, maxNumOffsets: 5), version: 0).oldStyleOffsets == [])
        #expect(try Self.lookup(&harness, Self.request(600, maxNumOffsets: 5), version: 0).oldStyleOffsets == [0])
        let now = try Self.lookup(&harness, Self.request(harness.now, maxNumOffsets: 5), version: 0)
        #expect(now.oldStyleOffsets == [6, 0])
        #expect(try Self.lookup(&harness, Self.request(-1, maxNumOffsets: 0), version: 0).oldStyleOffsets == [])
        let notLeader = try Self.lookup(&harness, Self.request(-1), version: 0, broker: 2)
        #expect(notLeader.errorCode == KafkaErrorCode.notLeaderOrFollower.rawValue)
    }

    @Test(arguments: [Int16(0), 10])
    func accessErrors(version: Int16) throws {
        var harness = try Self.harness()
        let follower = try Self.lookup(&harness, Self.request(-1), version: version, broker: 2)
        #expect(follower.errorCode == KafkaErrorCode.notLeaderOrFollower.rawValue)
        let unknown = try Self.lookup(&harness, Self.request(-1, partition: 9), version: version)
        #expect(unknown.errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
        #expect(unknown.offset == -1)
    }

    @Test(arguments: [Int16(4), 10])
    func leaderEpochFencing(version: Int16) throws {
        var harness = try Self.harness()
        harness.state.withPartition("t", 0) { $0.leaderEpoch = 5 }
        let old = try Self.lookup(&harness, Self.request(-1, leaderEpoch: 4), version: version)
        #expect(old.errorCode == KafkaErrorCode.fencedLeaderEpoch.rawValue)
        let new = try Self.lookup(&harness, Self.request(-1, leaderEpoch: 6), version: version)
        #expect(new.errorCode == KafkaErrorCode.unknownLeaderEpoch.rawValue)
        let current = try Self.lookup(&harness, Self.request(-1, leaderEpoch: 5), version: version)
        #expect(current.errorCode == 0)
        #expect(current.leaderEpoch == 5)
    }

    @Test func debuggingReplicaMayAskAFollower() throws {
        var harness = try Self.harness()
        harness.state.withPartition("t", 0) { $0.replicas = [1, 2] }
        let answer = try Self.lookup(&harness, Self.request(-1, replicaID: -2), broker: 2)
        #expect(answer.errorCode == 0)
        #expect(answer.offset == 6)
        let outsider = try Self.lookup(&harness, Self.request(-1, replicaID: -2), broker: 3)
        #expect(outsider.errorCode == KafkaErrorCode.notLeaderOrFollower.rawValue)
    }

    @Test func duplicatePartitionsAreInvalid() throws {
        var harness = try Self.harness()
        var request = Self.request(-1)
        request.topics[0].partitions.append(.init(partitionIndex: 0, timestamp: -2))
        for version in [Int16(1), 10] {
            let response = try harness.respond(ListOffsetsHandler.self, request, version: version)
            #expect(
                response.topics[0].partitions.map(\.errorCode) == [
                    KafkaErrorCode.invalidRequest.rawValue, KafkaErrorCode.invalidRequest.rawValue,
                ])
        }
    }

    @Test(arguments: [Int16(0), 10])
    func errorResponse(version: Int16) throws {
        var request = Self.request(-1)
        request.topics.append(.init(name: "u", partitions: [.init(partitionIndex: 1, timestamp: -1)]))
        let harness = S.harness()
        let response = ListOffsetsHandler.errorResponse(
            to: request, error: .leaderNotAvailable, context: harness.context(version: version))
        let decoded = try HandlerHarness.roundTrip(response, version: version)
        #expect(decoded.topics.flatMap(\.partitions).map(\.errorCode) == [5, 5])
        #expect(decoded.topics.flatMap(\.partitions).map(\.partitionIndex) == [0, 1])
    }
}
