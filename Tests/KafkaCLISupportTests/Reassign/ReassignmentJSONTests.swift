import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import Testing

@Suite struct ReassignmentJSONTests {
    static func key(_ topic: String, _ partition: Int32) -> TopicPartitionKey {
        TopicPartitionKey(topic: topic, partition: partition)
    }

    @Test("a plan with and without version and log_dirs; entries in file order")
    func plan() throws {
        let entries = try ReassignmentJSON.plan(
            #"{"partitions":[{"topic":"b","partition":1,"replicas":[3,1]},"#
                + #"{"topic":"a","partition":0,"replicas":[2],"log_dirs":["any"]}],"version":1}"#)
        #expect(
            entries == [
                ReassignmentJSON.Entry(partition: Self.key("b", 1), replicas: [3, 1]),
                ReassignmentJSON.Entry(partition: Self.key("a", 0), replicas: [2], logDirs: ["any"]),
            ])
        #expect(entries.first?.logDirs == ["any", "any"])
        #expect(try ReassignmentJSON.plan(#"{"version":1}"#).isEmpty)
        #expect(try ReassignmentJSON.topics(#"{"topics":[{"topic":"foo"},{"topic":"foo1"}]}"#) == ["foo", "foo1"])
    }

    @Test("malformed files: Kafka's messages or one naming the field, never a crash")
    func malformed() {
        let cases: [(String, String)] = [
            ("not json", "The input string is not a valid JSON"),
            ("", "The input string is not a valid JSON"),
            (#"{"version":2,"partitions":[]}"#, "Not supported version field value 2"),
            (
                #"{"partitions":[{"topic":"t","replicas":[1]}]}"#,
                "missing field 'partition' at partitions[0] in the reassignment JSON"
            ),
            (
                #"{"partitions":[{"topic":"t","partition":"0","replicas":[1]}]}"#,
                "field 'partitions[0].partition' of the reassignment JSON has the wrong type"
            ),
            (
                #"{"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}"#,
                "Size of replicas list [1, 2] is different from size of log dirs list [any] for partition t-0"
            ),
            (
                #"{"partitions":[{"topic":"t","partition":0,"replicas":[99999999999]}]}"#,
                "a number of the reassignment JSON is out of range"
            ),
            (#"{"partitions":{"topic":"t"}}"#, "field 'partitions' of the reassignment JSON has the wrong type"),
            (#"[1,2]"#, "field '' of the reassignment JSON has the wrong type"),
        ]
        for (text, message) in cases {
            #expect(throws: ToolError(message), "\(text)") { try ReassignmentJSON.plan(text) }
        }
        #expect(throws: ToolError("missing field 'topic' at topics[0] in the topics JSON")) {
            try ReassignmentJSON.topics(#"{"topics":[{"name":"x"}]}"#)
        }
        #expect(throws: ToolError("Not supported version field value 3")) {
            try ReassignmentJSON.topics(#"{"version":3,"topics":[]}"#)
        }
    }

    @Test("--execute refuses an empty plan, empty replica lists, repeated partitions and repeated brokers")
    func executionChecks() {
        func entries(_ list: [(String, Int32, [Int32])]) -> [ReassignmentJSON.Entry] {
            list.map { ReassignmentJSON.Entry(partition: Self.key($0.0, $0.1), replicas: $0.2) }
        }
        #expect(throws: ToolError("Partition reassignment list cannot be empty")) {
            try ReassignmentJSON.validateForExecution([])
        }
        #expect(throws: ToolError("Partition replica list cannot be empty")) {
            try ReassignmentJSON.validateForExecution(entries([("t", 0, [])]))
        }
        #expect(throws: ToolError("Partition reassignment contains duplicate topic partitions: t-0")) {
            try ReassignmentJSON.validateForExecution(entries([("t", 0, [1]), ("t", 1, [1]), ("t", 0, [2])]))
        }
        #expect(
            throws: ToolError(
                "Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 1. "
                    + "u-2 contains multiple entries for 2,3")
        ) {
            try ReassignmentJSON.validateForExecution(entries([("t", 0, [1, 1]), ("u", 2, [3, 2, 3, 2])]))
        }
        #expect(throws: Never.self) { try ReassignmentJSON.validateForExecution(entries([("t", 0, [1, 2])])) }
    }

    @Test("the plan document is Kafka's: compact, version first, partitions by topic then number")
    func format() throws {
        let text = ReassignmentJSON.format([
            Self.key("b", 0): [2], Self.key("a", 10): [1, 3], Self.key("a", 2): [3, 1],
        ])
        #expect(
            text
                == #"{"version":1,"partitions":[{"topic":"a","partition":2,"replicas":[3,1],"log_dirs":["any","any"]},"#
                + #"{"topic":"a","partition":10,"replicas":[1,3],"log_dirs":["any","any"]},"#
                + #"{"topic":"b","partition":0,"replicas":[2],"log_dirs":["any"]}]}"#)
        #expect(ReassignmentJSON.format([:]) == #"{"version":1,"partitions":[]}"#)
        // What it prints, it reads back.
        #expect(try ReassignmentJSON.plan(text).map(\.replicas) == [[3, 1], [1, 3], [2]])
    }
}

