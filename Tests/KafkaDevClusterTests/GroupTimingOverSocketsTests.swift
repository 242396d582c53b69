import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import Logging
import NIOCore
import Testing

/// The group coordinator's timers through the real server path, with a hand-moved clock: two members
/// over sockets, the first parked in JoinGroup until the second arrives, then one stops heartbeating
/// and is removed once the clock passes its session timeout (`cluster.tick()`).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct GroupTimingOverSocketsTests {
    @Test func joinBarrierAndSessionExpiryWithAManualClock() async throws {
        let clock = ManualDevClock()
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 3
        configuration.clock = clock
        configuration.topics = ["timed": 2]
        let cluster = try await DevCluster(configuration: configuration)
        let probe = try await DevClusterClientTests.connect(cluster)
        let found = try await probe.send(FindCoordinatorRequest(keyType: 0, coordinatorKeys: ["timed-group"]))
        let coordinator = try #require(found.coordinators.first?.nodeId)
        let index = try #require(cluster.brokers.firstIndex { $0.nodeID == coordinator })
        let first = try await DevClusterClientTests.connect(cluster, broker: index)
        let second = try await DevClusterClientTests.connect(cluster, broker: index)

        func join(_ connection: BrokerConnection, memberID: String) async throws -> JoinGroupResponse {
            try await connection.send(
                JoinGroupRequest(
                    groupId: "timed-group", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 60_000, memberId: memberID,
                    protocolType: "consumer",
                    protocols: [JoinGroupRequest.JoinGroupRequestProtocol(name: "range", metadata: ByteBuffer())]),
                timeout: .seconds(10))
        }
        let firstID = try await join(first, memberID: "").memberId
        let firstJoined = try await join(first, memberID: firstID)
        #expect(firstJoined.errorCode == 0 && firstJoined.generationId == 1 && firstJoined.leader == firstID)
        _ = try await first.send(
            SyncGroupRequest(
                groupId: "timed-group", generationId: 1, memberId: firstID, protocolType: "consumer",
                protocolName: "range",
                assignments: [.init(memberId: firstID, assignment: ByteBuffer(string: "all"))]))

        // The second member's join starts a rebalance; the first learns it from its heartbeat and rejoins.
        let secondID = try await join(second, memberID: "").memberId
        async let secondJoin = join(second, memberID: secondID)
        var heartbeat = HeartbeatResponse()
        for _ in 0..<100 where heartbeat.errorCode != KafkaErrorCode.rebalanceInProgress.rawValue {
            heartbeat = try await first.send(
                HeartbeatRequest(groupId: "timed-group", generationId: 1, memberId: firstID))
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(heartbeat.errorCode == KafkaErrorCode.rebalanceInProgress.rawValue)
        let rejoined = try await join(first, memberID: firstID)
        let secondJoined = try await secondJoin
        #expect(rejoined.generationId == 2 && secondJoined.generationId == 2)
        #expect(rejoined.members.count == 2, "the leader gets every member")

        // Nobody heartbeats any more: past the session timeout both members are gone.
        clock.advance(byMillis: 10_001)
        cluster.tick()
        let described = try await second.send(DescribeGroupsRequest(groups: ["timed-group"]), version: 0)
        let group = try #require(described.groups.first)
        #expect(group.groupState == "Empty")
        #expect(group.members.isEmpty)
        let stale = try await first.send(HeartbeatRequest(groupId: "timed-group", generationId: 2, memberId: firstID))
        #expect(stale.errorCode == KafkaErrorCode.unknownMemberId.rawValue)
        for connection in [probe, first, second] { await connection.close() }
        await cluster.shutdown()
    }
}
