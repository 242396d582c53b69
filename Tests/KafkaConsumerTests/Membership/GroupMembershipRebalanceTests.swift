import KafkaNetwork
import KafkaProtocol
import Testing

@testable import KafkaConsumer

@Suite("Group membership: rebalances, errors, timeouts and close", .timeLimit(.minutes(5)))
struct GroupMembershipRebalanceTests {
    static let cooperative = "cooperative-sticky"

    @Test("eager REBALANCE_IN_PROGRESS: revoke everything, then rejoin")
    func eagerRebalance() {
        let h = MembershipHarness()
        h.joinAsFollower(partitions: [0, 1])
        h.advance(to: 3000)
        #expect(h.machine.tick(now: h.now) == [h.heartbeat(generation: 1, memberId: "m1"), h.timer(10_000)])
        #expect(
            h.machine.heartbeatResponse(MembershipHarness.heartbeatResponse(.rebalanceInProgress), now: h.now) == [
                .revokePartitions([tp(0), tp(1)]), h.join(memberId: "m1", generation: 1),
            ])
        #expect(h.machine.ownedPartitions == [])
    }

    @Test("cooperative REBALANCE_IN_PROGRESS: keep partitions, revoke only the dropped one, rejoin once more")
    func cooperativeRebalance() {
        let h = MembershipHarness(assignors: [CooperativeStickyAssignor()])
        h.joinAsFollower(partitions: [0, 1], protocolName: Self.cooperative)
        h.advance(to: 3000)
        _ = h.machine.tick(now: h.now)
        #expect(
            h.machine.heartbeatResponse(MembershipHarness.heartbeatResponse(.rebalanceInProgress), now: h.now) == [
                h.join(memberId: "m1", owned: [tp(0), tp(1)], generation: 1)
            ])
        #expect(h.machine.ownedPartitions == [tp(0), tp(1)])
        let joined = MembershipHarness.joinResponse(
            generation: 2, memberId: "m1", leader: "m0", protocolName: Self.cooperative)
        #expect(
            h.machine.joinGroupResponse(joined, now: h.now) == [
                h.sync(generation: 2, memberId: "m1", protocolName: Self.cooperative), h.timer(6000),
            ])
        let synced = MembershipHarness.syncResponse(partitions: [tp(0)], protocolName: Self.cooperative)
        #expect(
            h.machine.syncGroupResponse(synced, now: h.now) == [
                .revokePartitions([tp(1)]), .assignPartitions([]),
                h.join(memberId: "m1", owned: [tp(0)], generation: 2),
            ])
        // The follow-up rebalance hands out a partition.
        let rejoined = MembershipHarness.joinResponse(
            generation: 3, memberId: "m1", leader: "m0", protocolName: Self.cooperative)
        _ = h.machine.joinGroupResponse(rejoined, now: h.now)
        let resynced = MembershipHarness.syncResponse(partitions: [tp(0), tp(2)], protocolName: Self.cooperative)
        #expect(h.machine.syncGroupResponse(resynced, now: h.now) == [.assignPartitions([tp(2)])])
        #expect(h.machine.state == .stable)
        #expect(h.machine.ownedPartitions == [tp(0), tp(2)])
    }

    @Test("ILLEGAL_GENERATION: partitions lost, rejoin with the same member id")
    func illegalGeneration() {
        let h = MembershipHarness()
        h.joinAsFollower(partitions: [0, 1])
        h.advance(to: 3000)
        _ = h.machine.tick(now: h.now)
        #expect(
            h.machine.heartbeatResponse(MembershipHarness.heartbeatResponse(.illegalGeneration), now: h.now) == [
                .losePartitions([tp(0), tp(1)]), h.join(memberId: "m1"),
            ])
        #expect(h.machine.groupMetadata.generationId == -1)
    }

    @Test("UNKNOWN_MEMBER_ID: partitions lost, rejoin without a member id")
    func unknownMemberId() {
        let h = MembershipHarness()
        h.joinAsFollower(partitions: [0])
        h.advance(to: 3000)
        _ = h.machine.tick(now: h.now)
        #expect(
            h.machine.heartbeatResponse(MembershipHarness.heartbeatResponse(.unknownMemberId), now: h.now) == [
                .losePartitions([tp(0)]), h.join(memberId: ""),
            ])
    }

    @Test("UNKNOWN_MEMBER_ID in SyncGroup: rejoin without a member id")
    func unknownMemberIdInSync() {
        let h = MembershipHarness()
        _ = h.machine.start(subscription: ["t"], now: h.now)
        _ = h.machine.coordinatorFound(h.coordinator, now: h.now)
        _ = h.machine.joinGroupResponse(MembershipHarness.joinResponse(memberId: "m1", leader: "m0"), now: h.now)
        #expect(
            h.machine.syncGroupResponse(MembershipHarness.syncResponse(.unknownMemberId), now: h.now) == [
                h.join(memberId: "")
            ])
    }

    @Test("NOT_COORDINATOR: find the coordinator again, keeping the membership and partitions")
    func coordinatorMoved() {
        let h = MembershipHarness()
        h.joinAsFollower(partitions: [0, 1])
        h.advance(to: 3000)
        _ = h.machine.tick(now: h.now)
        h.advance(to: 3010)
        #expect(
            h.machine.heartbeatResponse(MembershipHarness.heartbeatResponse(.notCoordinator), now: h.now) == [
                .findCoordinator(groupId: "g")
            ])
        #expect(h.machine.state == .findingCoordinator)
        #expect(h.machine.coordinatorFound(h.coordinator2, now: h.now) == [h.timer(6000)])
        #expect(h.machine.coordinator == h.coordinator2)
        #expect(h.machine.ownedPartitions == [tp(0), tp(1)])
        h.advance(to: 6000)
        #expect(h.machine.tick(now: h.now) == [h.heartbeat(generation: 1, memberId: "m1"), h.timer(10_000)])
    }

    @Test("session expiry without a successful heartbeat: partitions lost, coordinator found again, rejoin")
    func sessionExpiry() {
        let h = MembershipHarness()
        h.joinAsFollower(partitions: [0])
        h.advance(to: 3000)
        #expect(h.machine.tick(now: h.now) == [h.heartbeat(generation: 1, memberId: "m1"), h.timer(10_000)])
        h.advance(to: 10_000)
        #expect(h.machine.tick(now: h.now) == [.losePartitions([tp(0)]), .findCoordinator(groupId: "g")])
        #expect(h.machine.coordinatorFound(h.coordinator, now: h.now) == [h.join(memberId: "")])
    }

    @Test("max.poll.interval.ms exceeded: LeaveGroup, then rejoin at the next poll with partitions lost")
    func pollTimeout() {
        let h = MembershipHarness()
        h.joinAsFollower(partitions: [0])
        for ms in stride(from: 3000, to: 60_000, by: 3000) {
            h.advance(to: ms)
            _ = h.machine.tick(now: h.now)
            _ = h.machine.heartbeatResponse(MembershipHarness.heartbeatResponse(), now: h.now)
        }
        h.advance(to: 60_000)
        #expect(
            h.machine.tick(now: h.now) == [
                h.leave(memberId: "m1", reason: "consumer poll timeout has expired (max.poll.interval.ms exceeded)")
            ])
        #expect(h.machine.state == .unjoined)
        h.advance(to: 61_000)
        #expect(h.machine.pollCalled(now: h.now) == [.losePartitions([tp(0)]), h.join(memberId: "")])
    }

    @Test("static member: no LeaveGroup on poll timeout or close; FENCED_INSTANCE_ID is fatal")
    func staticMember() {
        let timedOut = MembershipHarness(instanceId: "i1")
        timedOut.joinAsFollower(partitions: [0])
        timedOut.advance(to: 60_000)
        #expect(timedOut.machine.tick(now: timedOut.now) == [])
        #expect(timedOut.machine.state == .unjoined)

        let closing = MembershipHarness(instanceId: "i1")
        closing.joinAsFollower(partitions: [0])
        #expect(closing.machine.close(now: closing.now) == [.revokePartitions([tp(0)]), .closed])
        #expect(closing.machine.state == .left)

        let fenced = MembershipHarness(instanceId: "i1")
        fenced.joinAsFollower(partitions: [0])
        fenced.advance(to: 3000)
        #expect(
            fenced.machine.tick(now: fenced.now) == [
                fenced.heartbeat(generation: 1, memberId: "m1"), fenced.timer(10_000),
            ])
        let error = GroupMembershipError.broker(KafkaError(code: .fencedInstanceId, api: .heartbeat))
        #expect(
            fenced.machine.heartbeatResponse(MembershipHarness.heartbeatResponse(.fencedInstanceId), now: fenced.now)
                == [
                    .fail(error)
                ])
        #expect(fenced.machine.state == .failed(error))
        #expect(fenced.machine.tick(now: fenced.now) == [])
    }

    @Test("close: revoke, LeaveGroup, then closed")
    func closeSequence() {
        let h = MembershipHarness()
        h.joinAsFollower(partitions: [0, 1])
        #expect(
            h.machine.close(now: h.now) == [
                .revokePartitions([tp(0), tp(1)]), h.leave(memberId: "m1", reason: "the consumer is being closed"),
            ])
        #expect(h.machine.state == .leaving)
        #expect(h.machine.leaveGroupResponse(LeaveGroupResponse(), now: h.now) == [.closed])
        #expect(h.machine.state == .left)
        #expect(h.machine.close(now: h.now) == [])
    }

    @Test("close before joining: nothing to leave")
    func closeUnjoined() {
        let h = MembershipHarness()
        #expect(h.machine.close(now: h.now) == [.closed])
    }
}
