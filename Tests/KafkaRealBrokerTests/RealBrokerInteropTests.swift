import Foundation
import KafkaConsumer
import KafkaProducer
import KafkaTestSupport
import NIOCore
import Testing

/// Our tools and clients with Kafka's own Java tools, on the same real broker.
@Suite("Real broker: interoperability with Kafka's Java tools", .timeLimit(.minutes(10)))
struct RealBrokerInteropTests {
    static let codecs = ["none", "gzip", "snappy", "lz4", "zstd"]

    @Test(
        "each codec, ours to Java: kafka-console-producer --compression-codec, read by kafka-console-consumer.sh",
        arguments: codecs)
    func oursToJava(codec: String) async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("codec-ours-\(codec)")
        try await RealBroker.createTopic(topic, on: broker)
        let lines = (0..<300).map { "\(codec) line \($0) " + String(repeating: "x", count: $0 % 50) }
        let produced = try await RealBroker.runOurs(
            "kafka-console-producer",
            ["--bootstrap-server", broker.bootstrapServers, "--topic", topic, "--compression-codec", codec],
            stdin: lines.joined(separator: "\n") + "\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        let read = try await RealBroker.javaConsume(topic, count: lines.count, from: broker)
        #expect(read == lines)
        // The batches on disk really are compressed with the codec: Kafka's DumpLogSegments names it.
        let segment = "\(broker.directory)/kafka-logs/\(topic)-0/00000000000000000000.log"
        let dump = try await broker.runTool(
            "kafka-run-class.sh", ["kafka.tools.DumpLogSegments", "--files", segment])
        let expected = codec == "none" ? "compresscodec: NONE" : "compresscodec: \(codec.uppercased())"
        #expect(dump.stdout.contains(expected), "\(dump.stdout.prefix(1500))")
    }

    @Test(
        "each codec, Java to ours: kafka-console-producer.sh --compression-codec, read by kafka-console-consumer",
        arguments: codecs)
    func javaToOurs(codec: String) async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("codec-java-\(codec)")
        try await RealBroker.createTopic(topic, on: broker)
        let lines = (0..<300).map { "java \(codec) \($0) " + String(repeating: "y", count: $0 % 40) }
        let produced = try await broker.runTool(
            "kafka-console-producer.sh",
            ["--broker-list", broker.bootstrapServers, "--topic", topic, "--compression-codec", codec],
            stdin: lines.joined(separator: "\n") + "\n")
        #expect(produced.status == 0, "\(produced.stderr)")
        let read = try await RealBroker.runOurs(
            "kafka-console-consumer",
            [
                "--bootstrap-server", broker.bootstrapServers, "--topic", topic, "--from-beginning", "--max-messages",
                "\(lines.count)", "--timeout-ms", "30000",
            ])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout.split(separator: "\n").map(String.init) == lines)
    }

    @Test("a topic that does not exist is created by the producer's Metadata request (auto.create.topics.enable)")
    func producerAutoCreatesTopic() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("auto-producer")
        let producer = try KafkaProducer(
            configuration: RealBroker.producerConfiguration(broker, ["max.block.ms": "20000"]))
        let metadata = try await producer.send(ProducerRecord(topic: topic, key: nil, value: "first"))
        await producer.close()
        #expect(metadata.topic == topic)
        #expect(metadata.offset == 0)
        let described = try await broker.runTool(
            "kafka-topics.sh", ["--bootstrap-server", broker.bootstrapServers, "--describe", "--topic", topic])
        #expect(
            described.stdout.replacingOccurrences(of: " ", with: "").contains("PartitionCount:1"),
            "\(described.stdout) \(described.stderr)")
        #expect(try await RealBroker.javaConsume(topic, count: 1, from: broker) == ["first"])
    }

    @Test("the consumer follows allow.auto.create.topics: true creates the topic, false does not")
    func consumerAutoCreate() async throws {
        let broker = try await RealKafkaBroker.shared()
        let created = RealBroker.topic("auto-consumer")
        let consumer = try KafkaConsumer(configuration: RealBroker.consumerConfiguration(broker))
        let partitions = try await consumer.partitionsFor(topic: created)
        await consumer.close()
        #expect(partitions.count == 1)

        let notCreated = RealBroker.topic("no-auto-consumer")
        let refusing = try KafkaConsumer(
            configuration: RealBroker.consumerConfiguration(broker, ["allow.auto.create.topics": "false"]))
        await #expect(throws: (any Error).self) { try await refusing.partitionsFor(topic: notCreated) }
        await refusing.close()
        let listed = try await broker.runTool(
            "kafka-topics.sh", ["--bootstrap-server", broker.bootstrapServers, "--list"])
        let names = Set(listed.stdout.split(separator: "\n").map(String.init))
        #expect(names.contains(created))
        #expect(!names.contains(notCreated))
    }

    /// The consumer's `--timeout-ms` (Kafka's: exit after that long without a record) is far above how long the
    /// steps before the record take: in a full run, with every suite's JVM tools starting at once on two cores,
    /// the topic listings and the console producer took more than a minute, and a 60 s timeout ended the consumer
    /// before the record was written.
    @Test("kafka-console-consumer on a missing topic reads it once the broker created it, as Kafka's does")
    func consoleConsumerAutoCreate() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("auto-console")
        let started = ContinuousClock.now
        let consumer = try ChildProcess(
            try RealBroker.ourTool("kafka-console-consumer"),
            [
                "--bootstrap-server", broker.bootstrapServers, "--topic", topic, "--from-beginning", "--max-messages",
                "1",
                "--timeout-ms", "300000",
            ])
        // The consumer asked for the topic: it exists now, and a record produced to it is read.
        var exists = false
        for _ in 0..<100 where !exists {
            try await Task.sleep(for: .milliseconds(200))
            let listed = try await broker.runTool(
                "kafka-topics.sh", ["--bootstrap-server", broker.bootstrapServers, "--list"])
            exists = listed.stdout.split(separator: "\n").contains { $0 == topic }
        }
        #expect(exists, "the console consumer's Metadata request did not create \(topic)")
        try await Task.sleep(for: .seconds(2))
        _ = try await broker.runTool(
            "kafka-console-producer.sh", ["--broker-list", broker.bootstrapServers, "--topic", topic], stdin: "hello\n")
        let produced = started.duration(to: .now)
        print(
            "kafka-console-consumer on a missing topic: the record was produced \(produced) after the consumer started")
        let outcome = try await consumer.wait(timeout: .seconds(300))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(
            outcome.stdout == "hello\n",
            """
            record produced \(produced) after the consumer started, which ended after \
            \(started.duration(to: .now)); stderr: \(outcome.stderr)
            """)
    }
}
