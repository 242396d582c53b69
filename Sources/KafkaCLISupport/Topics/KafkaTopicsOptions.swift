package import ArgumentParser
import Foundation

/// The options of `kafka-topics` (Kafka's `TopicCommandOptions`): one action, its options, and the validation of
/// their combinations and values (Kafka's `checkArgs`), as usage errors.
package struct KafkaTopicsOptions: ParsableArguments {
    package init() {}

    // MARK: Actions

    @Flag(name: .customLong("create"), help: "Create a new topic.")
    package var create = false

    @Flag(name: .customLong("list"), help: "List all available topics.")
    package var list = false

    @Flag(name: .customLong("describe"), help: "List details for the given topics.")
    package var describe = false

    @Flag(name: .customLong("alter"), help: "Alter the number of partitions and replica assignment.")
    package var alter = false

    @Flag(name: .customLong("delete"), help: "Delete a topic.")
    package var delete = false

    // MARK: Options

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "The topic to create, alter, describe or delete. It also accepts a regular expression (matching "
                + "whole names), except with --create.",
            valueName: "topic"))
    package var topic: String?

    @Option(
        name: .customLong("topic-id"),
        help: ArgumentHelp("The topic id to describe (as Kafka prints it).", valueName: "topic-id"))
    package var topicID: String?

    @Option(
        name: .customLong("partitions"),
        help: ArgumentHelp(
            "The number of partitions for the topic being created or altered. If not supplied with --create, "
                + "the topic uses the cluster default. (Increasing the partitions of a topic with keys changes "
                + "which partition a key goes to.)",
            valueName: "# of partitions"))
    package var partitions: Int?

    @Option(
        name: .customLong("replication-factor"),
        help: ArgumentHelp(
            "The replication factor for each partition in the topic being created. If not supplied, the "
                + "topic uses the cluster default.",
            valueName: "replication factor"))
    package var replicationFactor: Int?

    @Option(
        name: .customLong("replica-assignment"),
        help: ArgumentHelp(
            "A list of manual partition-to-broker assignments for the topic being created or altered: "
                + "the partitions separated by ',', the brokers of a partition by ':' (the preferred leader "
                + "first), for example 1:2,2:3,3:1.",
            valueName: "broker:broker,..."))
    package var replicaAssignment: String?

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "A topic configuration override for the topic being created (repeatable). Only with --create; "
                + "kafka-configs changes the configs of existing topics.",
            valueName: "name=value"))
    package var config: [String] = []

    @Flag(
        name: .customLong("under-replicated-partitions"),
        help: "If set when describing topics, only show under-replicated partitions.")
    package var underReplicatedPartitions = false

    @Flag(
        name: .customLong("unavailable-partitions"),
        help: "If set when describing topics, only show partitions whose leader is not available.")
    package var unavailablePartitions = false

    @Flag(
        name: .customLong("under-min-isr-partitions"),
        help: "If set when describing topics, only show partitions whose isr count is less than the configured minimum."
    )
    package var underMinIsrPartitions = false

    @Flag(
        name: .customLong("at-min-isr-partitions"),
        help: "If set when describing topics, only show partitions whose isr count is equal to the configured minimum."
    )
    package var atMinIsrPartitions = false

    @Flag(
        name: .customLong("topics-with-overrides"),
        help: "If set when describing topics, only show topics that have overridden configs.")
    package var topicsWithOverrides = false

    @Flag(
        name: .customLong("if-exists"),
        help: "If set when altering, deleting or describing topics, the action only runs if the topic exists.")
    package var ifExists = false

    @Flag(
        name: .customLong("if-not-exists"),
        help: "If set when creating topics, the action does not fail if the topic already exists.")
    package var ifNotExists = false

    @Flag(
        name: .customLong("exclude-internal"),
        help: "Exclude internal topics when listing or describing topics. By default, they are included.")
    package var excludeInternal = false

    // MARK: Validation

    /// The action flags given, in Kafka's order.
    package var actions: [Action] {
        [(create, Action.create), (list, .list), (alter, .alter), (describe, .describe), (delete, .delete)]
            .filter(\.0).map(\.1)
    }

    /// The action (valid after ``validate()``).
    package var action: Action { actions[0] }

    package func validate() throws {
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
        if let replicaAssignment { _ = try ReplicaAssignment.parse(replicaAssignment) }
        if action != .create, let topic { _ = try TopicFilter(topic) }
        _ = try topicConfigs()
        if let topicID, TopicID.parse(topicID) == nil {
            throw ValidationError("--topic-id '\(topicID)' is not a topic id (22 base64 characters, as Kafka prints)")
        }
    }

    /// The `--config` overrides, trimmed as Kafka trims them.
    package func topicConfigs() throws -> [String: String] {
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

    /// The partition reports asked for.
    package var report: PartitionReport {
        PartitionReport(
            underReplicated: underReplicatedPartitions, unavailable: unavailablePartitions,
            underMinIsr: underMinIsrPartitions, atMinIsr: atMinIsrPartitions)
    }
}

/// The five actions.
package enum Action: Hashable, Sendable {
    case create, list, describe, alter, delete

    /// The flag that selects the action.
    package var flag: String {
        switch self {
        case .create: "--create"
        case .list: "--list"
        case .describe: "--describe"
        case .alter: "--alter"
        case .delete: "--delete"
        }
    }
}
