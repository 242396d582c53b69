import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import KafkaProtocol
import Testing

@Suite struct LeaderElectionLogicTests {
    @Test("--election-type in any case; exactly one way to name partitions; Kafka's messages")
    func options() throws {
        func message(_ arguments: [String]) -> String {
            do {
                _ = try LeaderElectionOptions.parse(arguments)
                return "accepted"
            } catch {
                return LeaderElectionOptions.message(for: error)
            }
        }
        #expect(
            try LeaderElectionOptions.parse(["--election-type", "preferred", "--all-topic-partitions"]).electionType
                == .preferred)
        #expect(
            try LeaderElectionOptions.parse(["--election-type", "UNCLEAN", "--all-topic-partitions"]).electionType
                == .unclean)
        #expect(
            try LeaderElectionOptions.parse(["--election-type", "Unclean", "--all-topic-partitions"]).electionType
                == .unclean)
        #expect(message(["--all-topic-partitions"]) == "Missing required option(s): election-type")
        #expect(message(["--election-type", "random", "--all-topic-partitions"]).contains("random"))
        let oneOf =
            "One and only one of the following options is required: topic, all-topic-partitions, path-to-json-file"
        #expect(message(["--election-type", "preferred"]) == oneOf)
        #expect(
            message(["--election-type", "preferred", "--all-topic-partitions", "--topic", "t", "--partition", "0"])
                == oneOf)
        #expect(message(["--election-type", "preferred", "--topic", "t"]) == "Missing required option(s): partition")
        #expect(
            message(["--election-type", "preferred", "--all-topic-partitions", "--partition", "0"])
                == "Option partition is only allowed if topic is used")
        let single = try LeaderElectionOptions.parse([
            "--election-type", "preferred", "--topic", "t", "--partition", "3",
        ])
        #expect(try single.partitions() == [TopicPartitionKey(topic: "t", partition: 3)])
        #expect(
            try LeaderElectionOptions.parse(["--election-type", "preferred", "--all-topic-partitions"]).partitions()
                == nil)
    }

    @Test("Kafka's election file, and its messages for bad ones")
    func electionFile() throws {
        #expect(
            try LeaderElectionOptions.electionPartitions(
                #"{"partitions":[{"topic":"foo","partition":1},{"topic":"foobar","partition":2}]}"#)
                == [TopicPartitionKey(topic: "foo", partition: 1), TopicPartitionKey(topic: "foobar", partition: 2)])
        #expect(throws: ToolError("Replica election data is empty")) {
            try LeaderElectionOptions.electionPartitions("{")
        }
        #expect(throws: ToolError("Replica election data is empty")) {
            try LeaderElectionOptions.electionPartitions("[]")
        }
        #expect(throws: ToolError(#"Replica election data is missing "partitions" field"#)) {
            try LeaderElectionOptions.electionPartitions(#"{"version":1}"#)
        }
        #expect(throws: ToolError("Replica election data contains duplicate partitions: a-0")) {
            try LeaderElectionOptions.electionPartitions(
                #"{"partitions":[{"topic":"a","partition":0},{"topic":"a","partition":0}]}"#)
        }
        #expect(throws: ToolError(#"entry 0 of the election data needs a string "topic" and an integer "partition""#)) {
            try LeaderElectionOptions.electionPartitions(#"{"partitions":[{"topic":"a","partition":"x"}]}"#)
        }
        #expect(throws: ToolError(#"entry 0 of the election data needs a string "topic" and an integer "partition""#)) {
            try LeaderElectionOptions.electionPartitions(#"{"partitions":[{"topic":"a","partition":99999999999}]}"#)
        }
    }

    @Test("Kafka's report: elected, already elected, one line per failure, partitions in order")
    func report() {
        func key(_ partition: Int32) -> TopicPartitionKey { TopicPartitionKey(topic: "t", partition: partition) }
        let outcomes = LeaderElectionTool.outcomes([
            key(2): .success(()), key(0): .success(()),
            key(1): .failure(AdminError(code: .electionNotNeeded, api: .electLeaders, partition: key(1))),
            key(3): .failure(AdminError(code: .preferredLeaderNotAvailable, api: .electLeaders, partition: key(3))),
        ])
        #expect(
            LeaderElectionTool.render(outcomes, type: .preferred, json: false)
                == """
                Successfully completed leader election (PREFERRED) for partitions t-0, t-2
                Valid replica already elected for partitions t-1
                Error completing leader election (PREFERRED) for partition: t-3: PREFERRED_LEADER_NOT_AVAILABLE: \
                \(KafkaErrorCode.preferredLeaderNotAvailable.message)

                """)
        #expect(LeaderElectionTool.render([], type: .unclean, json: false) == "")
        #expect(LeaderElectionTool.render(outcomes, type: .unclean, json: true).contains(#""outcome" : "not-needed""#))
    }
}
