public import KafkaNetwork
public import Tracing

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
        /// No reset: ``KafkaConsumer/poll(timeout:)`` throws ``KafkaConsumerError/Kind/fetch(_:)`` with a
        /// ``ConsumerFetchError`` of kind ``ConsumerFetchError/Kind/noResetPolicy`` naming the partition.
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
    /// `group.instance.id`: makes the member static (KIP-345): a restart within the session timeout keeps
    /// its partitions without a rebalance (default none).
    public var groupInstanceId: String?
    /// `session.timeout.ms`: how long the coordinator waits for a heartbeat before it expels the member
    /// (default 45 s).
    public var sessionTimeout: Duration = .seconds(45)
    /// `heartbeat.interval.ms`: the time between heartbeats, which run on their own schedule (default 3 s).
    public var heartbeatInterval: Duration = .seconds(3)
    /// `max.poll.interval.ms`: the longest time between two polls before the member leaves the group
    /// (KIP-62); also the time a rebalance may take (default 5 min).
    public var maxPollInterval: Duration = .seconds(300)
    /// `partition.assignment.strategy`: the assignors, preferred first (default `range`, then
    /// `cooperative-sticky`, as Java). Short names (`range`, `roundrobin`, `sticky`,
    /// `cooperative-sticky`) and Java class names are accepted.
    public var assignors: [any PartitionAssignor] = [RangeAssignor(), CooperativeStickyAssignor()]
    /// `enable.auto.commit`: commit the positions of what ``KafkaConsumer/poll(timeout:)`` returned every
    /// `auto.commit.interval.ms`, before partitions are revoked and on close (default true; only in effect
    /// with `group.id`).
    public var enableAutoCommit: Bool = true
    /// `auto.commit.interval.ms` (default 5 s).
    public var autoCommitInterval: Duration = .seconds(5)
    /// `allow.auto.create.topics`: whether subscribing to (or assigning) a topic the cluster does not have asks the
    /// broker to create it, when the broker's `auto.create.topics.enable` allows it (default true, as Java).
    public var allowAutoCreateTopics: Bool = true
    /// `client.rack`: sent with the subscription for rack-aware assignors (default none).
    public var clientRack: String?
    /// `tracing.enable` (this package's property, not Java's; default false): each record's trace context is read
    /// from its headers (``ConsumerRecord/serviceContext``), and ``KafkaConsumer/records`` and
    /// ``KafkaConsumer/batches`` run a `process` span per record in its producer's trace (the `Kafka` module's
    /// Tracing article has the details). Off, polling costs nothing more.
    public var enableTracing: Bool = false
    /// The tracer of the spans, with ``enableTracing``, and whose propagation reads contexts from headers; `nil` (the
    /// default) uses swift-distributed-tracing's global `InstrumentationSystem.tracer` as it is when the consumer is
    /// created.
    public var tracer: (any Tracer)?

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
        "group.id", "group.instance.id", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
        "partition.assignment.strategy", "enable.auto.commit", "auto.commit.interval.ms", "client.rack",
        "allow.auto.create.topics", "tracing.enable",
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
        case "allow.auto.create.topics": allowAutoCreateTopics = try ConfigurationValue.boolean(text, for: name)
        case "check.crcs": checkCRCs = try ConfigurationValue.boolean(text, for: name)
        case "tracing.enable": enableTracing = try ConfigurationValue.boolean(text, for: name)
        case "group.id": groupId = text.isEmpty ? nil : text
        case "group.instance.id": groupInstanceId = text.isEmpty ? nil : text
        case "client.rack": clientRack = text.isEmpty ? nil : text
        case "session.timeout.ms": sessionTimeout = try Self.positiveMilliseconds(text, for: name)
        case "heartbeat.interval.ms": heartbeatInterval = try Self.positiveMilliseconds(text, for: name)
        case "max.poll.interval.ms": maxPollInterval = try Self.positiveMilliseconds(text, for: name)
        case "auto.commit.interval.ms": autoCommitInterval = try ConfigurationValue.milliseconds(text, for: name)
        case "enable.auto.commit": enableAutoCommit = try ConfigurationValue.boolean(text, for: name)
        case "partition.assignment.strategy": assignors = try Self.assignors(named: text, for: name)
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
        guard heartbeatInterval < sessionTimeout else {
            throw ConfigurationValue.invalid(
                "\(heartbeatInterval.components.seconds * 1000 + heartbeatInterval.components.attoseconds / 1_000_000_000_000_000)"
                    + " (session.timeout.ms \(sessionTimeout.components.seconds * 1000 + sessionTimeout.components.attoseconds / 1_000_000_000_000_000))",
                for: "heartbeat.interval.ms", "must be lower than session.timeout.ms")
        }
        guard !assignors.isEmpty else {
            throw ConfigurationValue.invalid("", for: "partition.assignment.strategy", "name at least one assignor")
        }
    }

    /// The assignors named in a comma-separated list (short or Java class names).
    static func assignors(named text: String, for name: String) throws(KafkaConfigurationError)
        -> [any PartitionAssignor]
    {
        var result: [any PartitionAssignor] = []
        for item in text.split(separator: ",") {
            let entry = ConfigurationValue.trimmed(String(item))
            guard !entry.isEmpty else { continue }
            let short = entry.split(separator: ".").last.map(String.init) ?? entry
            switch short.lowercased() {
            case "range", "rangeassignor": result.append(RangeAssignor())
            case "roundrobin", "roundrobinassignor": result.append(RoundRobinAssignor())
            case "sticky", "stickyassignor": result.append(StickyAssignor())
            case "cooperative-sticky", "cooperativestickyassignor": result.append(CooperativeStickyAssignor())
            default:
                throw ConfigurationValue.invalid(
                    text, for: name,
                    "unknown assignor \(entry) (expected range, roundrobin, sticky, cooperative-sticky)")
            }
        }
        guard !result.isEmpty else { throw ConfigurationValue.invalid(text, for: name, "name at least one assignor") }
        return result
    }

    static func positiveMilliseconds(_ text: String, for name: String) throws(KafkaConfigurationError) -> Duration {
        let value = try ConfigurationValue.milliseconds(text, for: name)
        guard value > .zero, value <= .milliseconds(Int(Int32.max)) else {
            throw ConfigurationValue.invalid(text, for: name, "expected 1…\(Int32.max)")
        }
        return value
    }

    /// The membership settings, when `group.id` is set.
    var groupMembership: GroupMembershipConfiguration? {
        guard let groupId else { return nil }
        var membership = GroupMembershipConfiguration(groupId: groupId)
        membership.groupInstanceId = groupInstanceId
        membership.sessionTimeout = sessionTimeout
        membership.heartbeatInterval = heartbeatInterval
        membership.maxPollInterval = maxPollInterval
        membership.retryBackoff = client.retryBackoff
        membership.assignors = assignors
        membership.rackId = clientRack
        return membership
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
