import NIOCore
import Testing

@testable import KafkaConsumer

@Suite(.timeLimit(.minutes(5))) struct StickyAssignorTests {
    /// Java's StickyAssignor documentation: 3 members, 4 topics of 2 partitions, then C1 leaves.
    @Test func javaExampleMemberLeaves() throws {
        let all = ["t0", "t1", "t2", "t3"]
        let partitions: [String: Int32] = ["t0": 2, "t1": 2, "t2": 2, "t3": 2]
        var members = Dictionary(uniqueKeysWithValues: ["C0", "C1", "C2"].map { ($0, Subscription(topics: all)) })
        let first = try StickyAssignor().assign(partitionsPerTopic: partitions, subscriptions: members)
        #expect(first["C0"] == [tp("t0", 0), tp("t1", 1), tp("t3", 0)])
        #expect(first["C1"] == [tp("t0", 1), tp("t2", 0), tp("t3", 1)])
        #expect(first["C2"] == [tp("t1", 0), tp("t2", 1)])
        members["C1"] = nil
        for member in members.keys {
            members[member]!.userData = StickyAssignor().subscriptionUserData(
                topics: all, ownedPartitions: first[member]!, generationId: 1)
        }
        let second = try StickyAssignor().assign(partitionsPerTopic: partitions, subscriptions: members)
        #expect(Set(second["C0"]!) == Set(first["C0"]! + [tp("t2", 0)]))
        #expect(Set(second["C2"]!) == Set(first["C2"]! + [tp("t0", 1), tp("t3", 1)]))
    }

    /// Java's StickyAssignor documentation: unequal subscriptions, then C0 leaves.
    @Test func javaExampleUnequalSubscriptions() throws {
        let partitions: [String: Int32] = ["t0": 1, "t1": 2, "t2": 3]
        var members = [
            "C0": Subscription(topics: ["t0"]), "C1": Subscription(topics: ["t0", "t1"]),
            "C2": Subscription(topics: ["t0", "t1", "t2"]),
        ]
        let first = try StickyAssignor().assign(partitionsPerTopic: partitions, subscriptions: members)
        #expect(
            first == [
                "C0": [tp("t0", 0)], "C1": [tp("t1", 0), tp("t1", 1)], "C2": [tp("t2", 0), tp("t2", 1), tp("t2", 2)],
            ])
        members["C0"] = nil
        for member in members.keys {
            members[member]!.ownedPartitions = first[member]!
            members[member]!.generationId = 1
        }
        let second = try StickyAssignor().assign(partitionsPerTopic: partitions, subscriptions: members)
        #expect(
            second == ["C1": [tp("t0", 0), tp("t1", 0), tp("t1", 1)], "C2": [tp("t2", 0), tp("t2", 1), tp("t2", 2)]])
    }

    @Test func higherGenerationWinsAndTiesInvalidate() throws {
        let members = [
            "A": Subscription(topics: ["t"], ownedPartitions: [tp("t", 0), tp("t", 1)], generationId: 3),
            "B": Subscription(topics: ["t"], ownedPartitions: [tp("t", 0)], generationId: 5),
        ]
        let result = try StickyAssignor().assign(partitionsPerTopic: ["t": 2], subscriptions: members)
        #expect(result == ["A": [tp("t", 1)], "B": [tp("t", 0)]])
        // The same generation: neither keeps t-0, so it goes by load and member order.
        var tie = members
        tie["B"]!.generationId = 3
        tie["B"]!.ownedPartitions = [tp("t", 0), tp("t", 1)]
        let tied = try StickyAssignor().assign(partitionsPerTopic: ["t": 2], subscriptions: tie)
        #expect(tied == ["A": [tp("t", 0)], "B": [tp("t", 1)]])
    }

    @Test func userDataRoundTripAndJavaV0Fallback() throws {
        let partitions = [tp("b", 2), tp("a", 0), tp("b", 1)]
        let encoded = StickyAssignor.encodeUserData(partitions: partitions, generation: 7)
        let decoded = try StickyAssignor.decodeUserData(encoded)
        #expect(decoded.partitions == partitions.sorted())
        #expect(decoded.generation == 7)
        var v0 = encoded
        v0.moveWriterIndex(to: v0.writerIndex - 4)
        #expect(try StickyAssignor.decodeUserData(v0).generation == nil)
        var truncated = encoded
        truncated.moveWriterIndex(to: 5)
        #expect(throws: ConsumerPartitionAssignorError.self) { try StickyAssignor.decodeUserData(truncated) }
        // Undecodable user data is ignored; the owned partitions count instead.
        let subscription = Subscription(
            topics: ["a"], userData: truncated, ownedPartitions: [tp("a", 0)], generationId: 2)
        #expect(StickyAssignor.claim(from: subscription).partitions == [tp("a", 0)])
    }

    @Test(arguments: [false, true])
    func randomGroupsBalancedAndDeterministic(identical: Bool) throws {
        var rng = SeededGenerator(seed: identical ? 11 : 12)
        for _ in 0..<300 {
            let group = RandomGroup.make(using: &rng, identical: identical)
            let fresh = try StickyAssignor().assign(
                partitionsPerTopic: group.partitionsPerTopic, subscriptions: group.subscriptions)
            checkValid(fresh, group, complete: true)
            checkBalanced(fresh, group)
            // Random previous ownership, with conflicting claims at random generations.
            var claimed = group
            let all = Array(group.subscribedPartitions).sorted()
            for member in claimed.subscriptions.keys.sorted() {
                claimed.subscriptions[member]!.ownedPartitions = all.filter { _ in
                    Int.random(in: 0..<4, using: &rng) == 0
                }
                claimed.subscriptions[member]!.generationId = Int32.random(in: 1...3, using: &rng)
            }
            let result = try StickyAssignor().assign(
                partitionsPerTopic: claimed.partitionsPerTopic, subscriptions: claimed.subscriptions)
            checkValid(result, claimed, complete: true)
            checkBalanced(result, claimed)
            let reordered = Dictionary(
                uniqueKeysWithValues: claimed.subscriptions.shuffled(using: &rng).map { ($0, $1) })
            #expect(
                try StickyAssignor().assign(partitionsPerTopic: claimed.partitionsPerTopic, subscriptions: reordered)
                    == result)
        }
    }

    /// With identical subscriptions, a member leaving moves only its partitions, and a member
    /// joining takes exactly floor(P / N) partitions, nothing else moving.
    @Test func minimalMovement() throws {
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<300 {
            let group = RandomGroup.make(using: &rng, identical: true)
            let before = try StickyAssignor().assign(
                partitionsPerTopic: group.partitionsPerTopic, subscriptions: group.subscriptions)
            let beforeOwners = owners(before)
            let owned = group.owning(before, generation: 1)
            let total = group.subscribedPartitions.count

            if owned.subscriptions.count > 1 {
                var removed = owned
                let leaver = removed.subscriptions.keys.sorted().randomElement(using: &rng)!
                removed.subscriptions[leaver] = nil
                let after = try StickyAssignor().assign(
                    partitionsPerTopic: removed.partitionsPerTopic, subscriptions: removed.subscriptions)
                checkValid(after, removed, complete: true)
                checkBalanced(after, removed)
                let moved = owners(after).filter { beforeOwners[$0.key] != $0.value }.map(\.key)
                #expect(Set(moved) == Set(before[leaver]!))
            }

            var added = owned
            added.subscriptions["new-member"] = Subscription(topics: group.subscriptions.first!.value.topics)
            let after = try StickyAssignor().assign(
                partitionsPerTopic: added.partitionsPerTopic, subscriptions: added.subscriptions)
            checkValid(after, added, complete: true)
            checkBalanced(after, added)
            let moved = owners(after).filter { beforeOwners[$0.key] != $0.value }
            #expect(moved.count == total / added.subscriptions.count)
            #expect(moved.allSatisfy { $0.value == "new-member" })
        }
    }
}
