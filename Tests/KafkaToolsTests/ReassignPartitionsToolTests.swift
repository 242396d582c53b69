import Foundation
import KafkaAdmin
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaTestSupport
import Testing

/// `kafka-reassign-partitions` and `kafka-leader-election` run as a user runs them, against a three-broker dev
/// cluster (brokers 1, 2, 3).
@Suite(.serialized, .timeLimit(.minutes(6))) struct ReassignPartitionsToolTests {
    /// A file in a fresh temporary directory holding `text`.
    static func file(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reassign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("plan.json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func reassign(_ cluster: DevCluster, _ arguments: [String]) async throws -> ToolRunner.Outcome {
        try await ToolRunner.run(
            "kafka-reassign-partitions", ["--bootstrap-server", cluster.bootstrapServers] + arguments)
    }

    static func elect(_ cluster: DevCluster, _ arguments: [String]) async throws -> ToolRunner.Outcome {
        try await ToolRunner.run("kafka-leader-election", ["--bootstrap-server", cluster.bootstrapServers] + arguments)
    }

    /// Each partition's leader, replicas and ISR as `kcat -L -t topic` shows them.
    static func kcatPartitions(_ cluster: DevCluster, topic: String) async throws -> [Int32: (
        leader: Int32, replicas: [Int32], isr: [Int32]
    )] {
        let listing = try await Kcat.metadataListing(bootstrap: cluster.bootstrapServers, topic: topic)
        var result: [Int32: (Int32, [Int32], [Int32])] = [:]
        func ids(_ text: Substring) -> [Int32] {
            text.split(separator: ",").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        }
        for line in listing.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("partition "), let leaderRange = text.range(of: ", leader "),
                let replicasRange = text.range(of: ", replicas: "), let isrRange = text.range(of: ", isrs: ")
            else { continue }
            guard let partition = Int32(text[text.index(text.startIndex, offsetBy: 10)..<leaderRange.lowerBound]),
                let leader = Int32(text[leaderRange.upperBound..<replicasRange.lowerBound])
            else { continue }
            let rest = text[isrRange.upperBound...]
            let isrText = rest.range(of: ", ").map { rest[..<$0.lowerBound] } ?? rest
            result[partition] = (
                leader, ids(text[replicasRange.upperBound..<isrRange.lowerBound]), ids(isrText)
            )
        }
        return result
    }

    @Test("generate, then execute, then verify: the replicas move, kcat -L shows them, verify says completed")
    func generateExecuteVerify() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            defer { Task { await admin.close() } }
            _ = try await admin.createTopics([NewTopic(name: "moving", replicaAssignment: [0: [1], 1: [1], 2: [1]])])

            let topics = try Self.file(#"{"topics":[{"topic":"moving"}],"version":1}"#)
            let generated = try await Self.reassign(
                cluster, ["--generate", "--topics-to-move-json-file", topics, "--broker-list", "2,3"])
            #expect(generated.status == 0, "\(generated.stderr)")
            let lines = generated.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 6, "\(generated.stdout)")
            #expect(lines.first == "Current partition replica assignment")
            let current: String =
                #"{"version":1,"partitions":[{"topic":"moving","partition":0,"replicas":[1],"log_dirs":["any"]},"#
                + #"{"topic":"moving","partition":1,"replicas":[1],"log_dirs":["any"]},"#
                + #"{"topic":"moving","partition":2,"replicas":[1],"log_dirs":["any"]}]}"#
            #expect(lines.dropFirst().first.map(String.init) == current)
            #expect(lines.dropFirst(3).first == "Proposed partition reassignment configuration")
            let proposal = String(try #require(lines.dropFirst(4).first))
            let plan = try ReassignmentJSONReader.plan(proposal)
            #expect(plan.count == 3)
            for replicas in plan.values { #expect(replicas.count == 1 && [2, 3].contains(replicas[0])) }

            let planFile = try Self.file(proposal)
            let executed = try await Self.reassign(cluster, ["--execute", "--reassignment-json-file", planFile])
            #expect(executed.status == 0, "\(executed.stderr)")
            #expect(executed.stdout.hasPrefix("Current partition replica assignment\n\n{\"version\":1"))
            #expect(
                executed.stdout.contains("Save this to use as the --reassignment-json-file option during rollback\n"))
            #expect(
                executed.stdout.hasSuffix(
                    "Successfully started partition reassignments for moving-0,moving-1,moving-2\n"))

            let verified = try await Self.reassign(cluster, ["--verify", "--reassignment-json-file", planFile])
            #expect(verified.status == 0, "\(verified.stderr)")
            #expect(
                verified.stdout
                    == """
                    Status of partition reassignment:
                    Reassignment of partition moving-0 is completed.
                    Reassignment of partition moving-1 is completed.
                    Reassignment of partition moving-2 is completed.

                    Clearing broker-level throttles on brokers 1,2,3
                    Clearing topic-level throttles on topic moving

                    """)
            let shown = try await Self.kcatPartitions(cluster, topic: "moving")
            #expect(shown.count == 3)
            for (partition, replicas) in plan {
                let listed = try #require(shown[partition.partition])
                #expect(listed.replicas == replicas, "partition \(partition)")
                #expect(listed.isr == replicas)
                #expect(listed.leader == replicas[0])
            }
            let list = try await Self.reassign(cluster, ["--list"])
            #expect(list.stdout == "No partition reassignments found.\n")
        }
    }

    @Test("a throttled move: throttles set as Kafka sets them, verify in progress, then completed and cleared")
    func throttledMove() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            defer { Task { await admin.close() } }
            _ = try await admin.createTopics([NewTopic(name: "slow", replicaAssignment: [0: [1, 2]])])
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(properties: ["bootstrap.servers": cluster.bootstrapServers]))
            for index in 0..<40 {
                _ = try await producer.send(
                    ProducerRecord(
                        topic: "slow", partition: 0, key: "k\(index)", value: String(repeating: "x", count: 750)))
            }
            await producer.close()
            // About 31 KB to copy at 500 B/s: the move would take a minute (until the throttle is raised below), so
            // the checks in between see it running even on a loaded machine.
            let plan = try Self.file(#"{"version":1,"partitions":[{"topic":"slow","partition":0,"replicas":[2,3]}]}"#)
            let executed = try await Self.reassign(
                cluster, ["--execute", "--reassignment-json-file", plan, "--throttle", "500"])
            #expect(executed.status == 0, "\(executed.stderr)")
            #expect(
                executed.stdout.contains(
                    "Warning: You must run --verify periodically, until the reassignment completes, to ensure the "
                        + "throttle is removed.\nThe inter-broker throttle limit was set to 500 B/s\n"
                        + "Successfully started partition reassignment for slow-0\n"))
            let topicConfigs = try #require(try await admin.describeConfigs([.topic("slow")])[.topic("slow")]?.get())
            func value(_ entries: [ConfigEntry], _ name: String) -> String? { entries.first { $0.name == name }?.value }
            #expect(value(topicConfigs, "leader.replication.throttled.replicas") == "0:1,0:2")
            #expect(value(topicConfigs, "follower.replication.throttled.replicas") == "0:3")
            for broker: Int32 in [1, 2, 3] {
                let configs = try #require(try await admin.describeConfigs([.broker(broker)])[.broker(broker)]?.get())
                #expect(value(configs, "follower.replication.throttled.rate") == "500", "broker \(broker)")
                #expect(value(configs, "leader.replication.throttled.rate") == "500", "broker \(broker)")
            }

            let listed = try await Self.reassign(cluster, ["--list"])
            #expect(
                listed.stdout == "Current partition reassignments:\nslow-0: replicas: 2,3,1. adding: 3. removing: 1.\n")
            let early = try await Self.reassign(cluster, ["--verify", "--reassignment-json-file", plan])
            #expect(early.status == 0)
            #expect(
                early.stdout
                    == "Status of partition reassignment:\nReassignment of partition slow-0 is still in progress.\n\n")
            let json = try await Self.reassign(cluster, ["--verify", "--reassignment-json-file", plan, "--json"])
            #expect(json.stdout.contains(#""done" : false"#), "\(json.stdout)")
            let refused = try await Self.reassign(cluster, ["--execute", "--reassignment-json-file", plan])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("Cannot execute because there is an existing partition assignment."))
            // Resubmitted with --additional, the running move takes the new throttle.
            let faster = try await Self.reassign(
                cluster, ["--execute", "--reassignment-json-file", plan, "--additional", "--throttle", "1000000"])
            #expect(faster.status == 0, "\(faster.stderr)")
            #expect(faster.stdout.contains("The inter-broker throttle limit was set to 1000000 B/s\n"))
            let raised = try #require(try await admin.describeConfigs([.broker(3)])[.broker(3)]?.get())
            #expect(value(raised, "follower.replication.throttled.rate") == "1000000")

            var final = early
            for _ in 0..<80 where final.stdout.contains("in progress") {
                try await Task.sleep(for: .milliseconds(500))
                final = try await Self.reassign(cluster, ["--verify", "--reassignment-json-file", plan])
            }
            #expect(final.stdout.contains("Reassignment of partition slow-0 is completed.\n"), "\(final.stdout)")
            #expect(final.stdout.contains("Clearing broker-level throttles on brokers 1,2,3\n"))
            #expect(final.stdout.contains("Clearing topic-level throttles on topic slow\n"))
            let cleared = try #require(try await admin.describeConfigs([.topic("slow")])[.topic("slow")]?.get())
            #expect(value(cleared, "leader.replication.throttled.replicas") ?? "" == "")
            #expect(value(cleared, "follower.replication.throttled.replicas") ?? "" == "")
            let broker = try #require(try await admin.describeConfigs([.broker(2)])[.broker(2)]?.get())
            #expect(broker.first { $0.name == "follower.replication.throttled.rate" }?.source != .dynamicBrokerConfig)
            let shown = try await Self.kcatPartitions(cluster, topic: "slow")
            #expect(shown[0]?.replicas == [2, 3])
            #expect(shown[0]?.leader == 2)
        }
    }

    @Test("cancel returns a throttled move to its replicas; bad plans and unknown brokers fail in one line")
    func cancelAndErrors() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            defer { Task { await admin.close() } }
            _ = try await admin.createTopics([NewTopic(name: "held", replicaAssignment: [0: [1]])])
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(properties: ["bootstrap.servers": cluster.bootstrapServers]))
            _ = try await producer.send(
                ProducerRecord(topic: "held", partition: 0, key: "k", value: String(repeating: "y", count: 5000)))
            await producer.close()
            let plan = try Self.file(#"{"version":1,"partitions":[{"topic":"held","partition":0,"replicas":[1,3]}]}"#)
            let executed = try await Self.reassign(
                cluster, ["--execute", "--reassignment-json-file", plan, "--throttle", "1"])
            #expect(executed.status == 0, "\(executed.stderr)")
            let cancelled = try await Self.reassign(cluster, ["--cancel", "--reassignment-json-file", plan])
            #expect(cancelled.status == 0, "\(cancelled.stderr)")
            #expect(cancelled.stdout.hasPrefix("Successfully cancelled partition reassignment for: held-0\n"))
            #expect(cancelled.stdout.contains("Clearing topic-level throttles on topic held\n"))
            #expect(try await Self.kcatPartitions(cluster, topic: "held")[0]?.replicas == [1])
            let again = try await Self.reassign(cluster, ["--cancel", "--reassignment-json-file", plan])
            #expect(again.stdout.hasPrefix("None of the specified partition reassignments are active.\n"))

            let unknown = try Self.file(#"{"partitions":[{"topic":"held","partition":0,"replicas":[7]}]}"#)
            let badBroker = try await Self.reassign(cluster, ["--execute", "--reassignment-json-file", unknown])
            #expect(badBroker.status == 1)
            #expect(badBroker.stderr == "kafka-reassign-partitions: Unknown broker id 7\n")
            let missing = try Self.file(#"{"partitions":[{"topic":"held","partition":4,"replicas":[2]}]}"#)
            let badPartition = try await Self.reassign(cluster, ["--execute", "--reassignment-json-file", missing])
            #expect(badPartition.stderr == "kafka-reassign-partitions: Unable to find partition: held-4\n")
            let broken = try Self.file(#"{"partitions":[{"topic":"held","partition":0,"replicas":"#)
            let badJSON = try await Self.reassign(cluster, ["--verify", "--reassignment-json-file", broken])
            #expect(badJSON.status == 1)
            #expect(badJSON.stderr == "kafka-reassign-partitions: The input string is not a valid JSON\n")
            let usage = try await Self.reassign(cluster, ["--list", "--throttle", "5"])
            #expect(usage.status == 2)
            #expect(usage.stderr.contains(#"Option "[throttle]" can't be used with action "[list]""#))
            let topics = try Self.file(#"{"topics":[{"topic":"nope"}]}"#)
            let noTopic = try await Self.reassign(
                cluster, ["--generate", "--topics-to-move-json-file", topics, "--broker-list", "1,2"])
            #expect(noTopic.stderr == "kafka-reassign-partitions: Topic nope not found.\n")
        }
    }

    @Test("a consumer reading while partitions move back and forth gets every record exactly once")
    func readingThroughTheMove() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            defer { Task { await admin.close() } }
            _ = try await admin.createTopics([NewTopic(name: "live", replicaAssignment: [0: [1, 2], 1: [2, 3]])])
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(properties: [
                    "bootstrap.servers": cluster.bootstrapServers, "acks": "all", "linger.ms": "5",
                ]))
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(properties: [
                    "bootstrap.servers": cluster.bootstrapServers, "auto.offset.reset": "earliest",
                    "group.id": "reader", "enable.auto.commit": "false",
                ]))
            try consumer.assign([
                TopicPartition(topic: "live", partition: 0), TopicPartition(topic: "live", partition: 1),
            ])
            let total = 600
            let produced = Task {
                for index in 0..<total {
                    _ = try await producer.send(
                        ProducerRecord(topic: "live", partition: Int32(index % 2), key: "k\(index)", value: "v\(index)")
                    )
                    if index % 50 == 0 { try await Task.sleep(for: .milliseconds(20)) }
                }
            }
            let plans = [
                #"{"version":1,"partitions":[{"topic":"live","partition":0,"replicas":[3,1]},{"topic":"live","partition":1,"replicas":[1]}]}"#,
                #"{"version":1,"partitions":[{"topic":"live","partition":0,"replicas":[2]},{"topic":"live","partition":1,"replicas":[3,2]}]}"#,
                #"{"version":1,"partitions":[{"topic":"live","partition":0,"replicas":[1,2,3]},{"topic":"live","partition":1,"replicas":[2,3]}]}"#,
            ]
            var received: [String] = []
            for plan in plans {
                received += try await consumer.poll(timeout: .milliseconds(300)).compactMap { record in
                    record.value.map { String(buffer: $0) }
                }
                let executed = try await Self.reassign(
                    cluster, ["--execute", "--reassignment-json-file", try Self.file(plan)])
                #expect(executed.status == 0, "\(executed.stderr)")
            }
            try await produced.value
            let deadline = ContinuousClock.now.advanced(by: .seconds(60))
            while received.count < total, ContinuousClock.now < deadline {
                received += try await consumer.poll(timeout: .milliseconds(500)).compactMap { record in
                    record.value.map { String(buffer: $0) }
                }
            }
            await consumer.close()
            await producer.close()
            #expect(received.count == total, "records read: \(received.count)")
            #expect(Set(received) == Set((0..<total).map { "v\($0)" }))
            let shown = try await Self.kcatPartitions(cluster, topic: "live")
            #expect(shown[0]?.replicas == [1, 2, 3])
            #expect(shown[1]?.replicas == [2, 3])
        }
    }

    @Test("after a broker restart, a preferred election gives the partitions back to their first replicas")
    func preferredElectionAfterRestart() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            defer { Task { await admin.close() } }
            _ = try await admin.createTopics([
                NewTopic(name: "led", replicaAssignment: [0: [1, 2], 1: [1, 3], 2: [2, 3]])
            ])
            try await cluster.stopBroker(1)
            try await cluster.startBroker(1)
            #expect(cluster.leader(topic: "led", partition: 0) == 2)
            #expect(cluster.leader(topic: "led", partition: 1) == 3)
            let json = try Self.file(#"{"partitions":[{"topic":"led","partition":1}]}"#)
            let one = try await Self.elect(cluster, ["--election-type", "Preferred", "--path-to-json-file", json])
            #expect(one.status == 0, "\(one.stderr)")
            #expect(one.stdout == "Successfully completed leader election (PREFERRED) for partitions led-1\n")
            let all = try await Self.elect(cluster, ["--election-type", "PREFERRED", "--all-topic-partitions"])
            #expect(all.status == 0, "\(all.stderr)")
            #expect(all.stdout == "Successfully completed leader election (PREFERRED) for partitions led-0\n")
            #expect(cluster.leader(topic: "led", partition: 0) == 1)
            #expect(cluster.leader(topic: "led", partition: 1) == 1)
            let shown = try await Self.kcatPartitions(cluster, topic: "led")
            #expect(shown[0]?.leader == 1 && shown[1]?.leader == 1 && shown[2]?.leader == 2)
            let noop = try await Self.elect(
                cluster, ["--election-type", "preferred", "--topic", "led", "--partition", "2"])
            #expect(noop.status == 0)
            #expect(noop.stdout == "Valid replica already elected for partitions led-2\n")
            let failed = try await Self.elect(
                cluster, ["--election-type", "unclean", "--topic", "ghost", "--partition", "0"])
            #expect(failed.status == 1)
            #expect(
                failed.stdout.hasPrefix(
                    "Error completing leader election (UNCLEAN) for partition: ghost-0: UNKNOWN_TOPIC_OR_PARTITION"))
            #expect(failed.stderr == "kafka-leader-election: 1 replica(s) could not be elected\n")
            let usage = try await Self.elect(cluster, ["--election-type", "preferred"])
            #expect(usage.status == 2)
            #expect(usage.stderr.contains("One and only one of the following options is required"))
        }
    }

    @Test("an unclean election brings back a partition whose in-sync replicas are all down")
    func uncleanElection() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            defer { Task { await admin.close() } }
            _ = try await admin.createTopics([NewTopic(name: "lost", replicaAssignment: [0: [2, 3]])])
            try await cluster.stopBroker(3)
            try await cluster.stopBroker(2)
            try await cluster.startBroker(3)
            #expect(cluster.leader(topic: "lost", partition: 0) == -1)
            let preferred = try await Self.elect(cluster, ["--election-type", "preferred", "--all-topic-partitions"])
            #expect(preferred.status == 1)
            #expect(preferred.stdout.contains("PREFERRED_LEADER_NOT_AVAILABLE"), "\(preferred.stdout)")
            let unclean = try await Self.elect(
                cluster, ["--election-type", "unclean", "--topic", "lost", "--partition", "0", "--json"])
            #expect(unclean.status == 0, "\(unclean.stderr)")
            #expect(unclean.stdout.contains(#""outcome" : "elected""#), "\(unclean.stdout)")
            #expect(cluster.leader(topic: "lost", partition: 0) == 3)
        }
    }
}

/// Reads the plan documents the tool prints (independently of the tool's own parser).
enum ReassignmentJSONReader {
    static func plan(_ text: String) throws -> [TopicPartitionKey: [Int32]] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(document["version"] as? Int == 1)
        var result: [TopicPartitionKey: [Int32]] = [:]
        for entry in document["partitions"] as? [[String: Any]] ?? [] {
            let topic = try #require(entry["topic"] as? String)
            let partition = try #require(entry["partition"] as? Int)
            let replicas = try #require(entry["replicas"] as? [Int])
            #expect((entry["log_dirs"] as? [String])?.count == replicas.count)
            result[TopicPartitionKey(topic: topic, partition: Int32(partition))] = replicas.map { Int32($0) }
        }
        return result
    }
}
