public import KafkaNetwork

/// Consumer settings, with the Java consumer's defaults, on top of the shared client settings.
///
/// Accepts Java property names (`auto.offset.reset`, `fetch.max.wait.ms`, `max.poll.records`, …)
/// through ``init(properties:)``; names that are neither consumer nor client settings, and invalid
/// values, are errors naming the property.
public struct KafkaConsumerConfiguration: Sendable {
    /// `auto.offset.reset`: where a partition without a valid position starts.
    public enum AutoOffsetReset: String, Sendable, Hashable, CaseIterable {
        /// The first offset still in the log.
        case earliest
        /// The end of the log: only records written from now on.
        case latest
        /// No reset: ``KafkaConsumer/poll(timeout:)`` throws a ``ConsumerFetchError`` of kind
        /// ``ConsumerFetchError/Kind/noResetPolicy`` naming the partition.
        case none
    }

    /// `isolation.level`.
    public enum Isolation: String, Sendable, Hashable, CaseIterable {
        /// Every record up to the high watermark, records of aborted transactions included.
        case readUncommitted = "read_uncommitted"
        /// Only committed records, up to the last stable offset.
        case readCommitted = "read_committed"
    }

    /// Connection, metadata and retry settings shared with producers and admin clients
    /// (`bootstrap.servers`, `client.id`, `request.timeout.ms`, `retry.backoff.ms`, TLS, SASL, …).
    public var client: KafkaClientConfiguration
    /// `auto.offset.reset` (default `latest`).
    public var autoOffsetReset: AutoOffsetReset = .latest
    /// `fetch.min.bytes`: the data a broker waits for before answering a fetch (default 1).
    public var fetchMinBytes: Int = 1
    /// `fetch.max.wait.ms`: how long a broker waits for `fetch.min.bytes` (default 500 ms).
    public var fetchMaxWait: Duration = .milliseconds(500)
    /// `fetch.max.bytes`: the most data one fetch response carries (default 50 MiB).
    public var fetchMaxBytes: Int = 52_428_800
    /// `max.partition.fetch.bytes`: the most data one partition contributes to a response (default 1 MiB).
    public var maxPartitionFetchBytes: Int = 1_048_576
    /// `max.poll.records`: the most records one poll returns (default 500).
    public var maxPollRecords: Int = 500
    /// `isolation.level` (default `read_uncommitted`).
    public var isolationLevel: Isolation = .readUncommitted
    /// `check.crcs`: verify record batch checksums (default true).
    public var checkCRCs: Bool = true
    /// `group.id`: the group whose committed offsets ``KafkaConsumer/commit(_:)`` writes and
    /// ``KafkaConsumer/committed(_:)`` reads (default none; an empty value means none).
    public var groupId: String?

    /// Creates a configuration with the Java defaults.
    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    /// Builds a configuration from Java-style properties (consumer and client names).
    ///
    /// - Throws: `KafkaConfigurationError` naming an unknown property or a known one with an invalid
    ///   value; `bootstrap.servers` is required.
    public init(properties: [String: String]) throws(KafkaConfigurationError) {
        var clientProperties: [String: String] = [:]
        var consumerProperties: [(String, String)] = []
        for (name, value) in properties {
            if Self.knownProperties.contains(name) {
                consumerProperties.append((name, value))
            } else {
                clientProperties[name] = value
            }
        }
        self.init(client: try KafkaClientConfiguration(properties: clientProperties))
        for (name, value) in consumerProperties.sorted(by: { $0.0 < $1.0 }) {
            _ = try apply(property: name, value: value)
        }
    }

    /// The consumer-level property names.
    public static let knownProperties: Set<String> = [
        "auto.offset.reset", "fetch.min.bytes", "fetch.max.wait.ms", "fetch.max.bytes", "max.partition.fetch.bytes",
        "max.poll.records", "isolation.level", "check.crcs", "key.deserializer", "value.deserializer",
        "group.id",
    ]

    /// Applies one property: consumer names here, anything else through the client settings.
    ///
    /// - Returns: `false` when neither knows the name.
    /// - Throws: `KafkaConfigurationError` naming the property when the value is invalid.
    public mutating func apply(property name: String, value: String) throws(KafkaConfigurationError) -> Bool {
        let text = ConfigurationValue.trimmed(value)
        let int32Max = Int(Int32.max)
        switch name {
        case "auto.offset.reset":
            guard let reset = AutoOffsetReset(rawValue: text.lowercased()) else {
                throw ConfigurationValue.invalid(value, for: name, "expected earliest, latest or none")
            }
            autoOffsetReset = reset
        case "fetch.min.bytes": fetchMinBytes = try ConfigurationValue.integer(text, for: name, in: 0...int32Max)
        case "fetch.max.wait.ms":
            fetchMaxWait = try ConfigurationValue.milliseconds(text, for: name)
            guard fetchMaxWait <= .milliseconds(int32Max) else {
                throw ConfigurationValue.invalid(value, for: name, "expected at most \(int32Max)")
            }
        case "fetch.max.bytes": fetchMaxBytes = try ConfigurationValue.integer(text, for: name, in: 0...int32Max)
        case "max.partition.fetch.bytes":
            maxPartitionFetchBytes = try ConfigurationValue.integer(text, for: name, in: 0...int32Max)
        case "max.poll.records": maxPollRecords = try ConfigurationValue.integer(text, for: name, in: 1...int32Max)
        case "isolation.level":
            guard let level = Isolation(rawValue: text.lowercased()) else {
                throw ConfigurationValue.invalid(value, for: name, "expected read_uncommitted or read_committed")
            }
            isolationLevel = level
        case "check.crcs": checkCRCs = try ConfigurationValue.boolean(text, for: name)
        case "group.id": groupId = text.isEmpty ? nil : text
        case "key.deserializer", "value.deserializer":
            // Java class names mean nothing here: records carry bytes.
            break
        default:
            return try client.apply(property: name, value: value)
        }
        return true
    }

    /// Checks the settings against each other and the client settings.
    public func validate() throws(KafkaConfigurationError) {
        try client.validate()
        guard maxPollRecords >= 1 else {
            throw ConfigurationValue.invalid("\(maxPollRecords)", for: "max.poll.records", "expected at least 1")
        }
        let int32Max = Int(Int32.max)
        for (name, value) in [
            ("fetch.min.bytes", fetchMinBytes), ("fetch.max.bytes", fetchMaxBytes),
            ("max.partition.fetch.bytes", maxPartitionFetchBytes),
        ] where !(0...int32Max).contains(value) {
            throw ConfigurationValue.invalid("\(value)", for: name, "expected 0…\(int32Max)")
        }
    }

    var offsetResetStrategy: OffsetResetStrategy {
        switch autoOffsetReset {
        case .earliest: .earliest
        case .latest: .latest
        case .none: .none
        }
    }

    var fetchIsolationLevel: IsolationLevel {
        isolationLevel == .readCommitted ? .readCommitted : .readUncommitted
    }
}
