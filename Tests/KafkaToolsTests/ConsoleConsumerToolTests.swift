import Foundation
import KafkaDevCluster
import KafkaProducer
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `kafka-console-consumer` run as a user runs it, against an in-process dev cluster.
@Suite(.timeLimit(.minutes(5))) struct ConsoleConsumerToolTests {
    /// Sends `records` in order, each awaited.
    private static func seed(_ cluster: DevCluster, _ records: [ProducerRecord]) async throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(properties: ["bootstrap.servers": cluster.bootstrapServers]))
        for record in records { _ = try await producer.send(record) }
        await producer.close()
    }

    /// `count` records `k<i>` / `v<i>` on `partition`, timestamp 1700000000000 + i.
    private static func numbered(
        _ topic: String, partition: Int32 = 0, count: Int, from first: Int = 0
    ) -> [ProducerRecord] {
        (first..<first + count).map {
            ProducerRecord(
                topic: topic, partition: partition, key: "k\($0)", value: "v\($0)",
                timestamp: 1_700_000_000_000 + Int64($0))
        }
    }

    private static func consume(
        _ cluster: DevCluster, _ arguments: [String], timeout: Duration = .seconds(60)
    ) async throws -> ToolRunner.Outcome {
        try await ToolRunner.run(
            "kafka-console-consumer", ["--bootstrap-server", cluster.bootstrapServers] + arguments, stdin: "",
            timeout: timeout)
    }

    private static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    @Test func fromBeginningPrintsValues() async throws {
        try await withDevCluster(topics: ["events": 1]) { cluster in
            try await Self.seed(cluster, Self.numbered("events", count: 5))
            let outcome = try await Self.consume(
                cluster, ["--topic", "events", "--from-beginning", "--max-messages", "3"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout == "v0\nv1\nv2\n")
            #expect(outcome.stderr.contains("Processed a total of 3 messages"), "\(outcome.stderr)")
        }
    }

    @Test func defaultFormatterColumns() async throws {
        try await withDevCluster(topics: ["events": 1]) { cluster in
            var records = Self.numbered("events", count: 1)
            records.append(
                ProducerRecord(
                    topic: "events", partition: 0, key: nil, value: "v1", timestamp: 1_700_000_000_001,
                    headers: [
                        RecordHeader(key: "h1", value: ByteBuffer(string: "a")), RecordHeader(key: "h2", value: nil),
                    ]))
            try await Self.seed(cluster, records)
            let all = try await Self.consume(
                cluster,
                [
                    "--topic", "events", "--from-beginning", "--max-messages", "2", "--property", "print.key=true",
                    "--property", "print.partition=true", "--property", "print.offset=true", "--property",
                    "print.timestamp=true", "--property", "print.headers=true",
                ])
            #expect(all.status == 0, "\(all.stderr)")
            #expect(
                Self.lines(all.stdout) == [
                    "CreateTime:1700000000000\tPartition:0\tOffset:0\tNO_HEADERS\tk0\tv0",
                    "CreateTime:1700000000001\tPartition:0\tOffset:1\th1:a,h2:null\tnull\tv1",
                ])
            let custom = try await Self.consume(
                cluster,
                [
                    "--topic", "events", "--from-beginning", "--max-messages", "2", "--property", "print.key=true",
                    "--property", "print.value=false", "--property", "key.separator=|", "--property",
                    "print.offset=true", "--property", "null.literal=NULL", "--property", "line.separator=;",
                ])
            #expect(custom.status == 0, "\(custom.stderr)")
            #expect(custom.stdout == "Offset:0|k0;Offset:1|NULL;")
        }
    }

    @Test func formatPatternAndJSON() async throws {
        try await withDevCluster(topics: ["events": 1]) { cluster in
            try await Self.seed(
                cluster,
                [
                    ProducerRecord(
                        topic: "events", partition: 0, key: "k\"0", value: "v0\n", timestamp: 1_700_000_000_000,
                        headers: [RecordHeader(key: "h", value: ByteBuffer(string: "x"))]),
                    ProducerRecord(
                        topic: "events", partition: 0, key: nil, value: ByteBuffer(bytes: [0xFF, 0x00, 0x41]),
                        timestamp: 1_700_000_000_001),
                ])
            let pattern = try await Self.consume(
                cluster,
                ["--topic", "events", "--from-beginning", "--max-messages", "1", "--format", "%t|%p|%o|%k|%h|%T|%S\\n"])
            #expect(pattern.status == 0, "\(pattern.stderr)")
            #expect(pattern.stdout == "events|0|0|k\"0|h=x|1700000000000|3\n")
            let json = try await Self.consume(
                cluster, ["--topic", "events", "--from-beginning", "--max-messages", "2", "--json"])
            #expect(json.status == 0, "\(json.stderr)")
            #expect(
                Self.lines(json.stdout) == [
                    #"{"topic":"events","partition":0,"offset":0,"timestamp":1700000000000,"timestampType":"CreateTime","key":"k\"0","value":"v0\n","headers":[{"key":"h","value":"x"}]}"#,
                    #"{"topic":"events","partition":0,"offset":1,"timestamp":1700000000001,"timestampType":"CreateTime","key":null,"value":"/wBB","valueEncoding":"base64","headers":[]}"#,
                ])
            for line in Self.lines(json.stdout) {
                #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(line.utf8)) }
            }
        }
    }

    @Test func partitionAndOffset() async throws {
        try await withDevCluster(topics: ["events": 2]) { cluster in
            try await Self.seed(cluster, Self.numbered("events", partition: 0, count: 3))
            try await Self.seed(cluster, Self.numbered("events", partition: 1, count: 5, from: 10))
            let outcome = try await Self.consume(
                cluster, ["--topic", "events", "--partition", "1", "--offset", "2", "--timeout-ms", "1500"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout == "v12\nv13\nv14\n")
            let earliest = try await Self.consume(
                cluster, ["--topic", "events", "--partition", "0", "--offset", "earliest", "--max-messages", "3"])
            #expect(earliest.stdout == "v0\nv1\nv2\n", "\(earliest.stderr)")
        }
    }

    @Test func includeRegex() async throws {
        try await withDevCluster(topics: ["orders-eu": 1, "orders-us": 1, "payments": 1]) { cluster in
            try await Self.seed(
                cluster,
                [
                    ProducerRecord(topic: "orders-eu", key: nil, value: "eu"),
                    ProducerRecord(topic: "orders-us", key: nil, value: "us"),
                    ProducerRecord(topic: "payments", key: nil, value: "pay"),
                ])
            let outcome = try await Self.consume(
                cluster, ["--include", "orders-.*", "--from-beginning", "--max-messages", "2"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(Self.lines(outcome.stdout).sorted() == ["eu", "us"])
        }
    }

    @Test func timeoutExitsWithoutRecords() async throws {
        try await withDevCluster(topics: ["empty": 1]) { cluster in
            let started = ContinuousClock.now
            let outcome = try await Self.consume(cluster, ["--topic", "empty", "--timeout-ms", "1000"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout.isEmpty)
            #expect(outcome.stderr.contains("Processed a total of 0 messages"), "\(outcome.stderr)")
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    @Test func groupCommitsWhatWasPrinted() async throws {
        try await withDevCluster(topics: ["events": 1]) { cluster in
            try await Self.seed(cluster, Self.numbered("events", count: 4))
            let first = try await Self.consume(
                cluster, ["--topic", "events", "--group", "printers", "--from-beginning", "--max-messages", "2"])
            #expect(first.stdout == "v0\nv1\n", "\(first.stderr)")
            let second = try await Self.consume(
                cluster, ["--topic", "events", "--group", "printers", "--timeout-ms", "2000"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout == "v2\nv3\n")
            let third = try await Self.consume(
                cluster, ["--topic", "events", "--group", "printers", "--from-beginning", "--timeout-ms", "2000"])
            #expect(third.status == 0, "\(third.stderr)")
            #expect(third.stdout.isEmpty)
            // Without --group nothing is committed: a new random group starts from the beginning again.
            let anonymous = try await Self.consume(
                cluster, ["--topic", "events", "--from-beginning", "--max-messages", "4"])
            #expect(anonymous.stdout == "v0\nv1\nv2\nv3\n")
        }
    }

    @Test func interruptStopsCleanly() async throws {
        try await withDevCluster(topics: ["events": 1]) { cluster in
            try await Self.seed(cluster, Self.numbered("events", count: 3))
            let process = try ChildProcess(
                try ToolRunner.executable("kafka-console-consumer").path,
                [
                    "--bootstrap-server", cluster.bootstrapServers, "--topic", "events", "--group", "interrupted",
                    "--from-beginning",
                ])
            process.closeInput()
            try await process.waitForOutput(timeout: .seconds(30), "three records") {
                $0.utf8.count >= "v0\nv1\nv2\n".utf8.count
            }
            process.signal(SIGINT)
            let outcome = try await process.wait(timeout: .seconds(20))
            #expect(outcome.signal == nil, "kafka-console-consumer was killed by signal \(outcome.signal ?? 0)")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout == "v0\nv1\nv2\n")
            #expect(outcome.stderr.contains("Processed a total of 3 messages"), "\(outcome.stderr)")
            // The group committed on the way out.
            let again = try await Self.consume(
                cluster, ["--topic", "events", "--group", "interrupted", "--timeout-ms", "1500"])
            #expect(again.stdout.isEmpty, "\(again.stderr)")
        }
    }

    @Test func usageErrors() async throws {
        let environment = ["KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"]
        for arguments in [
            [String](), ["--topic", "t", "--include", "t.*"], ["--topic", "t", "--offset", "5"],
            ["--include", "t", "--partition", "0"], ["--topic", "t", "--partition", "0", "--offset", "-3"],
            ["--topic", "t", "--partition", "0", "--offset", "1", "--from-beginning"],
            ["--topic", "t", "--partition", "0", "--group", "g"],
            ["--topic", "t", "--json", "--format", "%s"], ["--topic", "t", "--format", "%q"],
            ["--topic", "t", "--isolation-level", "serializable"], ["--topic", "t", "--consumer-property", "x"],
            ["--topic", "t", "--group", "a", "--consumer-property", "group.id=b"],
            ["--topic", "t", "--from-beginning", "--consumer-property", "auto.offset.reset=latest"],
            ["--topic", "t", "--max-messages", "many"],
        ] {
            let outcome = try await ToolRunner.run(
                "kafka-console-consumer", arguments, stdin: "", environment: environment, timeout: .seconds(20))
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
        }
    }
}
