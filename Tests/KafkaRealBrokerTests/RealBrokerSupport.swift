import Foundation
import KafkaConsumer
import KafkaNetwork
import KafkaProducer
import KafkaTestSupport
import NIOCore
import Testing

/// What the real-broker suites share: the broker, our tools as processes, names and read-backs.
enum RealBroker {
    /// A topic name no other test uses.
    static func topic(_ stem: String) -> String {
        "\(stem)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// One of this package's tools, built next to the test bundle by `swift build --build-tests`.
    static func ourTool(_ name: String) throws -> String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        throw RealKafkaBroker.Failure(
            description: "\(name) is not built next to the tests; run `swift build --build-tests`")
    }

    /// Runs one of our tools to its end.
    static func runOurs(
        _ name: String, _ arguments: [String], stdin: String? = nil, timeout: Duration = .seconds(120)
    ) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run(try ourTool(name), arguments, stdin: stdin, timeout: timeout)
    }

    /// Creates `topic` with Kafka's own `kafka-topics.sh` and waits until our client sees its leaders.
    static func createTopic(
        _ topic: String, partitions: Int = 1, on broker: RealKafkaBroker, configs: [String: String] = [:]
    ) async throws {
        var arguments = [
            "--bootstrap-server", broker.bootstrapServers, "--create", "--topic", topic, "--partitions",
            "\(partitions)",
            "--replication-factor", "1",
        ]
        for (key, value) in configs.sorted(by: { $0.key < $1.key }) { arguments += ["--config", "\(key)=\(value)"] }
        // A broker restarted moments ago may refuse (its controller is still loading): try again a few times.
        var outcome = try await broker.runTool("kafka-topics.sh", arguments)
        for _ in 0..<4 where outcome.status != 0 && !outcome.stdout.contains("Created topic") {
            try await Task.sleep(for: .seconds(2))
            outcome = try await broker.runTool("kafka-topics.sh", arguments)
            if outcome.stderr.contains("already exists") { return }
        }
        guard outcome.status == 0 else {
            throw RealKafkaBroker.Failure(
                description: "kafka-topics.sh --create \(topic) failed: \(outcome.stderr.prefix(600))")
        }
    }

    /// A producer configuration for `broker` with `extra` Java properties.
    static func producerConfiguration(
        _ broker: RealKafkaBroker, _ extra: [String: String] = [:]
    ) throws -> KafkaProducerConfiguration {
        try KafkaProducerConfiguration(
            properties: ["bootstrap.servers": broker.bootstrapServers].merging(extra) { $1 })
    }

    /// A consumer configuration for `broker` with `extra` Java properties.
    static func consumerConfiguration(
        _ broker: RealKafkaBroker, _ extra: [String: String] = [:]
    ) throws -> KafkaConsumerConfiguration {
        try KafkaConsumerConfiguration(
            properties: ["bootstrap.servers": broker.bootstrapServers, "auto.offset.reset": "earliest"].merging(extra) {
                $1
            })
    }

    /// Reads `count` records of `topic` from the beginning with our consumer (no group), or fails after `timeout`.
    static func readAll(
        _ topic: String, count: Int, from broker: RealKafkaBroker, properties: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> [ConsumerRecord] {
        let consumer = try KafkaConsumer(configuration: consumerConfiguration(broker, properties))
        let partitions = try await consumer.partitionsFor(topic: topic)
        try consumer.assign(partitions.map { TopicPartition(topic: topic, partition: $0.partition) })
        var records: [ConsumerRecord] = []
        let deadline = ContinuousClock.now + timeout
        while records.count < count && ContinuousClock.now < deadline {
            records += try await consumer.poll(timeout: .milliseconds(500))
        }
        // A short extra poll: more records than expected must show.
        records += try await consumer.poll(timeout: .milliseconds(300))
        await consumer.close()
        return records
    }

    /// Reads `topic` with Kafka's `kafka-console-consumer.sh` until `count` lines came (or `timeout`).
    static func javaConsume(
        _ topic: String, count: Int, from broker: RealKafkaBroker, extra: [String] = [],
        timeout: Duration = .seconds(90)
    ) async throws -> [String] {
        let outcome = try await broker.runTool(
            "kafka-console-consumer.sh",
            [
                "--bootstrap-server", broker.bootstrapServers, "--topic", topic, "--from-beginning",
                "--max-messages", "\(count)", "--timeout-ms", "30000",
            ] + extra, timeout: timeout)
        #expect(outcome.status == 0, "kafka-console-consumer.sh: \(outcome.stderr.suffix(2000))")
        return outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }
}

extension ConsumerRecord {
    /// The value as UTF-8 text ("" for a null value).
    var text: String { value.map { String(buffer: $0) } ?? "" }
}
