import Foundation
import KafkaDevCluster
import KafkaTestSupport
import Testing

/// `kafka-console-producer` run as a user runs it, against an in-process dev cluster, read back with kcat.
@Suite(.timeLimit(.minutes(5))) struct ConsoleProducerToolTests {
    private static func produce(
        _ cluster: DevCluster, _ arguments: [String], stdin: String
    ) async throws -> ToolRunner.Outcome {
        try await ToolRunner.run(
            "kafka-console-producer", ["--bootstrap-server", cluster.bootstrapServers] + arguments, stdin: stdin)
    }

    private static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test func valuesOnePerLine() async throws {
        try await withDevCluster(topics: ["lines": 1]) { cluster in
            let outcome = try await Self.produce(cluster, ["--topic", "lines"], stdin: "one\ntwo\r\n\nthree")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "lines")
            #expect(records.map { Self.text($0.value) } == ["one", "two", "", "three"])
            #expect(records.allSatisfy { $0.key == nil })
        }
    }

    @Test func parseKeyAndHeaders() async throws {
        try await withDevCluster(topics: ["lines": 1]) { cluster in
            let outcome = try await Self.produce(
                cluster,
                [
                    "--topic", "lines", "--property", "parse.key=true", "--property", "parse.headers=true",
                    "--sync",
                ],
                stdin: "h1:a,h2:b\tk1\tv1\nh3:c\tk2\tv2 with\ttab\n")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "lines")
            #expect(records.map { Self.text($0.key) } == ["k1", "k2"])
            #expect(records.map { Self.text($0.value) } == ["v1", "v2 with\ttab"])
            #expect(
                records.first?.headers
                    == [KcatHeader(key: "h1", value: Array("a".utf8)), KcatHeader(key: "h2", value: Array("b".utf8))])
            #expect(records.last?.headers == [KcatHeader(key: "h3", value: Array("c".utf8))])
        }
    }

    @Test func customKeySeparator() async throws {
        try await withDevCluster(topics: ["lines": 1]) { cluster in
            let outcome = try await Self.produce(
                cluster, ["--topic", "lines", "--property", "parse.key=true", "--property", "key.separator=::"],
                stdin: "a::b::c\n")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "lines")
            #expect(records.map { Self.text($0.key) } == ["a"])
            #expect(records.map { Self.text($0.value) } == ["b::c"])
        }
    }

    @Test func nullMarkerGivesNullKeyAndTombstone() async throws {
        try await withDevCluster(topics: ["lines": 1]) { cluster in
            let outcome = try await Self.produce(
                cluster,
                ["--topic", "lines", "--property", "parse.key=true", "--property", "null.marker=<null>"],
                stdin: "<null>\tv1\nk2\t<null>\nk3\t\n")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "lines")
            #expect(records.count == 3)
            #expect(records.map { Self.text($0.key) } == [nil, "k2", "k3"])
            #expect(records.map { Self.text($0.value) } == ["v1", nil, ""])
        }
    }

    @Test func badLineIsReportedAndTheOthersDelivered() async throws {
        try await withDevCluster(topics: ["lines": 1]) { cluster in
            let outcome = try await Self.produce(
                cluster, ["--topic", "lines", "--property", "parse.key=true"],
                stdin: "k1\tv1\nno separator here\nk3\tv3\n")
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("No key separator found on line number 2"), "\(outcome.stderr)")
            #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
            let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "lines")
            #expect(records.map { Self.text($0.value) } == ["v1", "v3"])
        }
    }

    @Test func ignoreErrorSendsANullKey() async throws {
        try await withDevCluster(topics: ["lines": 1]) { cluster in
            let outcome = try await Self.produce(
                cluster, ["--topic", "lines", "--property", "parse.key=true", "--property", "ignore.error=true"],
                stdin: "plain\n")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "lines")
            #expect(records.map { Self.text($0.key) } == [nil])
            #expect(records.map { Self.text($0.value) } == ["plain"])
        }
    }

    @Test func compressionCodecs() async throws {
        try await withDevCluster(topics: ["lines": 1]) { cluster in
            let lz4 = try await Self.produce(
                cluster, ["--topic", "lines", "--compression-codec", "lz4"], stdin: "a\nb\nc\n")
            #expect(lz4.status == 0, "\(lz4.stderr)")
            // Without a value the codec is gzip, as in Kafka.
            let gzip = try await Self.produce(cluster, ["--compression-codec", "--topic", "lines"], stdin: "d\n")
            #expect(gzip.status == 0, "\(gzip.stderr)")
            let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "lines")
            #expect(records.map { Self.text($0.value) } == ["a", "b", "c", "d"])
        }
    }

    @Test func producerPropertiesAndOptions() async throws {
        try await withDevCluster(topics: ["lines": 1]) { cluster in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("producer.properties")
            try "linger.ms=5\nclient.id=from-file\n".write(to: file, atomically: true, encoding: .utf8)
            let outcome = try await Self.produce(
                cluster,
                [
                    "--topic", "lines", "--producer.config", file.path, "--producer-property", "acks=1",
                    "--request-required-acks", "all", "--batch-size", "1000", "--timeout", "10",
                    "--max-block-ms", "5000", "--message-send-max-retries", "5", "--request-timeout-ms", "3000",
                ],
                stdin: "x\ny\n")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "lines")
            #expect(records.map { Self.text($0.value) } == ["x", "y"])
        }
    }

    @Test func undeliverableRecordsFail() async throws {
        try await withDevCluster(topics: ["lines": 1]) { cluster in
            let outcome = try await Self.produce(
                cluster, ["--topic", "missing", "--max-block-ms", "500"], stdin: "a\nb\n")
            // The first line fails after max.block.ms; the second is not sent (it would wait again).
            #expect(outcome.status == 1)
            let expected =
                "kafka-console-producer: Error when sending the record on line number 1 to topic missing: "
                + "missing: topic not present in metadata after 500 ms (UNKNOWN_TOPIC_OR_PARTITION) (max.block.ms) "
                + "(bootstrap servers \(cluster.bootstrapServers)); the remaining input was not sent\n"
            #expect(outcome.stderr == expected)
        }
    }

    @Test func usageErrors() async throws {
        let environment = ["KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"]
        for arguments in [
            [String](), ["--topic", "t", "--compression-codec", "brotli"], ["--topic", "t", "--property", "novalue"],
            ["--topic", "t", "--producer-property", "x"], ["--topic", "t", "--no-such-flag"],
            ["--topic", "t", "--property", "key.separator="],
        ] {
            let outcome = try await ToolRunner.run(
                "kafka-console-producer", arguments, stdin: "", environment: environment)
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
        }
        let noServer = try await ToolRunner.run(
            "kafka-console-producer", ["--topic", "t"], stdin: "", environment: ["KAFKA_BOOTSTRAP_SERVERS": ""])
        #expect(noServer.status == 2, "\(noServer.stderr)")
    }
}
