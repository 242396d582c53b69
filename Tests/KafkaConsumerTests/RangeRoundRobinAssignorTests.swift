import Testing

@testable import KafkaConsumer

@Suite(.timeLimit(.minutes(5))) struct RangeRoundRobinAssignorTests {
    let twoTopics: [String: Int32] = ["t0": 3, "t1": 3]
    let twoMembers = [
        "C0": Subscription(topics: ["t0", "t1"]), "C1": Subscription(topics: ["t0", "t1"]),
    ]

    @Test func rangeJavaExample() throws {
        let result = try RangeAssignor().assign(partitionsPerTopic: twoTopics, subscriptions: twoMembers)
        #expect(result["C0"] == [tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)])
        #expect(result["C1"] == [tp("t0", 2), tp("t1", 2)])
    }

    @Test func roundRobinJavaExample() throws {
        let result = try RoundRobinAssignor().assign(partitionsPerTopic: twoTopics, subscriptions: twoMembers)
        #expect(result["C0"] == [tp("t0", 0), tp("t0", 2), tp("t1", 1)])
        #expect(result["C1"] == [tp("t0", 1), tp("t1", 0), tp("t1", 2)])
    }

    /// Java's RoundRobinAssignor documentation: unequal subscriptions.
    @Test func roundRobinJavaUnequalSubscriptions() throws {
        let result = try RoundRobinAssignor().assign(
            partitionsPerTopic: ["t0": 1, "t1": 2, "t2": 3],
            subscriptions: [
                "C0": Subscription(topics: ["t0"]), "C1": Subscription(topics: ["t0", "t1"]),
                "C2": Subscription(topics: ["t0", "t1", "t2"]),
            ])
        #expect(result["C0"] == [tp("t0", 0)])
        #expect(result["C1"] == [tp("t1", 0)])
        #expect(result["C2"] == [tp("t1", 1), tp("t2", 0), tp("t2", 1), tp("t2", 2)])
    }

    @Test func rangeFirstMembersGetTheExtraPartitions() throws {
        let members = Dictionary(uniqueKeysWithValues: (0..<3).map { ("C\($0)", Subscription(topics: ["t"])) })
        let result = try RangeAssignor().assign(partitionsPerTopic: ["t": 8], subscriptions: members)
        #expect(result["C0"] == (0...2).map { tp("t", $0) })
        #expect(result["C1"] == (3...5).map { tp("t", $0) })
        #expect(result["C2"] == (6...7).map { tp("t", $0) })
    }

    /// Static members come first, ordered by group.instance.id, whatever their member ids.
    @Test func staticMembersOrderedByInstanceId() throws {
        let members = [
            "a-dynamic": Subscription(topics: ["t"]),
            "b": Subscription(topics: ["t"], groupInstanceId: "instance-2"),
            "c": Subscription(topics: ["t"], groupInstanceId: "instance-1"),
        ]
        let range = try RangeAssignor().assign(partitionsPerTopic: ["t": 3], subscriptions: members)
        #expect(range == ["c": [tp("t", 0)], "b": [tp("t", 1)], "a-dynamic": [tp("t", 2)]])
        let roundRobin = try RoundRobinAssignor().assign(partitionsPerTopic: ["t": 3], subscriptions: members)
        #expect(roundRobin == range)
    }

    @Test func unknownTopicsSkippedAndMembersWithoutPartitionsListed() throws {
        for assignor in [
            RangeAssignor() as any PartitionAssignor, RoundRobinAssignor(), StickyAssignor(),
            CooperativeStickyAssignor(),
        ] {
            let result = try assignor.assign(
                partitionsPerTopic: ["t": 1],
                subscriptions: ["A": Subscription(topics: ["t", "missing"]), "B": Subscription(topics: ["missing"])])
            #expect(result == ["A": [tp("t", 0)], "B": []], "\(assignor.name)")
        }
    }

    @Test func negativePartitionCountThrows() {
        for assignor in [
            RangeAssignor() as any PartitionAssignor, RoundRobinAssignor(), StickyAssignor(),
            CooperativeStickyAssignor(),
        ] {
            #expect(throws: ConsumerPartitionAssignorError.negativePartitionCount(topic: "t", count: -1)) {
                try assignor.assign(partitionsPerTopic: ["t": -1], subscriptions: ["A": Subscription(topics: ["t"])])
            }
        }
    }

    @Test func namesAndProtocols() {
        #expect(RangeAssignor().name == "range")
        #expect(RoundRobinAssignor().name == "roundrobin")
        #expect(StickyAssignor().name == "sticky")
        #expect(CooperativeStickyAssignor().name == "cooperative-sticky")
        #expect(StickyAssignor().supportedProtocols == [.eager])
        #expect(CooperativeStickyAssignor().supportedProtocols.first == .cooperative)
    }

    @Test(arguments: ["range", "roundrobin"])
    func randomGroups(name: String) throws {
        let assignor: any PartitionAssignor = name == "range" ? RangeAssignor() : RoundRobinAssignor()
        var rng = SeededGenerator(seed: 0x5EED_0001)
        for round in 0..<400 {
            let identical = round % 3 == 0
            let group = RandomGroup.make(using: &rng, identical: identical)
            let result = try assignor.assign(
                partitionsPerTopic: group.partitionsPerTopic, subscriptions: group.subscriptions)
            checkValid(result, group, complete: true)
            if identical && name == "roundrobin" { checkBalanced(result, group) }
            if name == "range" {
                // Per topic, subscribers' shares differ by at most one.
                for (topic, _) in group.partitionsPerTopic {
                    let counts = group.subscriptions.filter { $0.value.topics.contains(topic) }
                        .map { member, _ in result[member]!.filter { $0.topic == topic }.count }
                    if let max = counts.max(), let min = counts.min() { #expect(max - min <= 1) }
                }
            }
            let again = try assignor.assign(
                partitionsPerTopic: group.partitionsPerTopic,
                subscriptions: Dictionary(
                    uniqueKeysWithValues: group.subscriptions.shuffled(using: &rng).map { ($0, $1) }))
            #expect(again == result)
        }
    }
}
