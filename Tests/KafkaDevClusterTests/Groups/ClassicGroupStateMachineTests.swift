import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

@Suite(.timeLimit(.minutes(5))) struct ClassicGroupStateMachineTests {
    typealias S = GroupTestSupport
    let t0 = GroupTestSupport.t0

    /// a joins alone (generation 1) and syncs; returns the coordinator with a Stable group "g".
    func stableWithA() -> GroupCoordinatorState {
        var groups = GroupCoordinatorState()
        let token = S.token(groups.join(groupID: "g", S.join(newID: "a"), now: t0))
        let outcome = groups.takeJoinOutcome(groupID: "g", token: token)
        #expect(outcome?.generationID == 1)
        #expect(outcome?.leaderID == "a")
        #expect(outcome?.members.map(\.memberID) == ["a"])
        _ = groups.groups["g"]?.sync(memberID: "a", assignments: ["a": S.bytes("A1")], now: t0)
        #expect(groups.groups["g"]?.state == .stable)
        return groups
    }

    /// Stable generation 2 with a (leader) and b.
    func stableWithAB() -> GroupCoordinatorState {
        var groups = stableWithA()
        let tb = S.token(groups.join(groupID: "g", S.join(newID: "b"), now: t0 + 10))
        let ta = S.token(groups.join(groupID: "g", S.join("a", newID: "x"), now: t0 + 20))
        _ = groups.takeJoinOutcome(groupID: "g", token: ta)
        _ = groups.takeJoinOutcome(groupID: "g", token: tb)
        _ = groups.groups["g"]?.sync(
            memberID: "a", assignments: ["a": S.bytes("A2"), "b": S.bytes("B2")], now: t0 + 30)
        #expect(groups.groups["g"]?.state == .stable)
        #expect(groups.groups["g"]?.generationID == 2)
        return groups
    }

    @Test func twoMembersJoinLeaderGetsMembersSyncDeliversAssignments() {
        var groups = stableWithA()
        // b joins: the group rebalances; b waits until a rejoins.
        let tb = S.token(groups.join(groupID: "g", S.join(newID: "b"), now: t0 + 10))
        #expect(groups.groups["g"]?.state == .preparingRebalance)
        #expect(groups.takeJoinOutcome(groupID: "g", token: tb) == nil)
        #expect(
            groups.groups["g"]?.heartbeat(memberID: "a", instanceID: nil, generation: 1, now: t0 + 15)
                == .rebalanceInProgress)
        let ta = S.token(groups.join(groupID: "g", S.join("a", newID: "x"), now: t0 + 20))
        let a = groups.takeJoinOutcome(groupID: "g", token: ta)
        let b = groups.takeJoinOutcome(groupID: "g", token: tb)
        #expect(a?.error == KafkaErrorCode.none)
        #expect(a?.generationID == 2)
        #expect(b?.generationID == 2)
        #expect(a?.leaderID == "a" && b?.leaderID == "a")
        #expect(a?.members.map(\.memberID) == ["a", "b"])
        #expect(a?.members.first?.metadata == S.subscription(["t"]))
        #expect(b?.members.isEmpty == true)
        #expect(a?.protocolName == "range")
        #expect(groups.groups["g"]?.state == .completingRebalance)
        // b's sync waits for the leader's.
        #expect(groups.groups["g"]?.sync(memberID: "b", assignments: [:], now: t0 + 25) == .wait)
        #expect(groups.groups["g"]?.syncResult(memberID: "b", generation: 2) == nil)
        let leader = groups.groups["g"]?.sync(
            memberID: "a", assignments: ["a": S.bytes("A2"), "b": S.bytes("B2")], now: t0 + 30)
        #expect(leader == .respond(.none, assignment: S.bytes("A2")))
        #expect(groups.groups["g"]?.state == .stable)
        let follower = groups.groups["g"]?.syncResult(memberID: "b", generation: 2)
        #expect(follower?.0 == KafkaErrorCode.none)
        #expect(follower?.1 == S.bytes("B2"))
    }

    @Test func rebalanceTimeoutRemovesMembersThatDidNotRejoin() {
        var groups = stableWithAB()
        let tc = S.token(groups.join(groupID: "g", S.join(newID: "c"), now: t0 + 100))
        let ta = S.token(groups.join(groupID: "g", S.join("a", newID: "x"), now: t0 + 200))
        // b stays alive (its heartbeat asks it to rejoin) but does not rejoin.
        #expect(
            groups.groups["g"]?.heartbeat(memberID: "b", instanceID: nil, generation: 2, now: t0 + 5_000)
                == .rebalanceInProgress)
        groups.tick(now: t0 + 100 + 9_999)
        #expect(groups.takeJoinOutcome(groupID: "g", token: tc) == nil)
        groups.tick(now: t0 + 100 + 10_000)
        let c = groups.takeJoinOutcome(groupID: "g", token: tc)
        let a = groups.takeJoinOutcome(groupID: "g", token: ta)
        #expect(c?.generationID == 3)
        #expect(a?.members.map(\.memberID) == ["a", "c"])
        #expect(groups.groups["g"]?.has("b") == false)
    }

    @Test func heartbeatsKeepMembersAndSessionExpiryRebalances() {
        var groups = stableWithAB()
        for step in 1...2 {
            let now = t0 + Int64(step) * 4_000
            #expect(
                groups.groups["g"]?.heartbeat(memberID: "a", instanceID: nil, generation: 2, now: now)
                    == KafkaErrorCode.none)
            groups.tick(now: now)
        }
        groups.tick(now: t0 + 10_019)
        #expect(groups.groups["g"]?.has("b") == true)
        // b was last seen when its join completed (t0 + 20); its 10 s session is over, a's is not.
        groups.tick(now: t0 + 10_020)
        #expect(groups.groups["g"]?.has("a") == true)
        #expect(groups.groups["g"]?.has("b") == false)
        #expect(groups.groups["g"]?.state == .preparingRebalance)
        let ta = S.token(groups.join(groupID: "g", S.join("a", newID: "x"), now: t0 + 10_100))
        let a = groups.takeJoinOutcome(groupID: "g", token: ta)
        #expect(a?.generationID == 3)
        #expect(a?.members.map(\.memberID) == ["a"])
        // Without heartbeats the last member expires too and the group becomes Empty.
        _ = groups.groups["g"]?.sync(memberID: "a", assignments: [:], now: t0 + 10_100)
        groups.tick(now: t0 + 20_100)
        #expect(groups.groups["g"]?.state == .empty)
        #expect(groups.groups["g"]?.members.isEmpty == true)
    }

    @Test func leaveTriggersRebalance() {
        var groups = stableWithAB()
        let config = groups.config
        #expect(
            groups.groups["g"]?.leave(memberID: "b", instanceID: nil, now: t0 + 50, config: config)
                == KafkaErrorCode.none)
        #expect(groups.groups["g"]?.state == .preparingRebalance)
        #expect(
            groups.groups["g"]?.leave(memberID: "zz", instanceID: nil, now: t0 + 50, config: config) == .unknownMemberId
        )
        let ta = S.token(groups.join(groupID: "g", S.join("a", newID: "x"), now: t0 + 60))
        let a = groups.takeJoinOutcome(groupID: "g", token: ta)
        #expect(a?.generationID == 3)
        #expect(a?.members.map(\.memberID) == ["a"])
    }

    @Test func staticMemberRejoinsWithoutRebalance() {
        var groups = GroupCoordinatorState()
        let ts = S.token(groups.join(groupID: "g", S.join(newID: "s1", instance: "i1"), now: t0))
        #expect(groups.takeJoinOutcome(groupID: "g", token: ts)?.memberID == "s1")
        _ = groups.groups["g"]?.sync(memberID: "s1", assignments: ["s1": S.bytes("S")], now: t0)
        // The instance restarts: a new member id, same subscription.
        let rejoin = S.answer(groups.join(groupID: "g", S.join(newID: "s2", instance: "i1", skip: true), now: t0 + 5))
        #expect(rejoin.error == KafkaErrorCode.none)
        #expect(rejoin.memberID == "s2")
        #expect(rejoin.generationID == 1)
        #expect(rejoin.leaderID == "s2")
        #expect(rejoin.skipAssignment)
        #expect(rejoin.members.map(\.memberID) == ["s2"])
        #expect(groups.groups["g"]?.state == .stable)
        #expect(
            groups.groups["g"]?.heartbeat(memberID: "s1", instanceID: "i1", generation: 1, now: t0 + 6)
                == .fencedInstanceId)
        #expect(
            groups.groups["g"]?.heartbeat(memberID: "s2", instanceID: "i1", generation: 1, now: t0 + 6)
                == KafkaErrorCode.none)
        #expect(
            groups.groups["g"]?.sync(memberID: "s2", assignments: [:], now: t0 + 7)
                == .respond(.none, assignment: S.bytes("S")))
        // A known member id with another member's instance id is fenced.
        let conflict = S.answer(groups.join(groupID: "g", S.join("s1", newID: "x", instance: "i1"), now: t0 + 8))
        #expect(conflict.error == .fencedInstanceId)
    }

    @Test func protocolVoteAndInconsistentProtocols() {
        var groups = GroupCoordinatorState()
        groups.config.initialRebalanceDelayMs = 1_000
        let ta = S.token(groups.join(groupID: "g", S.join(newID: "a", protocols: ["range", "roundrobin"]), now: t0))
        let tb = S.token(groups.join(groupID: "g", S.join(newID: "b", protocols: ["roundrobin", "range"]), now: t0))
        let tc = S.token(groups.join(groupID: "g", S.join(newID: "c", protocols: ["roundrobin", "range"]), now: t0))
        let sticky = S.answer(groups.join(groupID: "g", S.join(newID: "d", protocols: ["sticky"]), now: t0))
        #expect(sticky.error == .inconsistentGroupProtocol)
        let otherType = S.answer(groups.join(groupID: "g", S.join(newID: "e", type: "connect"), now: t0))
        #expect(otherType.error == .inconsistentGroupProtocol)
        groups.tick(now: t0 + 1_000)  // new members came during the delay: extended once
        #expect(groups.takeJoinOutcome(groupID: "g", token: ta) == nil)
        groups.tick(now: t0 + 2_000)
        #expect(groups.takeJoinOutcome(groupID: "g", token: ta)?.protocolName == "roundrobin")
        #expect(groups.takeJoinOutcome(groupID: "g", token: tb)?.members.isEmpty == true)
        #expect(groups.takeJoinOutcome(groupID: "g", token: tc)?.generationID == 1)
    }

    @Test func memberIDRequiredThenJoin() {
        var groups = GroupCoordinatorState()
        let first = S.answer(groups.join(groupID: "g", S.join(newID: "client-1", requireKnown: true), now: t0))
        #expect(first.error == .memberIdRequired)
        #expect(first.memberID == "client-1")
        #expect(groups.groups["g"]?.state == .empty)
        let token = S.token(groups.join(groupID: "g", S.join("client-1", newID: "x", requireKnown: true), now: t0 + 1))
        let outcome = groups.takeJoinOutcome(groupID: "g", token: token)
        #expect(outcome?.memberID == "client-1")
        #expect(outcome?.generationID == 1)
        // An id the coordinator never handed out is unknown.
        let unknown = S.answer(
            groups.join(groupID: "g", S.join("made-up", newID: "x", requireKnown: true), now: t0 + 2))
        #expect(unknown.error == .unknownMemberId)
    }

    @Test func illegalGenerationUnknownMemberAndSessionTimeout() {
        var groups = stableWithA()
        #expect(
            groups.groups["g"]?.heartbeat(memberID: "a", instanceID: nil, generation: 7, now: t0) == .illegalGeneration)
        #expect(
            groups.groups["g"]?.heartbeat(memberID: "nobody", instanceID: nil, generation: 1, now: t0)
                == .unknownMemberId)
        let short = S.answer(groups.join(groupID: "g2", S.join(newID: "a", session: 5_999), now: t0))
        #expect(short.error == .invalidSessionTimeout)
        let long = S.answer(groups.join(groupID: "g2", S.join(newID: "a", session: 1_800_001), now: t0))
        #expect(long.error == .invalidSessionTimeout)
        let unknownGroup = S.answer(groups.join(groupID: "g3", S.join("m", newID: "a"), now: t0))
        #expect(unknownGroup.error == .unknownMemberId)
    }
}
