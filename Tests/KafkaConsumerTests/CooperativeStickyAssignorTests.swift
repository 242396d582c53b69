import NIOCore
import Testing

@testable import KafkaConsumer

@Suite(.timeLimit(.minutes(5))) struct CooperativeStickyAssignorTests {
    let assignor = CooperativeStickyAssignor()

    /// Checks that no partition goes to a member while another member still owns it.
    func checkNoDoubleOwnership(_ assignment: [String: [TopicPartition]], _ group: RandomGroup) {
        for (member, partitions) in assignment {
            for tp in partitions {
                let others = group.subscriptions.filter { $0.key != member && $0.value.ownedPartitions.contains(tp) }
                #expect(others.isEmpty, "\(tp) given to \(member) while \(others.keys.sorted()) own it")
            }
        }
    }

    @Test func newMemberGetsPartitionsOnlyAfterTheyAreRevoked() throws {
        let owned = (0..<4).map { tp("t", $0) }
        var group = RandomGroup(
            partitionsPerTopic: ["t": 4],
            subscriptions: ["A": Subscription(topics: ["t"], ownedPartitions: owned, generationId: 1)])
        group.subscriptions["B"] = Subscription(topics: ["t"])
        let first = try assignor.assign(
            partitionsPerTopic: group.partitionsPerTopic, subscriptions: group.subscriptions)
        #expect(first == ["A": [tp("t", 0), tp("t", 1)], "B": []])
        #expect(
            CooperativeStickyAssignor.partitionsToRevoke(owned: owned, assigned: first["A"]!) == [
                tp("t", 2), tp("t", 3),
            ])
        let second = try assignor.assign(
            partitionsPerTopic: group.partitionsPerTopic,
            subscriptions: group.owning(first, generation: 2).subscriptions)
        #expect(second == ["A": [tp("t", 0), tp("t", 1)], "B": [tp("t", 2), tp("t", 3)]])
        #expect(
            CooperativeStickyAssignor.partitionsToAdd(owned: [], assigned: second["B"]!) == [tp("t", 2), tp("t", 3)])
    }

    @Test func generationFromUserDataForOldSubscriptions() throws {
        let userData = assignor.subscriptionUserData(topics: ["t"], ownedPartitions: [], generationId: 9)
        #expect(CooperativeStickyAssignor.generation(of: Subscription(topics: ["t"], userData: userData)) == 9)
        #expect(
            CooperativeStickyAssignor.generation(of: Subscription(topics: ["t"], userData: userData, generationId: 4))
                == 4)
        #expect(
            CooperativeStickyAssignor.generation(of: Subscription(topics: ["t"], userData: ByteBuffer(bytes: [1])))
                == -1)
    }

    /// Random previous rounds, then membership and subscription changes: round one never gives a
    /// partition another member owns; round two completes and balances.
    @Test(arguments: [true, false])
    func twoRoundConvergence(identical: Bool) throws {
        var rng = SeededGenerator(seed: identical ? 31 : 32)
        for _ in 0..<300 {
            let group = RandomGroup.make(using: &rng, identical: identical)
            let previous = try StickyAssignor().assign(
                partitionsPerTopic: group.partitionsPerTopic, subscriptions: group.subscriptions)
            var changed = group.owning(previous, generation: 1)
            // Change membership: drop a member, add up to two.
            if changed.subscriptions.count > 1, Bool.random(using: &rng) {
                changed.subscriptions[changed.subscriptions.keys.sorted().randomElement(using: &rng)!] = nil
            }
            for extra in 0..<Int.random(in: 0...2, using: &rng) {
                let topics =
                    identical
                    ? group.partitionsPerTopic.keys.sorted()
                    : [group.partitionsPerTopic.keys.sorted().randomElement(using: &rng)!]
                changed.subscriptions["joiner-\(extra)"] = Subscription(topics: topics)
            }
            let first = try assignor.assign(
                partitionsPerTopic: changed.partitionsPerTopic, subscriptions: changed.subscriptions)
            checkValid(first, changed, complete: false)
            checkNoDoubleOwnership(first, changed)
            let afterRevoke = changed.owning(first, generation: 2)
            let second = try assignor.assign(
                partitionsPerTopic: afterRevoke.partitionsPerTopic, subscriptions: afterRevoke.subscriptions)
            checkValid(second, afterRevoke, complete: identical)
            checkNoDoubleOwnership(second, afterRevoke)
            var final = second
            var state = afterRevoke.owning(second, generation: 3)
            // Unequal subscriptions may need one more round; never more than three in total.
            for round in 0..<2 where owners(final).count != state.subscribedPartitions.count {
                final = try assignor.assign(
                    partitionsPerTopic: state.partitionsPerTopic, subscriptions: state.subscriptions)
                state = state.owning(final, generation: Int32(4 + round))
            }
            checkValid(final, state, complete: true)
            checkBalanced(final, state)
            if identical { #expect(final == second) }
        }
    }

    /// With identical subscriptions, a joining member makes the others revoke exactly
    /// floor(P / N) partitions in round one, all of which it gets in round two.
    @Test func joinRevokesOnlyWhatMustMove() throws {
        var rng = SeededGenerator(seed: 41)
        for _ in 0..<300 {
            let group = RandomGroup.make(using: &rng, identical: true)
            let before = try assignor.assign(
                partitionsPerTopic: group.partitionsPerTopic, subscriptions: group.subscriptions)
            var joined = group.owning(before, generation: 1)
            joined.subscriptions["new-member"] = Subscription(topics: group.partitionsPerTopic.keys.sorted())
            let first = try assignor.assign(
                partitionsPerTopic: joined.partitionsPerTopic, subscriptions: joined.subscriptions)
            let revoked = joined.subscriptions.keys.flatMap {
                CooperativeStickyAssignor.partitionsToRevoke(owned: before[$0] ?? [], assigned: first[$0]!)
            }
            #expect(revoked.count == group.subscribedPartitions.count / joined.subscriptions.count)
            #expect(first["new-member"] == [])
            let second = try assignor.assign(
                partitionsPerTopic: joined.partitionsPerTopic,
                subscriptions: joined.owning(first, generation: 2).subscriptions)
            #expect(Set(second["new-member"]!) == Set(revoked))
        }
    }
}
