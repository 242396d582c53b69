import KafkaProtocol

/// A handful of broker configs, reported by DescribeConfigs for BROKER resources with the dev
/// cluster's values, and the dynamic ones changeable by AlterConfigs/IncrementalAlterConfigs.
///
/// Dynamic values live in `ClusterState.brokerConfigs`: under the node id for one broker
/// (DYNAMIC_BROKER_CONFIG) and under ``clusterDefaultKey`` for the cluster-wide default (the
/// empty resource name, DYNAMIC_DEFAULT_BROKER_CONFIG). They are reported but do not change the
/// behaviour of the dev cluster (topic defaults come from ``TopicConfigs``), except
/// `transaction.partition.verification.enable` (see ``isEnabled(_:nodeID:state:)``).
enum BrokerConfigs {
    /// The `brokerConfigs` key of the cluster-wide dynamic defaults (resource name "").
    static let clusterDefaultKey: Int32 = -1

    /// The broker configs the dev cluster knows, sorted by name. Values marked read-only are
    /// static in Kafka (`Cannot update these configs dynamically`).
    static let all: [DevConfigDefinition] = [
        .init(
            name: "auto.create.topics.enable", type: .boolean, defaultValue: "true", readOnly: true,
            documentation: "Whether metadata requests create unknown topics."),
        .init(
            name: "broker.id", type: .int, defaultValue: "-1", readOnly: true,
            documentation: "The broker id of this server (the node id in KRaft mode)."),
        .init(
            name: "compression.type", type: .string, defaultValue: "producer",
            rule: .oneOf(["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
            documentation: "The default final compression type of topics."),
        .init(
            name: "default.replication.factor", type: .int, defaultValue: "1", readOnly: true,
            documentation: "The replication factor of automatically created topics."),
        .init(
            name: "delete.topic.enable", type: .boolean, defaultValue: "true", readOnly: true,
            documentation: "Whether topics can be deleted."),
        .init(
            name: "follower.replication.throttled.rate", type: .long, defaultValue: "9223372036854775807",
            rule: .range(min: 0, max: nil),
            documentation: "The bytes per second a follower copies throttled replicas at (reassignment throttle)."),
        .init(
            name: "leader.replication.throttled.rate", type: .long, defaultValue: "9223372036854775807",
            rule: .range(min: 0, max: nil),
            documentation: "The bytes per second a leader serves throttled replicas at (reassignment throttle)."),
        .init(
            name: "log.cleanup.policy", type: .list, defaultValue: "delete", rule: .listOf(["compact", "delete"]),
            documentation: "The default cleanup policy of topics."),
        .init(
            name: "log.message.timestamp.type", type: .string, defaultValue: "CreateTime",
            rule: .oneOf(["CreateTime", "LogAppendTime"]),
            documentation: "The default timestamp type of topics."),
        .init(
            name: "log.retention.bytes", type: .long, defaultValue: "-1",
            documentation: "The default maximum size of a partition before old segments are deleted."),
        .init(
            name: "log.retention.hours", type: .int, defaultValue: "168", readOnly: true,
            documentation: "The default number of hours a log is kept."),
        .init(
            name: "log.retention.ms", type: .long, defaultValue: nil, rule: .range(min: -1, max: nil),
            documentation: "The default number of milliseconds a log is kept (overrides log.retention.hours)."),
        .init(
            name: "log.segment.bytes", type: .int, defaultValue: "1073741824", rule: .range(min: 14, max: nil),
            documentation: "The default segment size of topics."),
        .init(
            name: "message.max.bytes", type: .int, defaultValue: "1048588", rule: .range(min: 0, max: nil),
            documentation: "The largest record batch size the brokers accept."),
        .init(
            name: "min.insync.replicas", type: .int, defaultValue: "1", rule: .range(min: 1, max: nil),
            documentation: "The default minimum number of in-sync replicas for acks=all."),
        .init(
            name: "node.id", type: .int, defaultValue: "-1", readOnly: true,
            documentation: "The node id of this server."),
        .init(
            name: "num.partitions", type: .int, defaultValue: "1", readOnly: true,
            documentation: "The default number of partitions of new topics."),
        .init(
            name: "replica.alter.log.dirs.io.max.bytes.per.second", type: .long, defaultValue: "9223372036854775807",
            rule: .range(min: 0, max: nil),
            documentation: "The bytes per second a replica moves between log directories at."),
        .init(
            name: "transaction.partition.verification.enable", type: .boolean, defaultValue: "true",
            documentation: "Whether a transactional batch is refused unless its partition was added to the transaction."
        ),
        .init(
            name: "unclean.leader.election.enable", type: .boolean, defaultValue: "false",
            documentation: "Whether out-of-sync replicas may become leader as a last resort."),
    ]

    static let byName: [String: DevConfigDefinition] = Dictionary(
        all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// The value the dev cluster was started with (nil when it is Kafka's default), reported as
    /// STATIC_BROKER_CONFIG as if it came from `server.properties`.
    static func staticValue(_ name: String, nodeID: Int32, state: ClusterState) -> String? {
        switch name {
        case "broker.id", "node.id": String(nodeID)
        case "num.partitions": String(state.defaultPartitions)
        case "default.replication.factor": String(state.defaultReplicationFactor)
        case "auto.create.topics.enable": String(state.autoCreateTopics)
        case "message.max.bytes": String(state.maxMessageBytes)
        default: nil
        }
    }

    /// Whether boolean config `name` is on at `nodeID`: its dynamic value for the broker, else the cluster-wide
    /// dynamic default, else Kafka's default.
    static func isEnabled(_ name: String, nodeID: Int32, state: ClusterState) -> Bool {
        let value =
            state.brokerConfigs[nodeID]?[name] ?? state.brokerConfigs[clusterDefaultKey]?[name]
            ?? byName[name]?.defaultValue
        return value?.lowercased() == "true"
    }

    /// One broker config as DescribeConfigs reports it for `nodeID`.
    struct Described {
        var definition: DevConfigDefinition
        var value: String?
        var source: DevConfigSource
        /// Every level that has a value, highest precedence first (DescribeConfigs synonyms).
        var synonyms: [(value: String?, source: DevConfigSource)]
    }

    /// Every broker config of `nodeID` with its effective value and source.
    static func describe(nodeID: Int32, state: ClusterState) -> [Described] {
        all.map { definition in
            var levels: [(value: String?, source: DevConfigSource)] = []
            if let value = state.brokerConfigs[nodeID]?[definition.name] {
                levels.append((value, .dynamicBrokerConfig))
            }
            if let value = state.brokerConfigs[clusterDefaultKey]?[definition.name] {
                levels.append((value, .dynamicDefaultBrokerConfig))
            }
            if let value = staticValue(definition.name, nodeID: nodeID, state: state) {
                levels.append((value, .staticBrokerConfig))
            }
            levels.append((definition.defaultValue, .defaultConfig))
            let effective = levels[0]
            return Described(definition: definition, value: effective.value, source: effective.source, synonyms: levels)
        }
    }

    /// The cluster-wide dynamic defaults (what Kafka describes for the empty broker name).
    static func describeClusterDefaults(state: ClusterState) -> [Described] {
        let dynamic = state.brokerConfigs[clusterDefaultKey] ?? [:]
        return all.compactMap { definition in
            guard let value = dynamic[definition.name] else { return nil }
            return Described(
                definition: definition, value: value, source: .dynamicDefaultBrokerConfig,
                synonyms: [(value, .dynamicDefaultBrokerConfig)])
        }
    }

    /// Validates a change of a dynamic broker config: unknown names are INVALID_CONFIG, static
    /// configs INVALID_REQUEST (`Cannot update these configs dynamically`), bad values
    /// INVALID_CONFIG.
    static func validate(name: String, value: String?) -> Result<String?, DevConfigError> {
        guard let definition = byName[name] else {
            return .failure(DevConfigError(code: .invalidConfig, message: "Unknown broker config name: \(name)"))
        }
        if definition.readOnly {
            return .failure(
                DevConfigError(code: .invalidRequest, message: "Cannot update these configs dynamically: Set(\(name))"))
        }
        guard let value else { return .success(nil) }
        return definition.validate(value).map { $0 }
    }
}
