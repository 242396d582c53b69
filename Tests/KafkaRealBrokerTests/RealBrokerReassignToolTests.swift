import Foundation
import KafkaAdmin
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Testing

/// `kafka-leader-election` and `kafka-reassign-partitions` on the real Kafka 2.3.0 broker, beside Kafka 2.3's own
/// `kafka-preferred-replica-election.sh` and `kafka-reassign-partitions.sh` (2.3 has no kafka-leader-election.sh).
@Suite("Real broker: leader election and reassignment compared with Kafka 2.3's scripts", .timeLimit(.minutes(6)))
struct RealBrokerReassignToolTests {
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elect-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A plan document as a set of its partition objects' texts, with its version.
    static func plan(_ line: String) throws -> Set<String> {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(document["version"] as? Int == 1)
        var entries = Set<String>()
        for entry in document["partitions"] as? [[String: Any]] ?? [] {
            entries.insert(
                "\(entry["topic"] ?? "")-\(entry["partition"] ?? "") \(entry["replicas"] ?? "") \(entry["log_dirs"] ?? "")"
            )
        }
        return entries
    }

    /// The partitions named after `prefix` on the line of `output` that starts with it (`t-0, t-1` lists).
    static func partitions(_ output: String, after prefix: String) -> Set<String> {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [] }
        return Set(line.dropFirst(prefix.count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    @Test("a preferred election through ElectPreferredLeaders v0 elects what kafka-preferred-replica-election.sh does")
    func preferredElectionMatches() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("elect")
        try await RealBroker.createTopic(topic, partitions: 2, on: broker)
        let json = try Self.file(
            #"{"partitions":[{"topic":"\#(topic)","partition":0},{"topic":"\#(topic)","partition":1}]}"#)
        let ours = try await RealBroker.runOurs(
            "kafka-leader-election",
            [
                "--bootstrap-server", broker.bootstrapServers, "--election-type", "preferred", "--path-to-json-file",
                json,
            ])
        #expect(ours.status == 0, "\(ours.stderr)")
        let kafka = try await broker.runTool(
            "kafka-preferred-replica-election.sh",
            ["--bootstrap-server", broker.bootstrapServers, "--path-to-json-file", json])
        #expect(kafka.status == 0, "\(kafka.stderr)")
        let mine = Self.partitions(
            ours.stdout, after: "Successfully completed leader election (PREFERRED) for partitions ")
        let theirs = Self.partitions(
            kafka.stdout, after: "Successfully completed preferred replica election for partitions ")
        #expect(mine == ["\(topic)-0", "\(topic)-1"], "ours:\n\(ours.stdout)")
        #expect(mine == theirs, "ours:\n\(ours.stdout)\nKafka's:\n\(kafka.stdout)")

        // Every partition (a null list at v0, which Kafka 2.3 answers for every partition it has): ours and Kafka's
        // script (without a file) both name this topic's partitions.
        let everyOurs = try await RealBroker.runOurs(
            "kafka-leader-election",
            ["--bootstrap-server", broker.bootstrapServers, "--election-type", "preferred", "--all-topic-partitions"])
        #expect(everyOurs.status == 0, "\(everyOurs.stderr)")
        let everyKafka = try await broker.runTool(
            "kafka-preferred-replica-election.sh", ["--bootstrap-server", broker.bootstrapServers])
        #expect(everyKafka.status == 0, "\(everyKafka.stderr)")
        let allMine = Self.partitions(
            everyOurs.stdout, after: "Successfully completed leader election (PREFERRED) for partitions ")
        let allTheirs = Self.partitions(
            everyKafka.stdout, after: "Successfully completed preferred replica election for partitions ")
        #expect(allMine.isSuperset(of: ["\(topic)-0", "\(topic)-1"]), "ours:\n\(everyOurs.stdout)")
        #expect(allTheirs.isSuperset(of: ["\(topic)-0", "\(topic)-1"]), "Kafka's:\n\(everyKafka.stdout)")

        // A partition the broker does not have fails in both, and both exit 1.
        let missing = try Self.file(#"{"partitions":[{"topic":"\#(topic)","partition":7}]}"#)
        let ourFailure = try await RealBroker.runOurs(
            "kafka-leader-election",
            [
                "--bootstrap-server", broker.bootstrapServers, "--election-type", "PREFERRED", "--path-to-json-file",
                missing,
            ])
        let kafkaFailure = try await broker.runTool(
            "kafka-preferred-replica-election.sh",
            ["--bootstrap-server", broker.bootstrapServers, "--path-to-json-file", missing])
        #expect(ourFailure.status == 1)
        #expect(kafkaFailure.status == 1)
        #expect(
            ourFailure.stdout
                == "Error completing leader election (PREFERRED) for partition: \(topic)-7: UNKNOWN_TOPIC_OR_PARTITION: "
                + "The partition does not exist.\n")
        #expect(
            kafkaFailure.stdout.contains("Error completing preferred replica election for partition \(topic)-7: "),
            "\(kafkaFailure.stdout)")
        #expect(ourFailure.stderr == "kafka-leader-election: 1 replica(s) could not be elected\n")
    }

    @Test("an unclean election and reassignment need Kafka 2.4: one line naming the API and the broker's versions")
    func tooOld() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("old")
        try await RealBroker.createTopic(topic, partitions: 1, on: broker)
        let unclean = try await RealBroker.runOurs(
            "kafka-leader-election",
            ["--bootstrap-server", broker.bootstrapServers, "--election-type", "unclean", "--all-topic-partitions"])
        #expect(unclean.status == 1)
        #expect(unclean.stdout == "")
        #expect(unclean.stderr.split(separator: "\n").count == 1, "\(unclean.stderr)")
        #expect(
            unclean.stderr.hasPrefix(
                "kafka-leader-election: UNCLEAN leader election needs ElectLeaders v1 or later (Kafka 2.4); "),
            "\(unclean.stderr)")
        #expect(unclean.stderr.hasSuffix(" supports only ElectPreferredLeaders v0–v0\n"), "\(unclean.stderr)")