@Suite struct ReassignmentPlannerTests {
    @Test("Kafka's placement without racks: round-robin leaders, followers shifted, the shift growing every n")
    func rackUnaware() {
        // Kafka's documented example: 5 brokers, 10 partitions, start 0, shift 0.
        let placed = ReassignmentPlanner.place(
            partitions: 10, replicationFactor: 3, brokers: [0, 1, 2, 3, 4], startIndex: 0, shift: 0)
        #expect(placed[0] == [0, 1, 2])
        #expect(placed[4] == [4, 0, 1])
        #expect(placed[5] == [0, 2, 3])
        #expect(placed[9] == [4, 1, 2])
        for replicas in placed { #expect(Set(replicas).count == 3) }
        #expect(
            ReassignmentPlanner.place(partitions: 2, replicationFactor: 1, brokers: [7], startIndex: 0, shift: 0)
                == [[7], [7]])
    }

    @Test("Kafka's rack-alternated list and rack-aware placement put each replica on another rack")
    func rackAware() {
        let racks: [Int32: String] = [0: "rack1", 1: "rack3", 2: "rack3", 3: "rack2", 4: "rack2", 5: "rack1"]
        #expect(ReassignmentPlanner.rackAlternated(racks) == [0, 3, 1, 5, 4, 2])
        let brokers = racks.keys.sorted().map { ReassignmentPlanner.Broker(id: $0, rack: racks[$0]) }
        let placed = ReassignmentPlanner.placeRackAware(
            partitions: 6, replicationFactor: 3, brokers: brokers, startIndex: 0, shift: 0)
        #expect(placed[0] == [0, 3, 1])
        #expect(placed[5] == [2, 0, 3])
        for replicas in placed { #expect(Set(replicas.compactMap { racks[$0] }).count == 3, "\(replicas)") }
    }

    @Test("a proposal keeps each topic's partitions and replication factor, on the given brokers only")
    func propose() throws {
        var generator = SystemRandomNumberGenerator()
        let current: [TopicPartitionKey: [Int32]] = [
            .init(topic: "a", partition: 0): [1, 2], .init(topic: "a", partition: 1): [2, 1],
            .init(topic: "b", partition: 0): [1],
        ]
        let brokers = [ReassignmentPlanner.Broker(id: 2), ReassignmentPlanner.Broker(id: 3)]
        for _ in 0..<20 {
            let proposal = try ReassignmentPlanner.propose(current: current, brokers: brokers, using: &generator)
            #expect(Set(proposal.keys) == Set(current.keys))
            for (key, replicas) in proposal {
                #expect(replicas.count == current[key]?.count)
                #expect(Set(replicas).isSubset(of: [2, 3]))
                #expect(Set(replicas).count == replicas.count)
            }
        }
        #expect(throws: ToolError("Replication factor: 2 larger than available brokers: 1.")) {
            try ReassignmentPlanner.propose(current: current, brokers: [.init(id: 1)], using: &generator)
        }
        #expect(
            throws: ToolError(
                "Not all brokers have rack information. Add --disable-rack-aware in command line to make replica "
                    + "assignment without rack information.")
        ) {
            try ReassignmentPlanner.propose(
                current: current, brokers: [.init(id: 1, rack: "r"), .init(id: 2)], using: &generator)
        }
    }

    @Test("throttles: sources per leader list, new destinations per follower list, every involved broker")
    func throttles() {
        let moves = ReassignmentPlanner.moves(
            ongoing: [.init(topic: "b", partition: 0): PartitionReassignment(replicas: [3, 1], addingReplicas: [3])],
            proposed: [.init(topic: "a", partition: 0): [2, 3], .init(topic: "a", partition: 1): [1, 2]],
            current: [.init(topic: "a", partition: 0): [1, 2], .init(topic: "a", partition: 1): [1, 2]])
        #expect(ReassignmentPlanner.leaderThrottles(moves) == ["a": "0:1,0:2,1:1,1:2", "b": "0:1"])
        #expect(ReassignmentPlanner.followerThrottles(moves) == ["a": "0:3", "b": "0:3"])
        #expect(ReassignmentPlanner.reassigningBrokers(moves) == [1, 2, 3])
    }
}

