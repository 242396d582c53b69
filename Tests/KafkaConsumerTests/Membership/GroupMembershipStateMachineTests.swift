import KafkaNetwork
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaConsumer

@Suite("Group membership: joining and heartbeats", .timeLimit(.minutes(5)))
struct GroupMembershipJoinTests {
    @Test("leader: find, MEMBER_ID_REQUIRED, join, assign, sync, heartbeats on schedule")
    func leaderHappyPath() {
        let h = MembershipHarness()
        #expect(h.machine.start(subscription: ["t"], now: h.now) == [.findCoordinator(groupId: "g")])
        #expect(h.machine.state == .findingCoordinator)
        #expect(h.machine.coordinatorFound(h.coordinator, now: h.now) == [h.join(memberId: "")])
        #expect(h.machine.state == .joining)

        let required = MembershipHarness.joinResponse(.memberIdRequired, generation: -1, memberId: "m1")
        #expect(h.machine.joinGroupResponse(required, now: h.now) == [h.join(memberId: "m1")])

        h.advance(to: 50)
        let joined = MembershipHarness.joinResponse(
            generation: 1, memberId: "m1", leader: "m1", members: ["m1": ["t"], "m2": ["t"]])
        #expect(
            h.machine.joinGroupResponse(joined, now: h.now) == [
                .runAssignment(
                    members: ["m1": Subscription(topics: ["t"]), "m2": Subscription(topics: ["t"])],
                    protocol: "range"),
                h.timer(3050),
            ])
        #expect(h.machine.state == .assigning)
        #expect(h.machine.isLeader)

