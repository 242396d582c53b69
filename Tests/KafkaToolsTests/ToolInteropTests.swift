import Foundation
import KafkaAdmin
import KafkaDevCluster
import KafkaNetwork
import KafkaTestSupport
import Testing

/// The tools against kcat (librdkafka): what one writes the other reads identically, and kafka-consumer-groups
/// reports the offsets a kcat group committed.
@Suite("tools and kcat", .timeLimit(.minutes(3)), .enabled(if: Kcat.runsTests))
struct ToolInteropTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// The end offset of each partition as `kcat -Q -t topic:p:-1` reports it (`topic [p] offset N` lines).
    static func kcatEndOffsets(bootstrap: String, topic: String, partitions: Int32) async throws -> [Int32: Int64] {
        let kcat = try #require(Kcat.path)
        let (status, data) = try await runOffThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: kcat)
            process.arguments =
                ["-b", bootstrap, "-Q"] + (0..<partitions).flatMap { ["-t", "\(topic):\($0):-1"] }
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, data)
        }
        #expect(status == 0)
        var offsets: [Int32: Int64] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            // "topic [p] offset N"
            let fields = line.split(separator: " ")
            guard fields.count == 4, fields[0] == topic, fields[2] == "offset",
                let partition = Int32(fields[1].dropFirst().dropLast()), let offset = Int64(fields[3])
            else {
                Issue.record("unexpected kcat -Q line: \(line)")
                continue
            }
            offsets[partition] = offset
        }
        return offsets
    }

    static func eventually(
        _ timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test("kafka-console-producer with parse.key, parse.headers and null.marker: kcat reads the same records")
    func consoleProducerToKcat() async throws {
        try await withDevCluster(topics: ["events": 1]) { cluster in
            let input =
                [
                    "h1:a,h2:NUL\tk1\tv1",
                    "h3:c\tNUL\tv2",
                    "h4:d\tk3\tNUL",
                    "h5:\t\tv4",
                    "h6:x,h6:y\tk5\tvalue with spaces",
                ].joined(separator: "\n") + "\n"
            let outcome = try await ToolRunner.run(
                "kafka-console-producer",
                [
                    "--bootstrap-server", cluster.bootstrapServers, "--topic", "events", "--property", "parse.key=true",
                    "--property", "parse.headers=true", "--property", "null.marker=NUL",
                ], stdin: input)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")

            let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "events")
            #expect(records.map(\.offset) == [0, 1, 2, 3, 4])
            #expect(records.map(\.key) == [Self.bytes("k1"), nil, Self.bytes("k3"), [], Self.bytes("k5")])
            #expect(
                records.map(\.value) == [
                    Self.bytes("v1"), Self.bytes("v2"), nil, Self.bytes("v4"), Self.bytes("value with spaces"),
                ])
            #expect(
                records.map(\.headers) == [
                    [KcatHeader(key: "h1", value: Self.bytes("a")), KcatHeader(key: "h2", value: nil)],
                    [KcatHeader(key: "h3", value: Self.bytes("c"))],
                    [KcatHeader(key: "h4", value: Self.bytes("d"))],
                    [KcatHeader(key: "h5", value: [])],
                    [KcatHeader(key: "h6", value: Self.bytes("x")), KcatHeader(key: "h6", value: Self.bytes("y"))],
                ])
        }
    }

    @Test("kcat -P with keys: kafka-console-consumer --property print.key=true prints the same pairs")
    func kcatToConsoleConsumer() async throws {
        try await withDevCluster(topics: ["events": 1]) { cluster in
            // kcat -K: a line without ':' has a null key, ":v" an empty key.
            let lines = ["k1:v1", "k2:v2 with spaces", "nokey", ":emptykey", "k5:a:b", "k6:"]
            try await Kcat.produce(
                bootstrap: cluster.bootstrapServers, topic: "events", lines: lines, keyDelimiter: ":")
            let written = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "events")
            #expect(written.count == lines.count)

            let outcome = try await ToolRunner.run(
                "kafka-console-consumer",
                [
                    "--bootstrap-server", cluster.bootstrapServers, "--topic", "events", "--from-beginning",
                    "--property", "print.key=true", "--max-messages", "\(lines.count)",
                ], stdin: "")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let printed = outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(
                String.init)
            #expect(
                printed == ["k1\tv1", "k2\tv2 with spaces", "null\tnokey", "\temptykey", "k5\ta:b", "k6\t"],
                "\(outcome.stdout)")
            // The same as what kcat itself reads back (the formatter prints a null key as "null").
            let fromKcat = written.map { record in
                (record.key.map { String(decoding: $0, as: UTF8.self) } ?? "null") + "\t"
                    + (record.value.map { String(decoding: $0, as: UTF8.self) } ?? "null")
            }
            #expect(printed == fromKcat)
        }
    }

    @Test("kafka-consumer-groups --describe: the offsets a kcat -G group committed and the kcat -Q end offsets")
    func describeMatchesKcat() async throws {
        try await withDevCluster(topics: ["orders": 3]) { cluster in
            let bootstrap = cluster.bootstrapServers
            let first = (1...12).map { "key\($0):value\($0)" }
            try await Kcat.produce(bootstrap: bootstrap, topic: "orders", lines: first, keyDelimiter: ":")

            let member = try KcatGroupConsumer(
                bootstrap: bootstrap, group: "kg", topics: ["orders"],
                properties: [
                    "auto.offset.reset": "earliest", "enable.auto.commit": "true", "auto.commit.interval.ms": "100",
                    "session.timeout.ms": "6000", "heartbeat.interval.ms": "200",
                ])
            defer { member.kill() }
            #expect(try await Self.eventually { member.records.count == first.count }, "\(member.stderr)")
            let exit = await member.stop()
            #expect(exit == .exited(0), "\(member.stderr)")

            // More records after the group stopped, so that the lag is not zero everywhere.
            let second = (13...20).map { "key\($0):value\($0)" }
            try await Kcat.produce(bootstrap: bootstrap, topic: "orders", lines: second, keyDelimiter: ":")

            let ends = try await Self.kcatEndOffsets(bootstrap: bootstrap, topic: "orders", partitions: 3)
            #expect(ends.values.reduce(0, +) == Int64(first.count + second.count), "\(ends)")
            // What kcat consumed per partition: the offsets it must have committed.
            var consumed: [Int32: Int64] = [:]
            for record in member.records { consumed[record.partition, default: 0] += 1 }

            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": bootstrap])
            let committedOffsets = try await admin.listConsumerGroupOffsets("kg")
            await admin.close()
            var committed: [Int32: Int64] = [:]
            for (key, value) in committedOffsets where key.topic == "orders" { committed[key.partition] = value.offset }

            let outcome = try await ToolRunner.run(
                "kafka-consumer-groups", ["--bootstrap-server", bootstrap, "--describe", "--group", "kg"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let rows = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("kg ") }.map {
                $0.split(separator: " ").map(String.init)
            }
            #expect(rows.count == 3, "\(outcome.stdout)")
            for row in rows {
                guard row.count >= 6, let partition = Int32(row[2]) else {
                    Issue.record("unexpected row \(row)")
                    continue
                }
                #expect(row[1] == "orders")
                let end = try #require(ends[partition])
                let current = consumed[partition] ?? 0
                #expect(committed[partition] == current, "partition \(partition): committed \(committed)")
                if current == 0 && committed[partition] == nil {
                    // Nothing consumed from this partition: nothing committed, current offset and lag unknown.
                    #expect(row[3] == "-" && row[4] == "\(end)" && row[5] == "-", "\(row)")
                } else {
                    #expect(row[3] == "\(current)", "\(row)")
                    #expect(row[4] == "\(end)", "\(row)")
                    #expect(row[5] == "\(end - current)", "\(row)")
                }
            }
            #expect(Set(rows.map { $0[2] }) == ["0", "1", "2"])
        }
    }
}
