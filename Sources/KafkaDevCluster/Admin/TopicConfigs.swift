import KafkaProtocol

/// The type of a config value, with its DescribeConfigs `configType` code (v3+).
enum DevConfigType: Int8, Sendable {
    case boolean = 1
    case string = 2
    case int = 3
    case short = 4
    case long = 5
    case double = 6
    case list = 7
    case classType = 8
    case password = 9

    /// The name Kafka's `ConfigDef` uses in its error messages.
    var kafkaName: String {
        switch self {
        case .boolean: "BOOLEAN"
        case .string: "STRING"
        case .int: "INT"
        case .short: "SHORT"
        case .long: "LONG"
        case .double: "DOUBLE"
        case .list: "LIST"
        case .classType: "CLASS"
        case .password: "PASSWORD"
        }
    }
}

/// Where a config value comes from (DescribeConfigs `configSource`, v1+, and CreateTopics v5+).
enum DevConfigSource: Int8, Sendable {
    case unknown = 0
    case dynamicTopicConfig = 1
    case dynamicBrokerConfig = 2
    case dynamicDefaultBrokerConfig = 3
    case staticBrokerConfig = 4
    case defaultConfig = 5
    case dynamicBrokerLoggerConfig = 6
}

/// One config Kafka knows: its type, default, validation and documentation.
struct DevConfigDefinition: Sendable {
    /// How a value is checked beyond its type.
    enum Rule: Sendable {
        case any
        /// Numeric bounds (inclusive); nil means unbounded.
        case range(min: Double?, max: Double?)
        /// One of these strings (case-sensitive, as Kafka's `ValidString`).
        case oneOf([String])
        /// A comma-separated list whose items are each one of these (Kafka's `ValidList`).
        case listOf([String])
    }

    var name: String
    var type: DevConfigType
    /// The default value as Kafka reports it (nil for a null default).
    var defaultValue: String?
    var rule: Rule = .any
    /// The broker config that supplies the topic default (`log.retention.ms` for `retention.ms`).
    var brokerSynonym: String?
    /// Whether the value can be changed at all (broker configs that are not dynamic).
    var readOnly = false
    var documentation: String

    /// The value normalized for storage (trimmed; booleans lower-cased), or Kafka's error message.
    func validate(_ raw: String) -> Result<String, DevConfigError> {
        let value = TopicConfigs.trim(raw)
        func invalid(_ reason: String) -> Result<String, DevConfigError> {
            .failure(
                DevConfigError(
                    code: .invalidConfig, message: "Invalid value \(raw) for configuration \(name): \(reason)"))
        }
        switch type {
        case .boolean:
            let lower = value.lowercased()
            guard lower == "true" || lower == "false" else {
                return invalid("Expected value to be either true or false")
            }
            return .success(lower)
        case .int, .short, .long, .double:
            let number: Double
            switch type {
            case .int:
                guard let parsed = Int32(value) else { return invalid("Not a number of type INT") }
                number = Double(parsed)
            case .short:
                guard let parsed = Int16(value) else { return invalid("Not a number of type SHORT") }
                number = Double(parsed)
            case .long:
                guard let parsed = Int64(value) else { return invalid("Not a number of type LONG") }
                number = Double(parsed)
            default:
                guard let parsed = Double(value), parsed.isFinite else { return invalid("Not a number of type DOUBLE") }
                number = parsed
            }
            if case .range(let min, let max) = rule {
                if let min, number < min { return invalid("Value must be at least \(Self.format(min))") }
                if let max, number > max { return invalid("Value must be no more than \(Self.format(max))") }
            }
            return .success(value)
        case .list:
            let items = value.split(separator: ",", omittingEmptySubsequences: false).map {
                TopicConfigs.trim(String($0))
            }
            if case .listOf(let allowed) = rule, !value.isEmpty {
                for item in items where !allowed.contains(item) {
                    let reason = "String must be one of: \(allowed.joined(separator: ", "))"
                    return .failure(
                        DevConfigError(
                            code: .invalidConfig, message: "Invalid value \(item) for configuration \(name): \(reason)")
                    )
                }
            }
            return .success(value.isEmpty ? "" : items.joined(separator: ","))
        case .string, .classType, .password:
            if case .oneOf(let allowed) = rule, !allowed.contains(value) {
                return invalid("String must be one of: \(allowed.joined(separator: ", "))")
            }
            return .success(value)
        }
    }