        let plan = try Self.file(#"{"version":1,"partitions":[{"topic":"\#(topic)","partition":0,"replicas":[0]}]}"#)
        for arguments in [
            ["--list"], ["--cancel", "--reassignment-json-file", plan],
            ["--execute", "--reassignment-json-file", plan],
        ] {
            let refused = try await RealBroker.runOurs(
                "kafka-reassign-partitions", ["--bootstrap-server", broker.bootstrapServers] + arguments)
            #expect(refused.status == 1)
            #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
            #expect(
                refused.stderr.hasPrefix(
                    "kafka-reassign-partitions: partition reassignment needs ListPartitionReassignments v0 or later "
                        + "(Kafka 2.4); "),
                "\(refused.stderr)")
            #expect(refused.stderr.hasSuffix(" supports ListPartitionReassignments not at all\n"), "\(refused.stderr)")
        }

        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": broker.bootstrapServers])
        await #expect {
            _ = try await admin.alterPartitionReassignments([
                TopicPartitionKey(topic: topic, partition: 0): .replicas([0])
            ])
        } throws: { error in
            guard let error = error as? AdminError else { return false }
            return error.code == .unsupportedVersion && error.api == .alterPartitionReassignments
                && error.message?.hasPrefix(
                    "partition reassignment needs AlterPartitionReassignments v0 or later (Kafka 2.4); ") == true
                && error.message?.hasSuffix(" supports AlterPartitionReassignments not at all") == true
        }
        await admin.close()
    }

    @Test("--generate prints what Kafka 2.3's kafka-reassign-partitions.sh --generate prints")
    func generateMatches() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("generate")
        try await RealBroker.createTopic(topic, partitions: 3, on: broker)
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": broker.bootstrapServers])
        let brokerID = try #require(try await admin.describeCluster().brokers.first?.nodeID)
        await admin.close()
        let topics = try Self.file(#"{"topics":[{"topic":"\#(topic)"}],"version":1}"#)
        let ours = try await RealBroker.runOurs(
            "kafka-reassign-partitions",
            [
                "--bootstrap-server", broker.bootstrapServers, "--generate", "--topics-to-move-json-file", topics,
                "--broker-list", "\(brokerID)",
            ])
        #expect(ours.status == 0, "\(ours.stderr)")
        let kafka = try await broker.runTool(
            "kafka-reassign-partitions.sh",
            [
                "--zookeeper", broker.zookeeper, "--generate", "--topics-to-move-json-file", topics, "--broker-list",
                "\(brokerID)",
            ])
        #expect(kafka.status == 0, "\(kafka.stderr)")
        // One broker: the proposal is determined, so the reports say the same; Kafka 2.3 lists the partitions in
        // hash order, ours in Kafka's later sorted order.
        let mine = ours.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let theirs = kafka.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(mine.count == theirs.count, "ours:\n\(ours.stdout)\nKafka's:\n\(kafka.stdout)")
        for (index, (line, other)) in zip(mine, theirs).enumerated() {
            if line.hasPrefix("{") {
                #expect(try Self.plan(String(line)) == Self.plan(String(other)), "line \(index)")
            } else {
                #expect(line == other, "line \(index)")
            }
        }
        #expect(ours.stdout.contains(#""replicas":[\#(brokerID)],"log_dirs":["any"]"#))
    }
}