        let assignment = GroupAssignment(["m1": [tp(0)], "m2": [tp(1)]])
        #expect(
            h.machine.assignmentComputed(assignment, now: h.now) == [
                h.sync(generation: 1, memberId: "m1", assignments: ["m1": [tp(0)], "m2": [tp(1)]])
            ])
        h.advance(to: 100)
        #expect(
            h.machine.syncGroupResponse(MembershipHarness.syncResponse(partitions: [tp(0)]), now: h.now) == [
                .assignPartitions([tp(0)])
            ])
        #expect(h.machine.state == .stable)
        #expect(h.machine.ownedPartitions == [tp(0)])
        #expect(h.machine.groupMetadata == GroupMetadata(groupId: "g", generationId: 1, memberId: "m1"))

        // Heartbeats every 3 s from the join, on their own schedule.
        h.advance(to: 3050)
        #expect(h.machine.tick(now: h.now) == [h.heartbeat(generation: 1, memberId: "m1"), h.timer(10_100)])
        h.advance(to: 3060)
        #expect(h.machine.heartbeatResponse(MembershipHarness.heartbeatResponse(), now: h.now) == [h.timer(6050)])
        h.advance(to: 6050)
        #expect(h.machine.tick(now: h.now) == [h.heartbeat(generation: 1, memberId: "m1"), h.timer(13_060)])
        h.advance(to: 6070)
        #expect(h.machine.heartbeatResponse(MembershipHarness.heartbeatResponse(), now: h.now) == [h.timer(9050)])
        // An early tick does nothing but re-arm the timer.
        h.advance(to: 7000)
        #expect(h.machine.tick(now: h.now) == [h.timer(9050)])
    }

    @Test("follower: syncs with no assignments and gets its partitions")
    func followerPath() {
        let h = MembershipHarness()
        _ = h.machine.start(subscription: ["t"], now: h.now)
        _ = h.machine.coordinatorFound(h.coordinator, now: h.now)
        let joined = MembershipHarness.joinResponse(generation: 4, memberId: "m2", leader: "m1")
        #expect(
            h.machine.joinGroupResponse(joined, now: h.now) == [h.sync(generation: 4, memberId: "m2"), h.timer(3000)])
        #expect(h.machine.isLeader == false)
        #expect(
            h.machine.syncGroupResponse(MembershipHarness.syncResponse(partitions: [tp(1), tp(2)]), now: h.now) == [
                .assignPartitions([tp(1), tp(2)])
            ])
        #expect(h.machine.state == .stable)
        // A follower ignores metadata changes (only the leader tracks the assignment snapshot).
        #expect(h.machine.metadataChanged(now: h.now) == [])
    }

    @Test("an unexpected SyncGroup error rejoins after the backoff; a fencing error is fatal")
    func unexpectedSyncGroupErrorRejoins() {
        let h = MembershipHarness()
        _ = h.machine.start(subscription: ["t"], now: h.now)
        _ = h.machine.coordinatorFound(h.coordinator, now: h.now)
        let joined = MembershipHarness.joinResponse(generation: 4, memberId: "m2", leader: "m1")
        _ = h.machine.joinGroupResponse(joined, now: h.now)
        // librdkafka's mock answers a follower's late SyncGroup with INVALID_REQUEST.
        let refused = h.machine.syncGroupResponse(MembershipHarness.syncResponse(.invalidRequest), now: h.now)
        #expect(!refused.contains { if case .fail = $0 { true } else { false } })
        #expect(h.machine.state == .joining)
        h.advance(to: 100)
        let retried = h.machine.tick(now: h.now)
        #expect(retried.contains { if case .sendJoinGroup = $0 { true } else { false } }, "\(retried)")

        let fenced = MembershipHarness()
        _ = fenced.machine.start(subscription: ["t"], now: fenced.now)
        _ = fenced.machine.coordinatorFound(fenced.coordinator, now: fenced.now)
        _ = fenced.machine.joinGroupResponse(joined, now: fenced.now)
        let outcome = fenced.machine.syncGroupResponse(
            MembershipHarness.syncResponse(.groupAuthorizationFailed), now: fenced.now)
        #expect(outcome.contains { if case .fail = $0 { true } else { false } })
    }

    @Test("COORDINATOR_LOAD_IN_PROGRESS retries the join after the backoff")
    func loadInProgress() {
        let h = MembershipHarness()
        _ = h.machine.start(subscription: ["t"], now: h.now)
        _ = h.machine.coordinatorFound(h.coordinator, now: h.now)
        let loading = MembershipHarness.joinResponse(.coordinatorLoadInProgress, memberId: "")
        #expect(h.machine.joinGroupResponse(loading, now: h.now) == [h.timer(100)])
        h.advance(to: 100)
        #expect(h.machine.tick(now: h.now) == [h.join(memberId: "")])
    }

    @Test("retriable network failure of JoinGroup: coordinator unknown, find again after the backoff")
    func joinNetworkFailure() {
        let h = MembershipHarness()
        _ = h.machine.start(subscription: ["t"], now: h.now)
        _ = h.machine.coordinatorFound(h.coordinator, now: h.now)
        let error = KafkaNetworkError(.connectionClosed, "closed")
        #expect(h.machine.requestFailed(.joinGroup, error: error, now: h.now) == [h.timer(100)])
        h.advance(to: 100)
        #expect(h.machine.tick(now: h.now) == [.findCoordinator(groupId: "g")])
        #expect(h.machine.coordinatorFound(h.coordinator2, now: h.now) == [h.join(memberId: "")])
    }

    @Test("metadata change on the leader rejoins (eager: revoke first)")
    func leaderMetadataChange() {
        let h = MembershipHarness()
        _ = h.machine.start(subscription: ["t"], now: h.now)
        _ = h.machine.coordinatorFound(h.coordinator, now: h.now)
        _ = h.machine.joinGroupResponse(
            MembershipHarness.joinResponse(generation: 1, memberId: "m1", leader: "m1", members: ["m1": ["t"]]),
            now: h.now)
        _ = h.machine.assignmentComputed(GroupAssignment(["m1": [tp(0)]]), now: h.now)
        _ = h.machine.syncGroupResponse(MembershipHarness.syncResponse(partitions: [tp(0)]), now: h.now)
        h.advance(to: 500)
        #expect(
            h.machine.metadataChanged(now: h.now) == [
                .revokePartitions([tp(0)]), h.join(memberId: "m1", generation: 1),
            ])
        #expect(h.machine.state == .joining)
    }

    @Test("subscription change rejoins with the new topics")
    func subscriptionChange() {
        let h = MembershipHarness()
        h.joinAsFollower(partitions: [0])
        #expect(
            h.machine.subscriptionChanged(["t", "u"], now: h.now) == [
                .revokePartitions([tp(0)]), h.join(memberId: "m1", topics: ["t", "u"], generation: 1),
            ])
    }

    @Test("fatal join errors fail the membership")
    func fatalJoinErrors() {
        for code in [KafkaErrorCode.groupAuthorizationFailed, .inconsistentGroupProtocol, .invalidSessionTimeout] {
            let h = MembershipHarness()
            _ = h.machine.start(subscription: ["t"], now: h.now)
            _ = h.machine.coordinatorFound(h.coordinator, now: h.now)
            let error = GroupMembershipError.broker(KafkaError(code: code, api: .joinGroup))
            #expect(
                h.machine.joinGroupResponse(MembershipHarness.joinResponse(code, memberId: ""), now: h.now) == [
                    .fail(error)
                ])
            #expect(h.machine.state == .failed(error))
        }
    }
}
