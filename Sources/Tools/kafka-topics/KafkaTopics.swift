import ArgumentParser
import Foundation
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import KafkaProtocol
import Logging

/// `kafka-topics`: this project's version of Apache Kafka's `bin/kafka-topics.sh`
/// (`org.apache.kafka.tools.TopicCommand`), with the same flags and output.
///
/// ```
/// kafka-topics --bootstrap-server localhost:9092 --create --topic orders --partitions 6 --replication-factor 3
/// kafka-topics --bootstrap-server localhost:9092 --describe --topic 'orders.*'
/// ```
@main
struct KafkaTopics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-topics",
        abstract: "Create, delete, describe, or change a topic (as Apache Kafka's kafka-topics.sh).",
        discussion: """
            Give exactly one action: --create, --list, --describe, --alter or --delete.

            --topic names the topic to create; with the other actions it is a regular expression that \
            must match whole topic names (a comma separates alternatives, as in Kafka: 'a,b' is 'a|b'). \
            Without --topic, --list and --describe cover every topic.

            --describe prints Kafka's format: per topic a line with its id, partition count, replication \
            factor and config overrides, then a tab-indented line per partition with its leader, \
            replicas and in-sync replicas. The --under-replicated-partitions, --unavailable-partitions, \
            --under-min-isr-partitions and --at-min-isr-partitions filters print only the matching \
            partition lines; --topics-with-overrides prints only the topic lines of topics with \
            overrides.

            Exit status: 0 on success, 1 when the operation failed (the reason on standard error), 2 for \
            a usage error.

            Examples (with KAFKA_BOOTSTRAP_SERVERS=localhost:9092 set):
              kafka-topics --create --topic orders --partitions 6 \\
                --replication-factor 3 --config retention.ms=86400000
              kafka-topics --list --exclude-internal
              kafka-topics --describe --topic 'orders|payments'
              kafka-topics --alter --topic orders --partitions 12
              kafka-topics --delete --topic 'tmp-.*' --if-exists
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    // MARK: Actions

    @Flag(name: .customLong("create"), help: "Create a new topic.")
    var create = false

    @Flag(name: .customLong("list"), help: "List all available topics.")
    var list = false

    @Flag(name: .customLong("describe"), help: "List details for the given topics.")
    var describe = false

    @Flag(name: .customLong("alter"), help: "Alter the number of partitions and replica assignment.")
    var alter = false

    @Flag(name: .customLong("delete"), help: "Delete a topic.")
    var delete = false

    // MARK: Options

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "The topic to create, alter, describe or delete. It also accepts a regular expression (matching "
                + "whole names), except with --create.",
            valueName: "topic"))
    var topic: String?

    @Option(
        name: .customLong("topic-id"),
        help: ArgumentHelp("The topic id to describe (as Kafka prints it).", valueName: "topic-id"))
    var topicID: String?

    @Option(
        name: .customLong("partitions"),
        help: ArgumentHelp(
            "The number of partitions for the topic being created or altered. If not supplied with --create, "
                + "the topic uses the cluster default. (Increasing the partitions of a topic with keys changes "
                + "which partition a key goes to.)",
            valueName: "# of partitions"))
    var partitions: Int?

    @Option(
        name: .customLong("replication-factor"),
        help: ArgumentHelp(
            "The replication factor for each partition in the topic being created. If not supplied, the "
                + "topic uses the cluster default.",
            valueName: "replication factor"))
    var replicationFactor: Int?

    @Option(
        name: .customLong("replica-assignment"),
        help: ArgumentHelp(
            "A list of manual partition-to-broker assignments for the topic being created or altered: "
                + "the partitions separated by ',', the brokers of a partition by ':' (the preferred leader "
                + "first), for example 1:2,2:3,3:1.",
            valueName: "broker:broker,..."))
    var replicaAssignment: String?

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "A topic configuration override for the topic being created (repeatable). Only with --create; "
                + "kafka-configs changes the configs of existing topics.",
            valueName: "name=value"))
    var config: [String] = []

    @Flag(
        name: .customLong("under-replicated-partitions"),
        help: "If set when describing topics, only show under-replicated partitions.")
    var underReplicatedPartitions = false

    @Flag(
        name: .customLong("unavailable-partitions"),
        help: "If set when describing topics, only show partitions whose leader is not available.")
    var unavailablePartitions = false

    @Flag(
        name: .customLong("under-min-isr-partitions"),
        help: "If set when describing topics, only show partitions whose isr count is less than the configured minimum."
    )
    var underMinIsrPartitions = false

    @Flag(
        name: .customLong("at-min-isr-partitions"),
        help: "If set when describing topics, only show partitions whose isr count is equal to the configured minimum."
    )
    var atMinIsrPartitions = false

    @Flag(
        name: .customLong("topics-with-overrides"),
        help: "If set when describing topics, only show topics that have overridden configs.")
    var topicsWithOverrides = false

    @Flag(
        name: .customLong("if-exists"),
        help: "If set when altering, deleting or describing topics, the action only runs if the topic exists.")
    var ifExists = false

    @Flag(
        name: .customLong("if-not-exists"),
        help: "If set when creating topics, the action does not fail if the topic already exists.")
    var ifNotExists = false

    @Flag(
        name: .customLong("exclude-internal"),
        help: "Exclude internal topics when listing or describing topics. By default, they are included.")
    var excludeInternal = false

    // MARK: Validation

    /// The action flags given, in Kafka's order.
    private var actions: [Action] {
        [(create, Action.create), (list, .list), (alter, .alter), (describe, .describe), (delete, .delete)]
            .filter(\.0).map(\.1)
    }

    /// The action (valid after ``validate()``).
    private var action: Action { actions[0] }

    func validate() throws {
        guard actions.count == 1 else {
            throw ValidationError(
                "Command must include exactly one action: --list, --describe, --create, --alter or --delete")
        }
        let action = self.action
        let reports = [
            ("--under-replicated-partitions", underReplicatedPartitions),
            ("--unavailable-partitions", unavailablePartitions),
            ("--under-min-isr-partitions", underMinIsrPartitions),
            ("--at-min-isr-partitions", atMinIsrPartitions),
        ]
        .filter(\.1).map(\.0)

        // Options that only some actions take (Kafka's checkInvalidArgs).
        let allowed: [(option: String, given: Bool, actions: Set<Action>)] = [
            ("--config", !config.isEmpty, [.create]),
            ("--partitions", partitions != nil, [.create, .alter]),
            ("--replication-factor", replicationFactor != nil, [.create]),
            ("--replica-assignment", replicaAssignment != nil, [.create, .alter]),
            ("--under-replicated-partitions", underReplicatedPartitions, [.describe]),
            ("--unavailable-partitions", unavailablePartitions, [.describe]),
            ("--under-min-isr-partitions", underMinIsrPartitions, [.describe]),
            ("--at-min-isr-partitions", atMinIsrPartitions, [.describe]),
            ("--topics-with-overrides", topicsWithOverrides, [.describe]),
            ("--if-exists", ifExists, [.alter, .delete, .describe]),
            ("--if-not-exists", ifNotExists, [.create]),
            ("--exclude-internal", excludeInternal, [.list, .describe]),
            ("--topic-id", topicID != nil, [.describe]),
        ]
        for entry in allowed where entry.given && !entry.actions.contains(action) {
            if entry.option == "--config" && action == .alter {
                throw ValidationError(
                    "Option \"--config\" can't be used with option \"--alter\" "
                        + "(To alter topic configurations, the kafka-configs tool can be used.)")
            }
            throw ValidationError("Option \"\(entry.option)\" can't be used with option \"\(action.flag)\"")
        }
        if topicsWithOverrides, let report = reports.first {
            throw ValidationError("Option \"--topics-with-overrides\" can't be used with option \"\(report)\"")
        }
        if action == .create && replicaAssignment != nil {
            if partitions != nil {
                throw ValidationError("Option \"--replica-assignment\" can't be used with option \"--partitions\"")
            }
            if replicationFactor != nil {
                throw ValidationError(
                    "Option \"--replica-assignment\" can't be used with option \"--replication-factor\"")
            }
        }

        // Required options.
        switch action {
        case .create, .alter, .delete:
            guard let topic, !topic.isEmpty else {
                throw ValidationError("Missing required option '--topic' (with \(action.flag))")
            }
        case .describe:
            if ifExists && topic == nil && topicID == nil {
                throw ValidationError("--topic or --topic-id is required to describe a topic with --if-exists")
            }
        case .list:
            break
        }
        if action == .alter && partitions == nil {
            throw ValidationError("Missing required option '--partitions' (with --alter)")
        }

        // Values.
        if let partitions, partitions < 1 || partitions > Int(Int32.max) {
            throw ValidationError("The partitions must be greater than 0 (--partitions \(partitions))")
        }
        if let replicationFactor, replicationFactor < 1 || replicationFactor > Int(Int16.max) {
            throw ValidationError("The replication factor must be between 1 and \(Int16.max) inclusive")
        }
        if let replicaAssignment { _ = try Self.parseReplicaAssignment(replicaAssignment) }
        if action != .create, let topic { _ = try TopicFilter(topic) }
        _ = try topicConfigs()
        if let topicID, Self.parseTopicID(topicID) == nil {
            throw ValidationError("--topic-id '\(topicID)' is not a topic id (22 base64 characters, as Kafka prints)")
        }
    }

    // MARK: Running

    func run() async throws {
        let properties = try connection.clientProperties()
        var logger = Logger(label: "kafka-topics")
        logger.logLevel = .critical
        let admin = try KafkaAdminClient(properties: properties, logger: logger)
        do {
            try await run(action, admin: admin)
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
    }

    private func run(_ action: Action, admin: KafkaAdminClient) async throws {
        switch action {
        case .create: try await createTopic(admin)
        case .list: try await listTopics(admin)
        case .describe: try await describeTopics(admin)
        case .alter: try await alterTopics(admin)
        case .delete: try await deleteTopics(admin)
        }
    }

    private func createTopic(_ admin: KafkaAdminClient) async throws {
        guard let name = topic else { return }
        if name.contains(".") || name.contains("_") {
            // On standard output, as Kafka prints it (standard error stays for the failure).
            print(
                "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could "
                    + "collide. To avoid issues it is best to use either, but not both.")
        }
        let configs = try topicConfigs()
        var newTopic: NewTopic
        if let replicaAssignment {
            let assignment = try Self.parseReplicaAssignment(replicaAssignment)
            var byPartition: [Int32: [Int32]] = [:]
            for (index, replicas) in assignment.enumerated() { byPartition[Int32(index)] = replicas }
            newTopic = NewTopic(name: name, replicaAssignment: byPartition, configs: configs)
        } else {
            newTopic = NewTopic(
                name: name, partitions: partitions.map { Int32($0) },
                replicationFactor: replicationFactor.map { Int16($0) }, configs: configs)
        }
        let results = try await admin.createTopics([newTopic])
        switch results[name] {
        case .success:
            print("Created topic \(name).")
        case .failure(let error) where error.code == .topicAlreadyExists && ifNotExists:
            break
        case .failure(let error):
            throw error
        case nil:
            throw ToolError("no answer from the cluster about topic '\(name)'")
        }
    }

    private func listTopics(_ admin: KafkaAdminClient) async throws {
        for name in try await matchingTopics(admin) {
            print(name)
        }
    }

    private func alterTopics(_ admin: KafkaAdminClient) async throws {
        guard let partitions else { return }
        let topics = try await matchingTopics(admin)
        try ensureFound(topics)
        guard !topics.isEmpty else { return }
        var requested: [String: NewPartitions] = [:]
        if let replicaAssignment {
            // As Kafka: the assignment lists every partition; the ones past the current count are new.
            let assignment = try Self.parseReplicaAssignment(replicaAssignment)
            let described = try await admin.describeTopics(topics)
            for name in topics {
                guard let result = described[name] else { continue }
                let current = try result.get().partitions.count
                requested[name] = NewPartitions(
                    totalCount: Int32(partitions), assignments: Array(assignment.dropFirst(current)))
            }
        } else {
            for name in topics { requested[name] = NewPartitions(totalCount: Int32(partitions)) }
        }
        let results = try await admin.createPartitions(requested)
        try reportFailures(results, order: topics)
    }

    private func deleteTopics(_ admin: KafkaAdminClient) async throws {
        let topics = try await matchingTopics(admin)
        try ensureFound(topics)
        guard !topics.isEmpty else { return }
        // In requests of at most 100 topics, with a progress line at a terminal.
        let progress = ProgressLine(label: "deleting topics", unit: "topics", total: topics.count)
        var results: [String: Result<Void, AdminError>] = [:]
        var start = 0
        do {
            while start < topics.count {
                let chunk = Array(topics[start..<min(start + 100, topics.count)])
                results.merge(try await admin.deleteTopics(chunk)) { $1 }
                start += chunk.count
                progress.update(start)
            }
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        try reportFailures(results, order: topics)
    }

    private func describeTopics(_ admin: KafkaAdminClient) async throws {
        var topics = try await matchingTopics(admin)
        if let topicID, let wanted = Self.parseTopicID(topicID) {
            // As Kafka: a topic id takes precedence over --topic.
            let all = try await admin.describeTopics(try await admin.listTopics(includeInternal: !excludeInternal))
            topics = all.compactMap { name, result in
                (try? result.get())?.topicID == wanted ? name : nil
            }
            if topics.isEmpty && !ifExists {
                throw ToolError("TopicId '\(topicID)' does not exist as expected")
            }
        } else {
            try ensureFound(topics)
        }
        guard !topics.isEmpty else { return }

        let described = try await admin.describeTopics(topics)
        var descriptions: [TopicDescription] = []
        for name in topics {
            guard let result = described[name] else { continue }
            descriptions.append(try result.get())
        }
        let configResults = await admin.describeConfigs(descriptions.map { .topic($0.name) })
        let liveBrokers: Set<Int32>
        do {
            liveBrokers = Set(try await admin.describeCluster().brokers.map(\.nodeID))
        } catch {
            // Reported as the broker's error, as the tool always has.
            throw KafkaError(code: error.code, api: error.api, brokerMessage: error.message)
        }
        let reporting =
            underReplicatedPartitions || unavailablePartitions || underMinIsrPartitions || atMinIsrPartitions

        for description in descriptions {
            let configs: [ConfigEntry]
            switch configResults[.topic(description.name)] {
            case .success(let entries): configs = entries
            case .failure(let error): throw error
            case nil: throw ToolError("no configs reported for topic '\(description.name)'")
            }
            let overrides = configs.filter { !$0.isDefault }
            let partitions = description.partitions.sorted { $0.partition < $1.partition }
            if !reporting && (!topicsWithOverrides || !overrides.isEmpty) {
                print(
                    Self.topicLine(
                        description, replicationFactor: partitions.first?.replicas.count ?? 0, overrides: overrides))
            }
            guard !topicsWithOverrides else { continue }
            let minIsr = configs.first { $0.name == "min.insync.replicas" }?.value.flatMap { Int($0) } ?? 1
            for partition in partitions {
                let hasLeader = partition.leader != nil
                let show =
                    !reporting
                    || (underReplicatedPartitions && partition.replicas.count > partition.inSyncReplicas.count)
                    || (unavailablePartitions && !(partition.leader.map(liveBrokers.contains) ?? false))
                    || (underMinIsrPartitions && (!hasLeader || partition.inSyncReplicas.count < minIsr))
                    || (atMinIsrPartitions && partition.inSyncReplicas.count == minIsr)
                if show { print(Self.partitionLine(topic: description.name, partition)) }
            }
        }
    }

    // MARK: Helpers

    /// The topics `--topic` matches (every topic without it), sorted, internal ones left out with
    /// `--exclude-internal`.
    private func matchingTopics(_ admin: KafkaAdminClient) async throws -> [String] {
        let all = try await admin.listTopics(includeInternal: !excludeInternal)
        let filter = try topic.map(TopicFilter.init)
        return all.filter { name in
            (filter?.matches(name) ?? true) && !(excludeInternal && TopicFilter.isInternal(name))
        }
        .sorted()
    }

    /// Fails, as Kafka does, when `--topic` matched nothing and `--if-exists` is not given.
    private func ensureFound(_ topics: [String]) throws {
        if let topic, !topic.isEmpty, topics.isEmpty, !ifExists {
            throw ToolError("Topic '\(topic)' does not exist as expected")
        }
    }

    /// Prints a line per failed topic and exits 1 when any failed.
    private func reportFailures(_ results: [String: Result<Void, AdminError>], order: [String]) throws {
        var failures: [String] = []
        for name in order {
            switch results[name] {
            case .success: break
            case .failure(let error): failures.append("\(error)")
            case nil: failures.append("no answer from the cluster about topic '\(name)'")
            }
        }
        guard !failures.isEmpty else { return }
        if failures.count == 1 { throw ToolError(failures[0]) }
        for failure in failures { KafkaTool.printError("kafka-topics: \(failure)") }
        throw ExitCode(1)
    }

    /// The `--config` overrides, trimmed as Kafka trims them.
    private func topicConfigs() throws -> [String: String] {
        var configs: [String: String] = [:]
        for (key, value) in try KafkaTool.keyValues(config, option: "--config") {
            let name = key.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else {
                throw ValidationError("--config expects key=value, not '\(key)=\(value)'")
            }
            configs[name] = value.trimmingCharacters(in: .whitespaces)
        }
        return configs
    }

    /// Kafka's `--describe` line of a topic.
    static func topicLine(_ description: TopicDescription, replicationFactor: Int, overrides: [ConfigEntry]) -> String {
        var line = "Topic: \(description.name)"
        if let id = description.topicID, id != .zero { line += "\tTopicId: \(kafkaString(id))" }
        line += "\tPartitionCount: \(description.partitions.count)"
        line += "\tReplicationFactor: \(replicationFactor)"
        line += "\tConfigs: " + overrides.map { "\($0.name)=\($0.value ?? "null")" }.joined(separator: ",")
        return line
    }

    /// Kafka's `--describe` line of a partition.
    static func partitionLine(topic: String, _ partition: PartitionMetadata) -> String {
        "\tTopic: \(topic)\tPartition: \(partition.partition)"
            + "\tLeader: \(partition.leader.map { String($0) } ?? "none")"
            + "\tReplicas: \(partition.replicas.map { String($0) }.joined(separator: ","))"
            + "\tIsr: \(partition.inSyncReplicas.map { String($0) }.joined(separator: ","))"
    }

    /// A topic id as Kafka prints it (`Uuid.toString`): URL-safe base64 without padding.
    static func kafkaString(_ id: KafkaUUID) -> String {
        var bytes: [UInt8] = []
        for half in [id.high, id.low] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: half >> shift)) }
        }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A topic id in Kafka's form (or the 8-4-4-4-12 hexadecimal form); nil when it is neither.
    static func parseTopicID(_ text: String) -> KafkaUUID? {
        var bytes: [UInt8]
        let hex = text.replacingOccurrences(of: "-", with: "")
        if hex.count == 32, hex.allSatisfy(\.isHexDigit) {
            bytes = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
                bytes.append(byte)
                index = next
            }
        } else {
            let base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "=="
            guard text.count == 22, let data = Data(base64Encoded: base64), data.count == 16 else { return nil }
            bytes = Array(data)
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for byte in bytes[0..<8] { high = high << 8 | UInt64(byte) }
        for byte in bytes[8..<16] { low = low << 8 | UInt64(byte) }
        return KafkaUUID(high: high, low: low)
    }

    /// Parses Kafka's `--replica-assignment` syntax, `1:2,2:3,3:1`: per partition (in order), its
    /// broker ids.
    ///
    /// - Throws: `ValidationError` for a bad broker id, a broker listed twice in a partition, or
    ///   partitions with different replica counts.
    static func parseReplicaAssignment(_ text: String) throws -> [[Int32]] {
        var result: [[Int32]] = []
        for (index, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            var brokers: [Int32] = []
            for item in part.split(separator: ":", omittingEmptySubsequences: false) {
                let trimmed = item.trimmingCharacters(in: .whitespaces)
                guard let broker = Int32(trimmed) else {
                    throw ValidationError(
                        "--replica-assignment: '\(trimmed)' is not a broker id (expected for example 1:2,2:3)")
                }
                brokers.append(broker)
            }
            var seen = Set<Int32>()
            let duplicates = brokers.filter { !seen.insert($0).inserted }
            if !duplicates.isEmpty {
                throw ValidationError(
                    "Partition replica lists may not contain duplicate entries: "
                        + Array(Set(duplicates)).sorted().map { String($0) }.joined(separator: ","))
            }
            if let first = result.first, first.count != brokers.count {
                throw ValidationError(
                    "Partition \(index) has different replication factor: "
                        + "[\(brokers.map { String($0) }.joined(separator: ", "))]")
            }
            result.append(brokers)
        }
        return result
    }
}

/// The five actions.
enum Action: Hashable, Sendable {
    case create, list, describe, alter, delete

    /// The flag that selects the action.
    var flag: String {
        switch self {
        case .create: "--create"
        case .list: "--list"
        case .describe: "--describe"
        case .alter: "--alter"
        case .delete: "--delete"
        }
    }
}

/// A failure of the command, printed as one line.
struct ToolError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