    private static func format(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 9.2e18 { return String(Int64(number)) }
        return String(number)
    }
}

/// Why a config change was refused: the error code and Kafka's message.
struct DevConfigError: Error, Sendable, Equatable {
    var code: KafkaErrorCode
    var message: String
}

/// The catalogue of Kafka's topic configs (as of Kafka 3.9, the protocol version this package
/// speaks) with their defaults, types and validation. Topics store only overrides, in
/// `ClusterState.Topic.configs`; everything else reads the default from here.
///
/// Defaults are reported with source DEFAULT_CONFIG (5): a dev cluster has no `server.properties`,
/// so nothing is a STATIC_BROKER_CONFIG; dynamic broker configs do not change topic defaults.
enum TopicConfigs {
    private static let long = Int64.max.description
    private static let nonNegative = DevConfigDefinition.Rule.range(min: 0, max: nil)

    /// Every topic config, sorted by name (the order DescribeConfigs answers in).
    static let all: [DevConfigDefinition] = [
        .init(
            name: "cleanup.policy", type: .list, defaultValue: "delete", rule: .listOf(["compact", "delete"]),
            brokerSynonym: "log.cleanup.policy",
            documentation: "The retention policy of log segments: delete, compact, or both (comma-separated)."),
        .init(
            name: "compression.gzip.level", type: .int, defaultValue: "-1", rule: .range(min: -1, max: 9),
            brokerSynonym: "compression.gzip.level", documentation: "The compression level for gzip."),
        .init(
            name: "compression.lz4.level", type: .int, defaultValue: "9", rule: .range(min: 1, max: 17),
            brokerSynonym: "compression.lz4.level", documentation: "The compression level for lz4."),
        .init(
            name: "compression.type", type: .string, defaultValue: "producer",
            rule: .oneOf(["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
            brokerSynonym: "compression.type",
            documentation: "The final compression type of the topic; 'producer' keeps the producer's codec."),
        .init(
            name: "compression.zstd.level", type: .int, defaultValue: "3", rule: .range(min: -131072, max: 22),
            brokerSynonym: "compression.zstd.level", documentation: "The compression level for zstd."),
        .init(
            name: "delete.retention.ms", type: .long, defaultValue: "86400000", rule: nonNegative,
            brokerSynonym: "log.cleaner.delete.retention.ms",
            documentation: "How long delete tombstones are kept for compacted topics."),
        .init(
            name: "file.delete.delay.ms", type: .long, defaultValue: "60000", rule: nonNegative,
            brokerSynonym: "log.segment.delete.delay.ms",
            documentation: "The time to wait before deleting a file from the filesystem."),
        .init(
            name: "flush.messages", type: .long, defaultValue: long, rule: .range(min: 1, max: nil),
            brokerSynonym: "log.flush.interval.messages",
            documentation: "How many messages may accumulate before the log is fsynced."),
        .init(
            name: "flush.ms", type: .long, defaultValue: long, rule: nonNegative,
            brokerSynonym: "log.flush.interval.ms", documentation: "How long data may wait before the log is fsynced."),
        .init(
            name: "follower.replication.throttled.replicas", type: .list, defaultValue: "",
            brokerSynonym: "follower.replication.throttled.replicas",
            documentation: "Replicas whose log replication is throttled on the follower side."),
        .init(
            name: "index.interval.bytes", type: .int, defaultValue: "4096", rule: nonNegative,
            brokerSynonym: "log.index.interval.bytes", documentation: "How often an offset index entry is added."),
        .init(
            name: "leader.replication.throttled.replicas", type: .list, defaultValue: "",
            brokerSynonym: "leader.replication.throttled.replicas",
            documentation: "Replicas whose log replication is throttled on the leader side."),
        .init(
            name: "local.retention.bytes", type: .long, defaultValue: "-2", rule: .range(min: -2, max: nil),
            brokerSynonym: "log.local.retention.bytes",
            documentation: "Local log size kept before deletion when tiered storage is on (-2: retention.bytes)."),
        .init(
            name: "local.retention.ms", type: .long, defaultValue: "-2", rule: .range(min: -2, max: nil),
            brokerSynonym: "log.local.retention.ms",
            documentation: "Local log age kept before deletion when tiered storage is on (-2: retention.ms)."),
        .init(
            name: "max.compaction.lag.ms", type: .long, defaultValue: long, rule: .range(min: 1, max: nil),
            brokerSynonym: "log.cleaner.max.compaction.lag.ms",
            documentation: "The maximum time a message remains ineligible for compaction."),
        .init(
            name: "max.message.bytes", type: .int, defaultValue: "1048588", rule: nonNegative,
            brokerSynonym: "message.max.bytes",
            documentation: "The largest record batch size allowed by Kafka (after compression)."),
        .init(
            name: "message.downconversion.enable", type: .boolean, defaultValue: "true",
            brokerSynonym: "log.message.downconversion.enable",
            documentation: "Whether down-conversion of message formats is enabled for consume requests."),
        .init(
            name: "message.format.version", type: .string, defaultValue: "3.0-IV1",
            brokerSynonym: "log.message.format.version",
            documentation: "Deprecated: the message format version; ignored since Kafka 3.0."),
        .init(
            name: "message.timestamp.after.max.ms", type: .long, defaultValue: long, rule: nonNegative,
            brokerSynonym: "log.message.timestamp.after.max.ms",
            documentation: "How far a message timestamp may be ahead of the broker's time."),
        .init(
            name: "message.timestamp.before.max.ms", type: .long, defaultValue: long, rule: nonNegative,
            brokerSynonym: "log.message.timestamp.before.max.ms",
            documentation: "How far a message timestamp may be behind the broker's time."),
        .init(
            name: "message.timestamp.difference.max.ms", type: .long, defaultValue: long, rule: nonNegative,
            brokerSynonym: "log.message.timestamp.difference.max.ms",
            documentation: "Deprecated: the maximum difference between a message timestamp and the broker's time."),
        .init(
            name: "message.timestamp.type", type: .string, defaultValue: "CreateTime",
            rule: .oneOf(["CreateTime", "LogAppendTime"]), brokerSynonym: "log.message.timestamp.type",
            documentation: "Whether record timestamps are the producer's (CreateTime) or the broker's (LogAppendTime)."),
        .init(
            name: "min.cleanable.dirty.ratio", type: .double, defaultValue: "0.5", rule: .range(min: 0, max: 1),
            brokerSynonym: "log.cleaner.min.cleanable.ratio",
            documentation: "How dirty the log must be before the cleaner compacts it."),
        .init(
            name: "min.compaction.lag.ms", type: .long, defaultValue: "0", rule: nonNegative,
            brokerSynonym: "log.cleaner.min.compaction.lag.ms",
            documentation: "The minimum time a message remains uncompacted."),
        .init(
            name: "min.insync.replicas", type: .int, defaultValue: "1", rule: .range(min: 1, max: nil),
            brokerSynonym: "min.insync.replicas",
            documentation: "The minimum number of in-sync replicas for an acks=all write to succeed."),
        .init(
            name: "preallocate", type: .boolean, defaultValue: "false", brokerSynonym: "log.preallocate",
            documentation: "Whether segment files are preallocated on disk."),
        .init(
            name: "remote.log.copy.disable", type: .boolean, defaultValue: "false",
            documentation: "Whether copying segments to remote storage is disabled."),
        .init(
            name: "remote.log.delete.on.disable", type: .boolean, defaultValue: "false",
            documentation: "Whether remote data is deleted when tiered storage is disabled for the topic."),
        .init(
            name: "remote.storage.enable", type: .boolean, defaultValue: "false",
            documentation: "Whether tiered storage is enabled for the topic."),
        .init(
            name: "retention.bytes", type: .long, defaultValue: "-1", brokerSynonym: "log.retention.bytes",
            documentation: "The maximum size a partition may grow to before old segments are discarded (-1: no limit)."),
        .init(
            name: "retention.ms", type: .long, defaultValue: "604800000", rule: .range(min: -1, max: nil),
            brokerSynonym: "log.retention.ms",
            documentation: "How long a log is retained before old segments are discarded (-1: no limit)."),
        .init(
            name: "segment.bytes", type: .int, defaultValue: "1073741824", rule: .range(min: 14, max: nil),
            brokerSynonym: "log.segment.bytes", documentation: "The segment file size of the log."),
        .init(
            name: "segment.index.bytes", type: .int, defaultValue: "10485760", rule: .range(min: 4, max: nil),
            brokerSynonym: "log.index.size.max.bytes",
            documentation: "The size of the index that maps offsets to file positions."),
        .init(
            name: "segment.jitter.ms", type: .long, defaultValue: "0", rule: nonNegative,
            brokerSynonym: "log.roll.jitter.ms", documentation: "The maximum random jitter subtracted from segment.ms."),
        .init(
            name: "segment.ms", type: .long, defaultValue: "604800000", rule: .range(min: 1, max: nil),
            brokerSynonym: "log.roll.ms", documentation: "How long before a new segment is rolled."),
        .init(
            name: "unclean.leader.election.enable", type: .boolean, defaultValue: "false",
            brokerSynonym: "unclean.leader.election.enable",
            documentation: "Whether out-of-sync replicas may become leader as a last resort."),
    ]

    /// The catalogue by name.
    static let byName: [String: DevConfigDefinition] = Dictionary(
        all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// The default value of a topic config (nil when unknown or null).
    static func defaultValue(_ name: String) -> String? { byName[name]?.defaultValue }

    /// Validates one topic config; returns the normalized value or INVALID_CONFIG with Kafka's
    /// message (unknown names: `Unknown topic config name: x`; null values are refused).
    static func validate(name: String, value: String?) -> Result<String, DevConfigError> {
        guard let definition = byName[name] else {
            return .failure(DevConfigError(code: .invalidConfig, message: "Unknown topic config name: \(name)"))
        }
        guard let value else {
            return .failure(
                DevConfigError(code: .invalidConfig, message: "Null value not supported for topic configs: \(name)"))
        }
        return definition.validate(value)
    }

    /// Validates a set of overrides; returns them normalized, or the first error (in name order).
    static func validate(_ configs: [(name: String, value: String?)]) -> Result<[String: String], DevConfigError> {
        var normalized: [String: String] = [:]
        for config in configs.sorted(by: { $0.name < $1.name }) {
            switch validate(name: config.name, value: config.value) {
            case .success(let value): normalized[config.name] = value
            case .failure(let error): return .failure(error)
            }
        }
        return .success(normalized)
    }

    /// Whether APPEND and SUBTRACT apply to a config (list-typed configs only).
    static func isList(_ name: String) -> Bool { byName[name]?.type == .list }
}

extension ClusterState {
    /// The effective value of a topic config: the topic's override, else the catalogue default
    /// (nil when the topic or the config is unknown).
    func topicConfig(_ topic: String, _ name: String) -> String? {
        guard let state = topics[topic] else { return nil }
        return state.configs[name] ?? TopicConfigs.defaultValue(name)
    }
}

extension TopicConfigs {
    /// `text` without leading and trailing spaces, tabs and line breaks (Java's `trim`).
    static func trim(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] <= 0x20 { start += 1 }
        while end > start, bytes[end - 1] <= 0x20 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
