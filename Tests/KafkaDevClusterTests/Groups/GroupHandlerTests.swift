import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// JoinGroup, SyncGroup, Heartbeat and LeaveGroup through their handlers, at their lowest and
/// highest versions.
@Suite(.timeLimit(.minutes(5))) struct GroupHandlerTests {
    typealias S = GroupTestSupport

    /// A 3-broker harness and the broker coordinating "g".
    func harness() -> (HandlerHarness, Int32) {
        let harness = HandlerHarness(brokers: 3)
        return (harness, harness.state.coordinator(type: 0, key: "g"))
    }

    func joinRequest(_ memberID: String = "", instance: String? = nil) -> JoinGroupRequest {
        JoinGroupRequest(
            groupId: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: memberID,
            groupInstanceId: instance, protocolType: "consumer",
            protocols: [.init(name: "range", metadata: S.subscription(["t"]))])
    }

    /// Polls a parked reply once at the harness time.
    func poll<R: KafkaResponse>(_ reply: DevReply<R>, _ harness: inout HandlerHarness, expired: Bool = false) -> R? {
        guard case .park(_, let poll) = reply else {
            Issue.record("expected a parked reply")
            return nil
        }
        return poll(&harness.state, harness.now, expired)
    }

    @Test func joinSyncHeartbeatLeaveAtHighestVersions() throws {
        var (h, node) = harness()
        let first = try h.respond(JoinGroupHandler.self, joinRequest(), version: 9, broker: node)
        #expect(first.errorCode == KafkaErrorCode.memberIdRequired.rawValue)
        #expect(first.memberId.hasPrefix("test-client-"))
        let a = first.memberId
        let joined = try h.respond(JoinGroupHandler.self, joinRequest(a), version: 9, broker: node)
        #expect(joined.errorCode == 0)
        #expect(joined.generationId == 1)
        #expect(joined.leader == a)
        #expect(joined.protocolType == "consumer")
        #expect(joined.protocolName == "range")
        #expect(joined.members.map(\.memberId) == [a])
        let synced = try h.respond(
            SyncGroupHandler.self,
            SyncGroupRequest(
                groupId: "g", generationId: 1, memberId: a, protocolType: "consumer", protocolName: "range",
                assignments: [.init(memberId: a, assignment: S.bytes("A"))]), version: 5, broker: node)
        #expect(synced.errorCode == 0)
        #expect(synced.assignment == S.bytes("A"))
        #expect(synced.protocolName == "range")
        let wrongName = try h.respond(
            SyncGroupHandler.self,
            SyncGroupRequest(groupId: "g", generationId: 1, memberId: a, protocolType: "consumer", protocolName: "x"),
            version: 5, broker: node)
        #expect(wrongName.errorCode == KafkaErrorCode.inconsistentGroupProtocol.rawValue)

        // A second member parks until the first rejoins.
        let bFirst = try h.respond(JoinGroupHandler.self, joinRequest(), version: 9, broker: node)
        let b = bFirst.memberId
        let bReply = h.reply(JoinGroupHandler.self, joinRequest(b), version: 9, broker: node)
        #expect(poll(bReply, &h) == nil)
        let beat = try h.respond(
            HeartbeatHandler.self, HeartbeatRequest(groupId: "g", generationId: 1, memberId: a), version: 4,
            broker: node)
        #expect(beat.errorCode == KafkaErrorCode.rebalanceInProgress.rawValue)
        let aRejoin = try h.respond(JoinGroupHandler.self, joinRequest(a), version: 9, broker: node)
        #expect(aRejoin.generationId == 2)
        #expect(Set(aRejoin.members.map(\.memberId)) == [a, b])
        let bJoined = try #require(poll(bReply, &h))
        let bRoundTrip = try HandlerHarness.roundTrip(bJoined, version: 9)
        #expect(bRoundTrip.generationId == 2)
        #expect(bRoundTrip.members.isEmpty)
        #expect(bRoundTrip.leader == a)

        // b's sync parks until the leader's.
        let bSync = h.reply(
            SyncGroupHandler.self, SyncGroupRequest(groupId: "g", generationId: 2, memberId: b), version: 5,
            broker: node)
        #expect(poll(bSync, &h) == nil)
        _ = try h.respond(
            SyncGroupHandler.self,
            SyncGroupRequest(
                groupId: "g", generationId: 2, memberId: a,
                assignments: [
                    .init(memberId: a, assignment: S.bytes("A2")), .init(memberId: b, assignment: S.bytes("B2")),
                ]
            ), version: 5, broker: node)
        let bAssigned = try HandlerHarness.roundTrip(try #require(poll(bSync, &h)), version: 5)
        #expect(bAssigned.errorCode == 0)
        #expect(bAssigned.assignment == S.bytes("B2"))

        let stale = try h.respond(
            HeartbeatHandler.self, HeartbeatRequest(groupId: "g", generationId: 1, memberId: a), version: 4,
            broker: node)
        #expect(stale.errorCode == KafkaErrorCode.illegalGeneration.rawValue)
        let left = try h.respond(
            LeaveGroupHandler.self,
            LeaveGroupRequest(groupId: "g", members: [.init(memberId: b), .init(memberId: "ghost")]), version: 5,
            broker: node)
        #expect(left.members.map(\.errorCode) == [0, KafkaErrorCode.unknownMemberId.rawValue])
        #expect(h.state.groups.groups["g"]?.state == .preparingRebalance)
    }

    @Test func joinSyncHeartbeatLeaveAtLowestVersions() throws {
        var (h, node) = harness()
        let joined = try h.respond(JoinGroupHandler.self, joinRequest(), version: 0, broker: node)
        #expect(joined.errorCode == 0)
        #expect(joined.generationId == 1)
        #expect(joined.leader == joined.memberId)
        let a = joined.memberId
        let synced = try h.respond(
            SyncGroupHandler.self,
            SyncGroupRequest(
                groupId: "g", generationId: 1, memberId: a, assignments: [.init(memberId: a, assignment: S.bytes("A"))]),
            version: 0, broker: node)
        #expect(synced.assignment == S.bytes("A"))
        let beat = try h.respond(
            HeartbeatHandler.self, HeartbeatRequest(groupId: "g", generationId: 1, memberId: a), version: 0,
            broker: node)
        #expect(beat.errorCode == 0)
        let unknown = try h.respond(
            HeartbeatHandler.self, HeartbeatRequest(groupId: "g", generationId: 1, memberId: "x"), version: 0,
            broker: node)
        #expect(unknown.errorCode == KafkaErrorCode.unknownMemberId.rawValue)
        let leftUnknown = try h.respond(
            LeaveGroupHandler.self, LeaveGroupRequest(groupId: "g", memberId: "x"), version: 0, broker: node)
        #expect(leftUnknown.errorCode == KafkaErrorCode.unknownMemberId.rawValue)
        let left = try h.respond(
            LeaveGroupHandler.self, LeaveGroupRequest(groupId: "g", memberId: a), version: 0, broker: node)
        #expect(left.errorCode == 0)
        #expect(h.state.groups.groups["g"]?.state == .empty)
    }

    @Test func parkedJoinCompletesWhenTheRebalanceTimesOut() throws {
        var (h, node) = harness()
        let a = try h.respond(JoinGroupHandler.self, joinRequest(), version: 3, broker: node).memberId
        _ = try h.respond(
            SyncGroupHandler.self, SyncGroupRequest(groupId: "g", generationId: 1, memberId: a), version: 3,
            broker: node)
        let bReply = h.reply(JoinGroupHandler.self, joinRequest(), version: 3, broker: node)
        h.now += 10_000
        h.state.groups.tick(now: h.now)
        let b = try HandlerHarness.roundTrip(try #require(poll(bReply, &h)), version: 3)
        #expect(b.errorCode == 0)
        #expect(b.generationId == 2)
        #expect(b.leader == b.memberId)
        #expect(h.state.groups.groups["g"]?.has(a) == false)
    }

    @Test func staticMemberThroughTheHandler() throws {
        var (h, node) = harness()
        let first = try h.respond(JoinGroupHandler.self, joinRequest(instance: "i1"), version: 5, broker: node)
        #expect(first.errorCode == 0)
        #expect(first.memberId.hasPrefix("i1-"))
        #expect(first.members.first?.groupInstanceId == "i1")
        _ = try h.respond(
            SyncGroupHandler.self,
            SyncGroupRequest(groupId: "g", generationId: 1, memberId: first.memberId, groupInstanceId: "i1"),
            version: 5, broker: node)
        let again = try h.respond(JoinGroupHandler.self, joinRequest(instance: "i1"), version: 5, broker: node)
        #expect(again.errorCode == 0)
        #expect(again.generationId == 1)
        #expect(again.memberId != first.memberId)
        let fenced = try h.respond(
            HeartbeatHandler.self,
            HeartbeatRequest(groupId: "g", generationId: 1, memberId: first.memberId, groupInstanceId: "i1"),
            version: 4, broker: node)
        #expect(fenced.errorCode == KafkaErrorCode.fencedInstanceId.rawValue)
        let leave = try h.respond(
            LeaveGroupHandler.self, LeaveGroupRequest(groupId: "g", members: [.init(groupInstanceId: "i1")]),
            version: 3, broker: node)
        #expect(leave.members.first?.errorCode == 0)
    }

    @Test func notCoordinatorAndInvalidGroupID() throws {
        var (h, node) = harness()
        let other: Int32 = node == 1 ? 2 : 1
        let join = try h.respond(JoinGroupHandler.self, joinRequest(), version: 9, broker: other)
        #expect(join.errorCode == KafkaErrorCode.notCoordinator.rawValue)
        let sync = try h.respond(SyncGroupHandler.self, SyncGroupRequest(groupId: "g"), version: 5, broker: other)
        #expect(sync.errorCode == KafkaErrorCode.notCoordinator.rawValue)
        let beat = try h.respond(HeartbeatHandler.self, HeartbeatRequest(groupId: "g"), version: 4, broker: other)
        #expect(beat.errorCode == KafkaErrorCode.notCoordinator.rawValue)
        let leave = try h.respond(LeaveGroupHandler.self, LeaveGroupRequest(groupId: "g"), version: 5, broker: other)
        #expect(leave.errorCode == KafkaErrorCode.notCoordinator.rawValue)
        var empty = joinRequest()
        empty.groupId = ""
        let invalid = try h.respond(JoinGroupHandler.self, empty, version: 9, broker: node)
        #expect(invalid.errorCode == KafkaErrorCode.invalidGroupId.rawValue)
        let invalidBeat = try h.respond(HeartbeatHandler.self, HeartbeatRequest(groupId: ""), version: 0, broker: node)
        #expect(invalidBeat.errorCode == KafkaErrorCode.invalidGroupId.rawValue)
    }
}
