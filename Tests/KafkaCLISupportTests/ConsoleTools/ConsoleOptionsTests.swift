import ArgumentParser
import KafkaCLISupport
import Testing

@Suite struct ConsoleOptionsTests {
    static let connection = try! ConnectionOptions.parse(["--bootstrap-server", "localhost:9092"])

    @Test("the console producer's options give Kafka's console defaults unless set")
    func producerProperties() throws {
        let defaults = try ConsoleProducerOptions.parse(["--topic", "t"]).producerProperties(
            connection: Self.connection)
        #expect(
            defaults == [
                "bootstrap.servers": "localhost:9092", "client.id": "console-producer", "compression.type": "none",
                "linger.ms": "1000", "acks": "-1", "request.timeout.ms": "1500", "retries": "3",
                "retry.backoff.ms": "100", "buffer.memory": "33554432", "batch.size": "16384",
                "metadata.max.age.ms": "300000", "max.block.ms": "60000",
            ])
        let set = try ConsoleProducerOptions.parse([
            "--topic", "t", "--compression-codec", "--batch-size", "100", "--max-partition-memory-bytes", "200",
            "--producer-property", "acks=1", "--producer-property", "linger.ms=5", "--timeout", "7",
        ]).producerProperties(connection: Self.connection)
        #expect(set["compression.type"] == "gzip")
        #expect(set["batch.size"] == "200")
        #expect(set["acks"] == "1")
        #expect(set["linger.ms"] == "7")
    }

    @Test("the console producer refuses an unknown codec and a bad --property")
    func producerValidation() {
        #expect(
            ConsoleProducerOptions.message(
                for: Self.error { try ConsoleProducerOptions.parse(["--topic", "t", "--compression-codec", "brotli"]) })
                == "--compression-codec must be none, gzip, snappy, lz4 or zstd, not 'brotli'")
        #expect(
            ConsoleProducerOptions.message(
                for: Self.error { try ConsoleProducerOptions.parse(["--topic", "t", "--property", "parse.key"]) })
                == "--property expects key=value, not 'parse.key'")
    }

    @Test("the console consumer: a throwaway group without --group, the start offset of --partition")
    func consumerProperties() throws {
        let plain = try ConsoleConsumerOptions.parse(["--topic", "t"]).consumerProperties(connection: Self.connection)
        #expect(plain["group.id"]?.hasPrefix("console-consumer-") == true)
        #expect(plain["enable.auto.commit"] == "false")
        #expect(plain["auto.offset.reset"] == "latest")
        #expect(plain["isolation.level"] == "read_uncommitted")
        #expect(plain["client.id"] == "console-consumer")
        let grouped = try ConsoleConsumerOptions.parse(["--topic", "t", "--group", "g", "--from-beginning"])
            .consumerProperties(connection: Self.connection)
        #expect(grouped["group.id"] == "g")
        #expect(grouped["enable.auto.commit"] == nil)
        #expect(grouped["auto.offset.reset"] == "earliest")
        let partition = try ConsoleConsumerOptions.parse(["--topic", "t", "--partition", "1", "--offset", "42"])
        #expect(try partition.startOffset() == .offset(42))
        #expect(try partition.consumerProperties(connection: Self.connection)["group.id"] == nil)
        #expect(try ConsoleConsumerOptions.parse(["--topic", "t", "--partition", "0"]).startOffset() == .latest)
    }

    @Test(
        "the console consumer's invalid combinations give Kafka's messages",
        arguments: [
            (["--partition", "0"], "Exactly one of --topic or --include is required"),
            (["--topic", "t", "--include", "x"], "Exactly one of --topic or --include is required"),
            (["--topic", "t", "--offset", "5"], "The partition is required when offset is specified."),
            (
                ["--topic", "t", "--partition", "0", "--group", "g"],
                "Options group and partition cannot be specified together."
            ),
            (
                ["--topic", "t", "--partition", "0", "--offset=-3"],
                "The provided offset value '-3' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."
            ),
            (
                ["--topic", "t", "--json", "--format", "%s"],
                "Options --json and --format cannot be specified together."
            ),
            (
                ["--topic", "t", "--isolation-level", "dirty"],
                "--isolation-level must be read_committed or read_uncommitted, not 'dirty'"
            ),
        ])
    func consumerValidation(arguments: [String], message: String) {
        #expect(
            ConsoleConsumerOptions.message(for: Self.error { try ConsoleConsumerOptions.parse(arguments) }) == message)
    }

    /// The error `body` throws (a placeholder when it throws none, which the comparison then fails on).
    static func error(_ body: () throws -> Any) -> any Error {
        do {
            _ = try body()
            return ToolError("no error")
        } catch {
            return error
        }
    }
}
