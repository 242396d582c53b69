package import ArgumentParser
import KafkaNetwork

/// The options of `kafka-console-consumer` (Kafka's `ConsoleConsumerOptions`), their validation, and the consumer
/// properties, start offset and record formatter they make.
package struct ConsoleConsumerOptions: ParsableArguments {
    package init() {}

    @Option(help: "The topic to consume.")
    package var topic: String?

    @Option(help: ArgumentHelp("A regular expression of the topics to consume (whole names).", valueName: "regex"))
    package var include: String?

    @Option(help: ArgumentHelp("The consumer group (default: a random console-consumer-NNNNN).", valueName: "id"))
    package var group: String?

    @Flag(
        name: .customLong("from-beginning"),
        help: "Without a committed offset, start at the earliest record rather than the latest.")
    package var fromBeginning = false

    @Option(help: ArgumentHelp("Read only this partition of --topic (no group membership).", valueName: "n"))
    package var partition: Int32?

    @Option(
        help: ArgumentHelp(
            "With --partition: earliest, latest or an offset to start from (default latest).", valueName: "offset"))
    package var offset: String?

    @Option(
        name: .customLong("max-messages"),
        help: ArgumentHelp("Exit after this many records (default: no limit).", valueName: "n"))
    package var maxMessages: Int?

    @Option(
        name: .customLong("timeout-ms"),
        help: ArgumentHelp("Exit when no record arrived for this many milliseconds.", valueName: "ms"))
    package var timeoutMs: Int64?

    @Option(
        name: .customLong("isolation-level"),
        help: ArgumentHelp("read_committed or read_uncommitted (default).", valueName: "level"))
    package var isolationLevel: String?

    @Option(
        name: [.customLong("consumer-property"), .customLong("command-property")],
        help: ArgumentHelp("A consumer property key=value (repeatable).", valueName: "consumer_prop"))
    package var consumerProperty: [String] = []

    @Option(
        name: .customLong("consumer.config"),
        help: ArgumentHelp("A consumer properties file; --consumer-property takes precedence.", valueName: "file"))
    package var consumerConfig: String?

    @Option(
        name: [.customLong("property"), .customLong("formatter-property")],
        help: ArgumentHelp("A formatter property key=value (repeatable; see below).", valueName: "prop"))
    package var property: [String] = []

    @Option(
        name: .customLong("formatter-config"),
        help: ArgumentHelp("A formatter properties file; --property takes precedence.", valueName: "file"))
    package var formatterConfig: String?

    @Option(help: ArgumentHelp("A kcat-style output pattern (see below).", valueName: "pattern"))
    package var format: String?

    @Flag(help: "Print each record as one JSON object per line (see below).")
    package var json = false

    /// Where the records start when --partition is given.
    package enum StartOffset: Equatable, Sendable {
        case earliest, latest
        case offset(Int64)
    }

    package func validate() throws {
        if (topic == nil) == (include == nil) {
            throw ValidationError("Exactly one of --topic or --include is required")
        }
        if partition != nil {
            if topic == nil { throw ValidationError("The topic is required when partition is specified.") }
            // As Kafka's console consumer: a partition is read without group membership.
            if group != nil { throw ValidationError("Options group and partition cannot be specified together.") }
            if fromBeginning && offset != nil {
                throw ValidationError("Options from-beginning and offset cannot be specified together.")
            }
        } else if offset != nil {
            throw ValidationError("The partition is required when offset is specified.")
        }
        if let partition, partition < 0 { throw ValidationError("--partition must not be negative") }
        _ = try startOffset()
        if let maxMessages, maxMessages < 0 { throw ValidationError("--max-messages must not be negative") }
        if let timeoutMs, timeoutMs < 0 { throw ValidationError("--timeout-ms must not be negative") }
        if let isolationLevel, !["read_committed", "read_uncommitted"].contains(isolationLevel) {
            throw ValidationError(
                "--isolation-level must be read_committed or read_uncommitted, not '\(isolationLevel)'")
        }
        if json && format != nil { throw ValidationError("Options --json and --format cannot be specified together.") }
        if let format { _ = try FormatToken.parse(format) }
        _ = try KafkaTool.keyValues(consumerProperty, option: "--consumer-property")
        _ = try KafkaTool.keyValues(property, option: "--property")
    }

    package func startOffset() throws -> StartOffset {
        guard let offset else { return fromBeginning ? .earliest : .latest }
        switch offset.lowercased() {
        case "earliest": return .earliest
        case "latest": return .latest
        default:
            guard let number = Int64(offset), number >= 0 else {
                throw ValidationError(
                    "The provided offset value '\(offset)' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."
                )
            }
            return .offset(number)
        }
    }

    /// The consumer properties and whether offsets are committed to a group the user chose.
    package func consumerProperties(connection: ConnectionOptions) throws -> [String: String] {
        var properties: [String: String] = [:]
        if let consumerConfig { properties = try PropertiesFile.load(path: consumerConfig) }
        let fileGroup = properties["group.id"]
        let extra = try KafkaTool.keyValues(consumerProperty, option: "--consumer-property")
        properties.merge(extra) { $1 }
        let groups = Set([group, fileGroup, extra["group.id"]].compactMap { $0 })
        if groups.count > 1 {
            throw ValidationError(
                "The group ids provided in different places (directly using '--group', via '--consumer-property', "
                    + "or via '--consumer.config') do not match. Detected group ids: "
                    + groups.sorted().map { "'\($0)'" }.joined(separator: ", "))
        }
        if let reset = properties["auto.offset.reset"] {
            if fromBeginning && reset != "earliest" {
                throw ValidationError(
                    "Can't simultaneously specify --from-beginning and 'auto.offset.reset=\(reset)', please remove one option"
                )
            }
        } else {
            properties["auto.offset.reset"] = fromBeginning ? "earliest" : "latest"
        }
        if properties["client.id"] == nil { properties["client.id"] = "console-consumer" }
        if let isolationLevel {
            properties["isolation.level"] = isolationLevel
        } else if properties["isolation.level"] == nil {
            properties["isolation.level"] = "read_uncommitted"
        }
        if let chosen = groups.first {
            properties["group.id"] = chosen
        } else if partition == nil {
            // As Kafka: a throwaway group that commits nothing (unless asked to).
            properties["group.id"] = "console-consumer-\(Int.random(in: 0..<100_000))"
            if properties["enable.auto.commit"] == nil { properties["enable.auto.commit"] = "false" }
        }
        return try connection.clientProperties(extra: properties, keeping: ["allow.auto.create.topics"])
    }

    package func formatter() throws -> MessageFormatter {
        if json { return .json }
        if let format { return .pattern(try FormatToken.parse(format)) }
        var properties: [String: String] = [:]
        if let formatterConfig { properties = try PropertiesFile.load(path: formatterConfig) }
        properties.merge(try KafkaTool.keyValues(property, option: "--property")) { $1 }
        return .kafka(DefaultMessageFormat(properties: properties))
    }
}
