import Foundation
import KafkaAdmin
import KafkaDevCluster
import KafkaNetwork
import KafkaTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `kafka-consumer-groups` against a dev cluster: offset-only groups made with the admin client, active groups with a
/// `kcat -G` member.
@Suite("kafka-consumer-groups", .timeLimit(.minutes(3)))
struct ConsumerGroupsToolTests {
    static let header =
        "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     "
        + "HOST            CLIENT-ID"

    /// Runs `body` with a one-broker dev cluster holding `topics` and an admin client for it.
    static func withCluster(
        topics: [String: Int32] = ["one": 1, "two": 2], _ body: (DevCluster, KafkaAdminClient) async throws -> Void
    ) async throws {
        try await withDevCluster(topics: topics) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            do {
                try await body(cluster, admin)
            } catch {
                await admin.close()
                throw error
            }
            await admin.close()
        }
    }

    /// Runs the tool against `cluster`.
    static func run(_ cluster: DevCluster, _ arguments: [String]) async throws -> ToolRunner.Outcome {
        try await ToolRunner.run(
            "kafka-consumer-groups", arguments, environment: ["KAFKA_BOOTSTRAP_SERVERS": cluster.bootstrapServers],
            timeout: .seconds(60))
    }

    static func key(_ topic: String, _ partition: Int32) -> TopicPartitionKey {
        TopicPartitionKey(topic: topic, partition: partition)
    }

    /// Commits `offsets` for `group` (which must have no members).
    static func commit(_ admin: KafkaAdminClient, _ group: String, _ offsets: [TopicPartitionKey: Int64]) async throws {
        let results = try await admin.alterConsumerGroupOffsets(group, offsets: offsets)
        #expect(results.values.allSatisfy { (try? $0.get()) != nil }, "\(results)")
    }

    /// The committed offset of one partition.
    static func committed(_ admin: KafkaAdminClient, _ group: String, _ partition: TopicPartitionKey) async throws
        -> Int64?
    {
        try await admin.listConsumerGroupOffsets(group)[partition]?.offset
    }

    /// The whitespace-separated fields of the stdout lines that start with `prefix`.
    static func rows(_ output: String, startingWith prefix: String) -> [[String]] {
        output.split(separator: "\n").filter { $0.hasPrefix(prefix + " ") }.map {
            $0.split(separator: " ").map(String.init)
        }
    }

    static func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    static func parseJSON(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(text)")
    }

    // MARK: - Listing

    @Test("--list, --list --state, --list --output json")
    func list() async throws {
        try await Self.withCluster { cluster, admin in
            try await Self.commit(admin, "beta", [Self.key("one", 0): 0])
            try await Self.commit(admin, "alpha", [Self.key("one", 0): 0])

            let plain = try await Self.run(cluster, ["--list"])
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(plain.stdout == "alpha\nbeta\n")

            let states = try await Self.run(cluster, ["--list", "--state"])
            #expect(states.status == 0, "\(states.stderr)")
            let lines = states.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3)
            // Kafka's layout: the group column is max(15, longest id) + 10 wide, the state column 20.
            #expect(
                lines.first == "GROUP" + String(repeating: " ", count: 21) + "STATE" + String(repeating: " ", count: 15)
            )
            #expect(
                lines.dropFirst().map { $0.split(separator: " ").map(String.init) } == [
                    ["alpha", "Empty"], ["beta", "Empty"],
                ])

            let stable = try await Self.run(cluster, ["--list", "--state", "stable"])
            #expect(stable.status == 0, "\(stable.stderr)")
            #expect(stable.stdout.split(separator: "\n").count == 1)
            let empty = try await Self.run(cluster, ["--list", "--state", "Stable,empty"])
            #expect(empty.stdout.split(separator: "\n").count == 3)

            let json = try await Self.run(cluster, ["--list", "--output", "json"])
            #expect(json.status == 0, "\(json.stderr)")
            let document = try Self.parseJSON(json.stdout)
            let groups = try #require(document["groups"] as? [[String: Any]])
            #expect(groups.compactMap { $0["group"] as? String } == ["alpha", "beta"])
            #expect(groups.compactMap { $0["state"] as? String } == ["Empty", "Empty"])
        }
    }

    // MARK: - Describing

    @Test("--describe: committed offsets, log end offsets and lag per partition", .enabled(if: Kcat.runsTests))
    func describeOffsets() async throws {
        try await Self.withCluster { cluster, admin in
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "one", lines: (1...5).map { "v\($0)" })
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "two", lines: (1...8).map { "w\($0)" })
            let ends = try await admin.listOffsets([Self.key("two", 0): .latest, Self.key("two", 1): .latest])
            let two0 = try #require(try ends[Self.key("two", 0)]?.get()).offset
            let two1 = try #require(try ends[Self.key("two", 1)]?.get()).offset
            #expect(two0 + two1 == 8)
            try await Self.commit(
                admin, "readers", [Self.key("one", 0): 2, Self.key("two", 0): 0, Self.key("two", 1): two1])

            let outcome = try await Self.run(cluster, ["--describe", "--group", "readers"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("Consumer group 'readers' has no active members."))
            let lines = outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.first == "")
            #expect(lines.dropFirst().first == Self.header)
            let expectedRow =
                "readers         one             0          2               5               3               -"
                + String(repeating: " ", count: 15) + "-" + String(repeating: " ", count: 15) + "-"
            #expect(lines.contains(expectedRow), "\(outcome.stdout)")
            #expect(
                Self.rows(outcome.stdout, startingWith: "readers") == [
                    ["readers", "one", "0", "2", "5", "3", "-", "-", "-"],
                    ["readers", "two", "0", "0", "\(two0)", "\(two0)", "-", "-", "-"],
                    ["readers", "two", "1", "\(two1)", "\(two1)", "0", "-", "-", "-"],
                ])

            let json = try await Self.run(cluster, ["--describe", "--group", "readers", "--output", "json"])
            #expect(json.status == 0, "\(json.stderr)")
            let document = try Self.parseJSON(json.stdout)
            let groups = try #require(document["groups"] as? [[String: Any]])
            let group = try #require(groups.first)
            #expect(group["group"] as? String == "readers")
            #expect(group["state"] as? String == "Empty")
            #expect((group["totalLag"] as? NSNumber)?.int64Value == 3 + two0)
            let partitions = try #require(group["partitions"] as? [[String: Any]])
            #expect(partitions.count == 3)
            #expect((partitions.first?["lag"] as? NSNumber)?.int64Value == 3)
            #expect(partitions.first?["consumerId"] is NSNull)

            let state = try await Self.run(cluster, ["--describe", "--group", "readers", "--state"])
            #expect(state.status == 0, "\(state.stderr)")
            let stateRows = Self.rows(state.stdout, startingWith: "readers")
            #expect(stateRows.count == 1)
            #expect(stateRows.first?.suffix(3) == ["-", "Empty", "0"])
            #expect(state.stdout.contains("COORDINATOR (ID)"))
        }
    }

    @Test("an unknown group is reported with exit status 1")
    func unknownGroup() async throws {
        try await Self.withCluster { cluster, admin in
            try await Self.commit(admin, "known", [Self.key("one", 0): 0])
            for view in [[], ["--members"], ["--state"]] {
                let outcome = try await Self.run(cluster, ["--describe", "--group", "nope"] + view)
                #expect(outcome.status == 1)
                #expect(outcome.stderr.contains("Consumer group 'nope' does not exist."), "\(outcome.stderr)")
                #expect(outcome.stderr.split(separator: "\n").count == 1)
            }
            // The other groups are still described.
            let both = try await Self.run(cluster, ["--describe", "--group", "nope", "--group", "known"])
            #expect(both.status == 1)
            #expect(Self.rows(both.stdout, startingWith: "known").count == 1)
            let json = try await Self.run(cluster, ["--describe", "--group", "nope", "--output", "json"])
            #expect(json.status == 1)
            let groups = try #require(try Self.parseJSON(json.stdout)["groups"] as? [[String: Any]])
            #expect(groups.first?["error"] as? String == "Consumer group 'nope' does not exist.")
        }
    }

    @Test("an active kcat group: offsets, members, state; reset and delete are refused", .enabled(if: Kcat.runsTests))
    func activeGroup() async throws {
        try await Self.withCluster { cluster, admin in
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "one", lines: ["a", "b", "c"])
            let member = try KcatGroupConsumer(
                bootstrap: cluster.bootstrapServers, group: "live", topics: ["one"],
                properties: [
                    "partition.assignment.strategy": "range", "auto.offset.reset": "earliest",
                    "enable.auto.commit": "false", "session.timeout.ms": "6000", "heartbeat.interval.ms": "200",
                ])
            defer { member.kill() }
            #expect(try await Self.eventually { member.assignment.count == 1 }, "\(member.stderr)")
            #expect(
                try await Self.eventually {
                    let description = try await admin.describeConsumerGroups(["live"])["live"]
                    return (try? description?.get())?.state == "Stable"
                })
            let description = try #require(try await admin.describeConsumerGroups(["live"])["live"]?.get())
            let memberId = try #require(description.members.first?.memberId)
            let host = try #require(description.members.first?.clientHost)

            let offsets = try await Self.run(cluster, ["--describe", "--group", "live"])
            #expect(offsets.status == 0, "\(offsets.stderr)")
            // Before kcat commits, the current offset and the lag are unknown; kcat commits what it consumed
            // on its own schedule (it sets the topic-level auto.commit.enable itself), so on a slow machine
            // the commit of all 3 records may already be there.
            let row = Self.rows(offsets.stdout, startingWith: "live")
            #expect(
                row == [["live", "one", "0", "-", "3", "-", memberId, host, "rdkafka"]]
                    || row == [["live", "one", "0", "3", "3", "0", memberId, host, "rdkafka"]],
                "\(offsets.stdout)")

            let members = try await Self.run(cluster, ["--describe", "--group", "live", "--members"])
            #expect(members.status == 0, "\(members.stderr)")
            #expect(members.stdout.contains("CONSUMER-ID"))
            #expect(members.stdout.contains("#PARTITIONS"))
            #expect(Self.rows(members.stdout, startingWith: "live") == [["live", memberId, host, "rdkafka", "1"]])
            let verbose = try await Self.run(cluster, ["--describe", "--group", "live", "--members", "--verbose"])
            #expect(verbose.stdout.contains("ASSIGNMENT"))
            #expect(
                Self.rows(verbose.stdout, startingWith: "live") == [["live", memberId, host, "rdkafka", "1", "one(0)"]])

            let state = try await Self.run(cluster, ["--describe", "--group", "live", "--state"])
            #expect(state.status == 0, "\(state.stderr)")
            let stateRow = try #require(Self.rows(state.stdout, startingWith: "live").first)
            #expect(stateRow.suffix(3) == ["range", "Stable", "1"])
            #expect(stateRow.contains("(\(description.coordinator.nodeID))"))

            let listed = try await Self.run(cluster, ["--list", "--state"])
            #expect(Self.rows(listed.stdout, startingWith: "live") == [["live", "Stable"]])

            let committedBefore = try await Self.committed(admin, "live", Self.key("one", 0))
            let reset = try await Self.run(
                cluster, ["--reset-offsets", "--group", "live", "--all-topics", "--to-earliest", "--execute"])
            #expect(reset.status == 1)
            #expect(
                reset.stderr.contains(
                    "Assignments can only be reset if the group 'live' is inactive, but the current state is Stable."),
                "\(reset.stderr)")
            // The refused reset changed nothing (kcat may have committed 3 meanwhile, never 0).
            let committedAfter = try await Self.committed(admin, "live", Self.key("one", 0))
            #expect(committedAfter == committedBefore || committedAfter == 3, "\(String(describing: committedAfter))")

            let delete = try await Self.run(cluster, ["--delete", "--group", "live"])
            #expect(delete.status == 1)
            #expect(delete.stderr.contains("Group 'live' could not be deleted"), "\(delete.stderr)")
            await member.stop()
        }
    }

    // MARK: - Resetting

    @Test(
        "--reset-offsets: dry run, --execute, --to-offset, --shift-by, --export and --from-file",
        .enabled(if: Kcat.runsTests))
    func resetOffsets() async throws {
        try await Self.withCluster { cluster, admin in
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "one", lines: (1...5).map { "v\($0)" })
            let one0 = Self.key("one", 0)
            try await Self.commit(admin, "r", [one0: 3])

            // Dry run (the default): prints the plan, changes nothing.
            let dryRun = try await Self.run(
                cluster, ["--reset-offsets", "--group", "r", "--topic", "one", "--to-earliest"])
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            #expect(dryRun.stdout.contains("GROUP           TOPIC           PARTITION  NEW-OFFSET"))
            #expect(Self.rows(dryRun.stdout, startingWith: "r") == [["r", "one", "0", "0"]])
            #expect(dryRun.stderr.contains("--execute"))
            #expect(try await Self.committed(admin, "r", one0) == 3)

            let executed = try await Self.run(
                cluster, ["--reset-offsets", "--group", "r", "--all-topics", "--to-earliest", "--execute"])
            #expect(executed.status == 0, "\(executed.stderr)")
            #expect(Self.rows(executed.stdout, startingWith: "r") == [["r", "one", "0", "0"]])
            #expect(try await Self.committed(admin, "r", one0) == 0)

            let toOffset = try await Self.run(
                cluster, ["--reset-offsets", "--group", "r", "--topic", "one:0", "--to-offset", "4", "--execute"])
            #expect(toOffset.status == 0, "\(toOffset.stderr)")
            #expect(try await Self.committed(admin, "r", one0) == 4)

            let shift = try await Self.run(
                cluster, ["--reset-offsets", "--group", "r", "--topic", "one", "--shift-by", "-2", "--execute"])
            #expect(shift.status == 0, "\(shift.stderr)")
            #expect(Self.rows(shift.stdout, startingWith: "r") == [["r", "one", "0", "2"]])
            #expect(try await Self.committed(admin, "r", one0) == 2)

            // Past the log end: clamped, with a warning.
            let clamped = try await Self.run(
                cluster, ["--reset-offsets", "--group", "r", "--topic", "one", "--to-offset", "100", "--dry-run"])
            #expect(Self.rows(clamped.stdout, startingWith: "r") == [["r", "one", "0", "5"]])
            #expect(clamped.stderr.contains("higher than latest offset"))
            #expect(!clamped.stderr.contains("--execute option is missing"))

            let byTime = try await Self.run(
                cluster,
                ["--reset-offsets", "--group", "r", "--topic", "one", "--to-datetime", "2000-01-01T00:00:00.000"])
            #expect(Self.rows(byTime.stdout, startingWith: "r") == [["r", "one", "0", "0"]], "\(byTime.stderr)")
            let byDuration = try await Self.run(
                cluster, ["--reset-offsets", "--group", "r", "--topic", "one", "--by-duration", "P1DT1H"])
            #expect(
                Self.rows(byDuration.stdout, startingWith: "r") == [["r", "one", "0", "0"]], "\(byDuration.stderr)")

            // --export prints the plan as CSV; --from-file applies it.
            let exported = try await Self.run(
                cluster, ["--reset-offsets", "--group", "r", "--topic", "one", "--to-latest", "--export"])
            #expect(exported.status == 0, "\(exported.stderr)")
            #expect(exported.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "one,0,5")
            #expect(try await Self.committed(admin, "r", one0) == 2)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("reset-\(UUID().uuidString).csv")
            try exported.stdout.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let fromFile = try await Self.run(
                cluster, ["--reset-offsets", "--group", "r", "--from-file", file.path, "--execute"])
            #expect(fromFile.status == 0, "\(fromFile.stderr)")
            #expect(Self.rows(fromFile.stdout, startingWith: "r") == [["r", "one", "0", "5"]])
            #expect(try await Self.committed(admin, "r", one0) == 5)

            // --to-current keeps the committed offset; a new group starts at the log end.
            let current = try await Self.run(
                cluster,
                ["--reset-offsets", "--group", "r", "--group", "fresh", "--topic", "one", "--to-current", "--export"])
            #expect(current.status == 0, "\(current.stderr)")
            #expect(current.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "fresh,one,0,5\nr,one,0,5")

            let missingPartition = try await Self.run(
                cluster, ["--reset-offsets", "--group", "r", "--topic", "one:7", "--to-earliest"])
            #expect(missingPartition.status == 1)
            #expect(missingPartition.stderr.contains("one-7"), "\(missingPartition.stderr)")
        }
    }

    // MARK: - Deleting

    @Test("--delete and --delete-offsets")
    func delete() async throws {
        try await Self.withCluster { cluster, admin in
            try await Self.commit(admin, "d1", [Self.key("one", 0): 0, Self.key("two", 0): 0, Self.key("two", 1): 0])
            try await Self.commit(admin, "d2", [Self.key("one", 0): 0])

            let offsets = try await Self.run(cluster, ["--delete-offsets", "--group", "d1", "--topic", "two"])
            #expect(offsets.status == 0, "\(offsets.stderr)")
            #expect(offsets.stdout.contains("Request succeeded for deleting offsets from group d1."))
            #expect(
                Self.rows(offsets.stdout, startingWith: "two") == [
                    ["two", "0", "Successful"], ["two", "1", "Successful"],
                ])
            #expect(try await admin.listConsumerGroupOffsets("d1").keys.sorted() == [Self.key("one", 0)])

            let partition = try await Self.run(cluster, ["--delete-offsets", "--group", "d1", "--topic", "one:0"])
            #expect(partition.status == 0, "\(partition.stderr)")
            #expect(try await admin.listConsumerGroupOffsets("d1").isEmpty)

            let deleted = try await Self.run(cluster, ["--delete", "--group", "d2"])
            #expect(deleted.status == 0, "\(deleted.stderr)")
            #expect(deleted.stdout == "Deletion of requested consumer groups ('d2') was successful.\n")
            let listed = try await Self.run(cluster, ["--list"])
            #expect(!listed.stdout.split(separator: "\n").contains("d2"))

            let unknown = try await Self.run(cluster, ["--delete", "--group", "never-was"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("Group 'never-was' could not be deleted"), "\(unknown.stderr)")
        }
    }

    // MARK: - Watching

    @Test("--watch prints successive lag tables with a TOTAL LAG line until SIGINT", .enabled(if: Kcat.runsTests))
    func watch() async throws {
        try await Self.withCluster { cluster, admin in
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "one", lines: (1...4).map { "v\($0)" })
            try await Self.commit(admin, "w", [Self.key("one", 0): 1])
            let process = try ChildProcess(
                try ToolRunner.executable("kafka-consumer-groups").path,
                ["--bootstrap-server", cluster.bootstrapServers, "--describe", "--group", "w", "--watch", "0.3"])
            defer { process.signal(SIGKILL) }
            let twice = try await Self.eventually(timeout: .seconds(20)) {
                process.stdout.components(separatedBy: "TOTAL LAG: 3").count >= 3
            }
            #expect(twice, "\(process.stdout)")
            process.signal(SIGINT)
            let outcome = try await process.wait(timeout: .seconds(10))
            #expect(outcome.status == 0 && outcome.signal == nil)
            let all = outcome.stdout
            // Not a terminal: no screen clearing.
            #expect(!all.contains("\u{1B}["))
            #expect(all.contains(Self.header))
        }
    }

    // MARK: - Usage

    @Test("usage errors exit with status 2")
    func usageErrors() async throws {
        let invalid: [[String]] = [
            [],
            ["--list", "--describe"],
            ["--describe"],
            ["--describe", "--group", "g", "--members", "--state"],
            ["--reset-offsets", "--group", "g", "--all-topics"],
            ["--reset-offsets", "--group", "g", "--to-earliest"],
            ["--reset-offsets", "--group", "g", "--all-topics", "--to-earliest", "--to-latest"],
            ["--reset-offsets", "--group", "g", "--all-topics", "--to-earliest", "--execute", "--dry-run"],
            ["--reset-offsets", "--group", "g", "--all-topics", "--to-datetime", "yesterday"],
            ["--reset-offsets", "--group", "g", "--all-topics", "--by-duration", "1 hour"],
            ["--reset-offsets", "--group", "g", "--topic", "t:x", "--to-earliest"],
            ["--list", "--state", "sleeping"],
            ["--delete-offsets", "--group", "g"],
            ["--delete", "--group", "g", "--topic", "t"],
            ["--list", "--output", "yaml"],
            ["--delete", "--group", "g", "--output", "json"],
            ["--list", "--watch", "1"],
            ["--list", "--no-such-flag"],
        ]
        for arguments in invalid {
            let outcome = try await ToolRunner.run(
                "kafka-consumer-groups", ["--bootstrap-server", "127.0.0.1:1"] + arguments, timeout: .seconds(30))
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
            #expect(!outcome.stderr.isEmpty, "\(arguments)")
        }
        let noServer = try await ToolRunner.run(
            "kafka-consumer-groups", ["--list"], environment: ["KAFKA_BOOTSTRAP_SERVERS": ""], timeout: .seconds(30))
        #expect(noServer.status == 2)
        #expect(noServer.stderr.contains("--bootstrap-server"))
    }
}