@Suite struct ReassignPartitionsOutputTests {
    @Test("--generate and --execute reports are Kafka's")
    func reports() {
        let current: [TopicPartitionKey: [Int32]] = [.init(topic: "t", partition: 0): [1]]
        let proposed: [TopicPartitionKey: [Int32]] = [.init(topic: "t", partition: 0): [2]]
        #expect(
            ReassignPartitionsTool.generateReport(current: current, proposed: proposed)
                == "Current partition replica assignment\n"
                + #"{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["any"]}]}"#
                + "\n\nProposed partition reassignment configuration\n"
                + #"{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2],"log_dirs":["any"]}]}"#
                + "\n")
        #expect(
            ReassignPartitionsTool.rollbackReport(current)
                == "Current partition replica assignment\n\n"
                + #"{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1],"log_dirs":["any"]}]}"#
                + "\n\nSave this to use as the --reassignment-json-file option during rollback")
    }

    @Test("--verify's lines: completed, still in progress, a replica set other than the target")
    func status() {
        let states = [
            ReassignPartitionsTool.PartitionState(
                topic: "t", partition: 2, currentReplicas: [1, 2], targetReplicas: [2, 3], done: true),
            ReassignPartitionsTool.PartitionState(
                topic: "t", partition: 0, currentReplicas: [2, 3], targetReplicas: [2, 3], done: true),
            ReassignPartitionsTool.PartitionState(
                topic: "t", partition: 1, currentReplicas: [2, 3, 1], targetReplicas: [2, 3], done: false),
        ]
        #expect(
            ReassignPartitionsTool.statusReport(states)
                == """
                Status of partition reassignment:
                Reassignment of partition t-0 is completed.
                Reassignment of partition t-1 is still in progress.
                There is no active reassignment of partition t-2, but replica set is 1,2 rather than 2,3.
                """)
        #expect(
            ReassignPartitionsTool.clearingBrokersLine([3, 1, 2]) == "Clearing broker-level throttles on brokers 1,2,3")
        #expect(ReassignPartitionsTool.clearingBrokersLine([1]) == "Clearing broker-level throttles on broker 1")
        #expect(ReassignPartitionsTool.clearingTopicsLine(["t"]) == "Clearing topic-level throttles on topic t")
        #expect(
            ReassignPartitionsTool.clearingTopicsLine(["u", "t"]) == "Clearing topic-level throttles on topics t,u")
    }

    @Test("--list's lines name adding and removing replicas only when there are some")
    func list() {
        #expect(ReassignPartitionsTool.listReport([:]) == "No partition reassignments found.")
        #expect(
            ReassignPartitionsTool.listReport([
                .init(topic: "t", partition: 1): PartitionReassignment(replicas: [3, 1]),
                .init(topic: "t", partition: 0): PartitionReassignment(
                    replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1]),
            ])
                == """
                Current partition reassignments:
                t-0: replicas: 2,3,1. adding: 3. removing: 1.
                t-1: replicas: 3,1.
                """)
    }

    @Test("options: exactly one action, each action's required and permitted options, Kafka's messages")
    func options() throws {
        func message(_ arguments: [String]) -> String {
            do {
                _ = try ReassignPartitionsOptions.parse(arguments)
                return "accepted"
            } catch {
                return ReassignPartitionsOptions.message(for: error)
            }
        }
        #expect(
            message([]) == "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list")
        #expect(message(["--list", "--verify"]).hasPrefix("Command must include exactly one action"))
        #expect(
            message(["--generate", "--broker-list", "1"]) == #"Missing required argument "[topics-to-move-json-file]""#)
        #expect(message(["--execute"]) == #"Missing required argument "[reassignment-json-file]""#)
        #expect(
            message(["--verify", "--reassignment-json-file", "f", "--throttle", "5"])
                == #"Option "[throttle]" can't be used with action "[verify]""#)
        #expect(message(["--list", "--additional"]) == #"Option "[additional]" can't be used with action "[list]""#)
        #expect(
            message(["--execute", "--reassignment-json-file", "f", "--throttle", "5", "--additional"]) == "accepted")
        #expect(message(["--list", "--json"]) == "accepted")
        let options = try ReassignPartitionsOptions.parse([
            "--generate", "--topics-to-move-json-file", "f", "--broker-list", "3, 1,2",
        ])
        #expect(try options.brokers() == [3, 1, 2])
        let repeated = try ReassignPartitionsOptions.parse([
            "--generate", "--topics-to-move-json-file", "f", "--broker-list", "1,2,1",
        ])
        #expect(throws: ToolError("Broker list contains duplicate entries: [1]")) { try repeated.brokers() }
    }
}
