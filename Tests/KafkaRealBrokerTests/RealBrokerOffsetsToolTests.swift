import Foundation
import KafkaProducer
import KafkaTestSupport
import Testing

/// `kafka-get-offsets` and `kafka-delete-records` beside Kafka's `GetOffsetShell` and `kafka-delete-records.sh` on
/// the real broker: the same offsets, and each tool sees what the other one did.
@Suite("Real broker: offsets and delete-records compared with Kafka's tools", .timeLimit(.minutes(10)))
struct RealBrokerOffsetsToolTests {
    /// Kafka 2.3's `GetOffsetShell` (`kafka-get-offsets.sh` came in 3.0), its lines sorted.
    static func kafkaOffsets(_ broker: RealKafkaBroker, topic: String, time: String) async throws -> [String] {
        let outcome = try await broker.runTool(
            "kafka-run-class.sh",
            ["kafka.tools.GetOffsetShell", "--broker-list", broker.bootstrapServers, "--topic", topic, "--time", time])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return outcome.stdout.split(separator: "\n").map(String.init).sorted()
    }

    static func ourOffsets(_ broker: RealKafkaBroker, _ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await RealBroker.runOurs(
            "kafka-get-offsets", ["--bootstrap-server", broker.bootstrapServers] + arguments)
    }

    static func writeJSON(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("offsets-\(UUID()).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("kafka-get-offsets prints the offsets GetOffsetShell prints; both see the other tool's deletions")
    func offsetsAndDeletionsMatch() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("offsets")
        try await RealBroker.createTopic(topic, partitions: 3, on: broker)
        let producer = try KafkaProducer(configuration: try RealBroker.producerConfiguration(broker))
        for (partition, count) in [7, 4, 0].enumerated() {
            for index in 0..<count {
                _ = try await producer.send(
                    ProducerRecord(topic: topic, partition: Int32(partition), key: "k\(index)", value: "v\(index)"))
            }
        }
        await producer.close()

        for (time, expected) in [("-1", ["0:7", "1:4", "2:0"]), ("-2", ["0:0", "1:0", "2:0"])] {
            let ours = try await Self.ourOffsets(broker, ["--topic", topic, "--time", time])
            #expect(ours.status == 0, "\(ours.stderr)")
            #expect(ours.stdout == expected.map { "\(topic):\($0)\n" }.joined())
            let kafka = try await Self.kafkaOffsets(broker, topic: topic, time: time)
            #expect(ours.stdout.split(separator: "\n").map(String.init).sorted() == kafka, "--time \(time)")
        }

        // Kafka's tool deletes from partition 0; ours sees the new log start offset.
        let kafkaPlan = try Self.writeJSON(
            #"{"partitions": [{"topic": "\#(topic)", "partition": 0, "offset": 3}], "version": 1}"#)
        let kafkaDelete = try await broker.runTool(
            "kafka-delete-records.sh", ["--bootstrap-server", broker.bootstrapServers, "--offset-json-file", kafkaPlan])
        #expect(kafkaDelete.stdout.contains("partition: \(topic)-0\tlow_watermark: 3"), "\(kafkaDelete.stdout)")
        let afterKafka = try await Self.ourOffsets(
            broker, ["--topic", topic, "--partitions", "0", "--time", "earliest"])
        #expect(afterKafka.stdout == "\(topic):0:3\n", "\(afterKafka.stderr)")

        // Ours deletes every record of partition 1 (-1: up to the high watermark); Kafka's tool sees it.
        let ourPlan = try Self.writeJSON(#"{"partitions": [{"topic": "\#(topic)", "partition": 1, "offset": -1}]}"#)
        let ourDelete = try await RealBroker.runOurs(
            "kafka-delete-records", ["--bootstrap-server", broker.bootstrapServers, "--offset-json-file", ourPlan])
        #expect(ourDelete.status == 0, "\(ourDelete.stderr)")
        #expect(
            ourDelete.stdout
                == "Executing records delete operation\nRecords delete operation completed:\n"
                + "partition: \(topic)-1\tlow_watermark: 4\n")
        let kafkaEarliest = try await Self.kafkaOffsets(broker, topic: topic, time: "-2")
        #expect(kafkaEarliest == ["\(topic):0:3", "\(topic):1:4", "\(topic):2:0"])
    }

    @Test("max-timestamp needs ListOffsets v7: one line naming the API and the broker's versions")
    func maxTimestampOnKafka23IsRefusedInOneLine() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("max-ts")
        try await RealBroker.createTopic(topic, partitions: 2, on: broker)
        let outcome = try await Self.ourOffsets(broker, ["--topic", topic, "--time", "max-timestamp"])
        #expect(outcome.status == 1)
        #expect(outcome.stdout == "")
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("ListOffsets v7"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("supports ListOffsets v0–v5"), "\(outcome.stderr)")
    }
}
