public import KafkaNetwork
public import KafkaProtocol

// MARK: - Errors

/// The failure of one resource (a topic, a broker's configs, a consumer group, a partition, …) in an
/// admin operation.
///
/// Admin operations on several resources return one result per resource, so a topic that cannot
/// be created does not hide the others. The error names the API, the resource and the broker's
/// error code and message:
///
/// ```
/// CreateTopics failed for topic 'orders': TOPIC_ALREADY_EXISTS (36): Topic 'orders' already exists.
/// ```
///
/// When the request carrying a resource failed as a whole (a broker that cannot be reached, an API
/// the broker does not support), the code is the nearest protocol code (`NETWORK_EXCEPTION`,
/// `UNSUPPORTED_VERSION`, `REQUEST_TIMED_OUT`, …) and ``message`` describes the underlying failure.
///
/// Every throwing method of ``KafkaAdminClient`` throws this type: a failure of the operation as a
/// whole names the resources it concerns (several names joined with ", "; an empty name and
/// ``ResourceKind/cluster`` for operations on the whole cluster). When the calling task is cancelled,
/// the code is `REQUEST_TIMED_OUT` and ``isCancellation`` is true.
public struct AdminError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of resource the error concerns.
    public enum ResourceKind: String, Sendable, Hashable {
        /// A topic.
        case topic
        /// A broker (its configs).
        case broker
        /// The log levels of a broker.
        case brokerLogger = "broker logger"
        /// The cluster as a whole (its description); the resource name is empty.
        case cluster
        /// A consumer group.
        case group
        /// A partition of a topic, named `topic-partition` (see ``AdminError/topicPartition``).
        case partition
        /// Client metrics subscriptions.
        case clientMetrics = "client metrics"
        /// A resource of a type this client does not know.
        case unknown = "resource"
        /// A user (its SCRAM credentials); the resource name is the user name.
        case user
        /// The entity client quotas apply to; the resource name is its description
        /// (``ClientQuotaEntity/description``).
        case clientQuotaEntity = "client quota entity"
        /// A transactional id (of a transactional producer).
        case transactionalID = "transactional id"
        /// An ACL or a filter of ACLs, named by its description.
        case acl = "ACL"
    }

    /// The protocol error code.
    public var code: KafkaErrorCode
    /// The API whose response carried the error (or whose request failed).
    public var api: KafkaAPIKey
    /// The kind of resource.
    public var resourceKind: ResourceKind
    /// The name of the resource (a topic name, a broker id, …).
    public var resourceName: String
    /// The broker's error message, or the client's explanation; nil when there is none.
    public var message: String?
    /// The partition, when the resource is one (``ResourceKind/partition``); nil otherwise.
    public var topicPartition: TopicPartitionKey?
    /// Whether the operation stopped because the calling task was cancelled (Java's `InterruptException`); the
    /// code is then `REQUEST_TIMED_OUT`.
    public var isCancellation = false

    /// Creates an error.
    public init(
        code: KafkaErrorCode, api: KafkaAPIKey, resourceKind: ResourceKind, resourceName: String,
        message: String? = nil
    ) {
        self.code = code
        self.api = api
        self.resourceKind = resourceKind
        self.resourceName = resourceName
        self.message = message
        self.topicPartition = nil
    }

    /// Creates the error of a partition: the resource kind is ``ResourceKind/partition`` and the
    /// resource name `topic-partition`.
    public init(code: KafkaErrorCode, api: KafkaAPIKey, partition: TopicPartitionKey, message: String? = nil) {
        self.init(
            code: code, api: api, resourceKind: .partition, resourceName: partition.description, message: message)
        self.topicPartition = partition
    }

    /// A resource's outcome from its error code in a response: success for NONE, else this error.
    static func outcome(
        _ errorCode: Int16, api: KafkaAPIKey, resourceKind: ResourceKind, resourceName: String, message: String? = nil
    ) -> Result<Void, AdminError> {
        let code = KafkaErrorCode(rawValue: errorCode)
        guard code != .none else { return .success(()) }
        return .failure(
            AdminError(code: code, api: api, resourceKind: resourceKind, resourceName: resourceName, message: message))
    }

    /// Whether retrying the operation may succeed.
    public var isRetriable: Bool { code.isRetriable }

    public var description: String {
        let text = message.flatMap { $0.isEmpty ? nil : $0 } ?? code.message
        let resource =
            resourceKind == .cluster && resourceName.isEmpty
            ? "the cluster"
            : resourceName.isEmpty ? "\(resourceKind.rawValue) ''" : "\(resourceKind.rawValue) '\(resourceName)'"
        return "\(api.name) failed for \(resource): \(code.name) (\(code.rawValue))\(text.isEmpty ? "" : ": \(text)")"
    }
}

extension AdminError {
    /// The error of a resource whose request failed as a whole with `error`.
    init(_ error: any Error, api: KafkaAPIKey, resourceKind: ResourceKind, resourceName: String) {
        switch error {
        case let error as AdminError:
            self = error
        case let error as KafkaError:
            self.init(
                code: error.code, api: api, resourceKind: resourceKind, resourceName: resourceName,
                message: error.brokerMessage)
        case let error as KafkaNetworkError:
            let code: KafkaErrorCode =
                switch error.kind {
                case .unsupportedVersion: .unsupportedVersion
                case .requestTimedOut, .connectTimedOut: .requestTimedOut
                case .authenticationFailed: .saslAuthenticationFailed
                default: .networkException
                }
            self.init(
                code: code, api: api, resourceKind: resourceKind, resourceName: resourceName,
                message: error.description)
        case is CancellationError:
            self = .cancellation(api: api, resourceKind: resourceKind, resourceName: resourceName)
        default:
            self.init(
                code: .unknownServerError, api: api, resourceKind: resourceKind, resourceName: resourceName,
                message: "\(error)")
        }
    }

    /// The error of `partition` from `error`, a `KafkaError` (its API is kept when it has one), an
    /// `AdminError` or the failure of the request as a whole.
    init(_ error: any Error, api: KafkaAPIKey, partition: TopicPartitionKey) {
        self.init(
            error, api: (error as? KafkaError)?.api ?? api, resourceKind: .partition,
            resourceName: partition.description)
        if resourceKind == .partition { topicPartition = topicPartition ?? partition }
    }

    /// The error of consumer group `groupId` from `error`, a `KafkaError` (its API is kept when it
    /// has one), an `AdminError` or the failure of the request as a whole.
    init(_ error: any Error, api: KafkaAPIKey, group groupId: String) {
        self.init(error, api: (error as? KafkaError)?.api ?? api, resourceKind: .group, resourceName: groupId)
    }

    /// The error of an operation that stopped because the calling task was cancelled; `lastFailure` is what
    /// failed while the task was cancelled, if anything did.
    static func cancellation(
        api: KafkaAPIKey, resourceKind: ResourceKind, resourceName: String, lastFailure: (any Error)? = nil
    ) -> AdminError {
        var error = AdminError(
            code: .requestTimedOut, api: api, resourceKind: resourceKind, resourceName: resourceName,
            message: "the task was cancelled before the operation completed"
                + (lastFailure.map { " (last failure: \($0))" } ?? ""))
        error.isCancellation = true
        return error
    }

    /// What a public operation throws for `error`: as ``init(_:api:resourceKind:resourceName:)``, except that a
    /// network failure met after the calling task was cancelled (a request cut short, a retry that ran out while
    /// waiting) reports the cancellation, as Java's `InterruptException` does.
    static func thrownByOperation(
        _ error: any Error, api: KafkaAPIKey, resourceKind: ResourceKind, resourceName: String
    ) -> AdminError {
        if Task.isCancelled, error is KafkaNetworkError {
            return .cancellation(api: api, resourceKind: resourceKind, resourceName: resourceName, lastFailure: error)
        }
        return AdminError(error, api: api, resourceKind: resourceKind, resourceName: resourceName)
    }

    /// The resource name of an operation on several resources that failed as a whole: the distinct names,
    /// sorted, joined with ", ".
    static func resourceNames(_ names: [String]) -> String {
        Set(names).sorted().joined(separator: ", ")
    }

    /// The error of a resource the broker's response did not mention.
    static func missing(api: KafkaAPIKey, resourceKind: ResourceKind, resourceName: String) -> AdminError {
        AdminError(
            code: .unknownServerError, api: api, resourceKind: resourceKind, resourceName: resourceName,
            message: "the broker's response did not include this \(resourceKind.rawValue)")
    }
}

// MARK: - Topics

/// A topic to create with ``KafkaAdminClient/createTopics(_:validateOnly:)``.
///
/// Give either a partition count and replication factor (nil for the broker's `num.partitions`
/// and `default.replication.factor`, which needs CreateTopics v4, Kafka 2.4), or an explicit
/// replica assignment.
public struct NewTopic: Sendable, Hashable {
    /// The topic name.
    public var name: String
    /// The number of partitions; nil for the broker default. Ignored when ``replicaAssignment`` is set.
    public var partitions: Int32?
    /// The replication factor; nil for the broker default. Ignored when ``replicaAssignment`` is set.
    public var replicationFactor: Int16?
    /// The replicas of each partition (partition index → broker ids, the preferred leader first);
    /// the partitions must be numbered 0...n-1.
    public var replicaAssignment: [Int32: [Int32]]?
    /// Topic config overrides, such as `retention.ms` or `cleanup.policy`.
    public var configs: [String: String]

    /// A topic with a partition count and replication factor (nil: the broker defaults).
    public init(
        name: String, partitions: Int32? = nil, replicationFactor: Int16? = nil, configs: [String: String] = [:]
    ) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.replicaAssignment = nil
        self.configs = configs
    }

    /// A topic with an explicit replica assignment (partition index → broker ids).
    public init(name: String, replicaAssignment: [Int32: [Int32]], configs: [String: String] = [:]) {
        self.name = name
        self.partitions = nil
        self.replicationFactor = nil
        self.replicaAssignment = replicaAssignment
        self.configs = configs
    }
}

/// What the broker reports about a topic it created (or would create, with `validateOnly`).
public struct CreatedTopic: Sendable, Hashable {
    /// The topic id; nil with `validateOnly` or before CreateTopics v7 (Kafka 2.8).
    public var topicID: KafkaUUID?
    /// The number of partitions; nil before CreateTopics v5 (Kafka 2.4).
    public var partitions: Int32?
    /// The replication factor; nil before CreateTopics v5.
    public var replicationFactor: Int16?
    /// The topic's configs; nil before CreateTopics v5 or when the broker could not describe them.
    public var configs: [ConfigEntry]?

    /// Creates a description.
    public init(
        topicID: KafkaUUID? = nil, partitions: Int32? = nil, replicationFactor: Int16? = nil,
        configs: [ConfigEntry]? = nil
    ) {
        self.topicID = topicID
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// The partitions to add to a topic with ``KafkaAdminClient/createPartitions(_:validateOnly:)-([String:NewPartitions],_)``.
public struct NewPartitions: Sendable, Hashable {
    /// The partition count the topic should have afterwards (larger than the current one).
    public var totalCount: Int32
    /// The replicas of each new partition, in partition order (one list per new partition); nil
    /// lets the controller place them.
    public var assignments: [[Int32]]?

    /// Grows a topic to `totalCount` partitions, optionally placing the new ones.
    public init(totalCount: Int32, assignments: [[Int32]]? = nil) {
        self.totalCount = totalCount
        self.assignments = assignments
    }
}

/// A topic as ``KafkaAdminClient/describeTopics(_:)`` reports it.
public struct TopicDescription: Sendable, Hashable {
    /// The topic name.
    public var name: String
    /// The topic id; nil when the broker did not report one (before Metadata v10, Kafka 2.8).
    public var topicID: KafkaUUID?
    /// Whether the topic is internal (`__consumer_offsets`, `__transaction_state`).
    public var isInternal: Bool
    /// The partitions, sorted by index.
    public var partitions: [PartitionMetadata]

    /// Creates a description.
    public init(name: String, topicID: KafkaUUID? = nil, isInternal: Bool = false, partitions: [PartitionMetadata] = [])
    {
        self.name = name
        self.topicID = topicID
        self.isInternal = isInternal
        self.partitions = partitions
    }
}

// MARK: - Cluster

/// The cluster as ``KafkaAdminClient/describeCluster()`` reports it.
public struct ClusterDescription: Sendable, Hashable {
    /// The cluster id; nil when the broker did not report one.
    public var clusterID: String?
    /// The id of the controller the broker reported; nil when unknown. (KRaft brokers report a
    /// broker clients can send controller requests to.)
    public var controllerID: Int32?
    /// The live brokers, sorted by node id.
    public var brokers: [BrokerMetadata]

    /// Creates a description.
    public init(clusterID: String?, controllerID: Int32?, brokers: [BrokerMetadata]) {
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.brokers = brokers
    }

    /// The controller, when it is among ``brokers``.
    public var controller: BrokerMetadata? {
        controllerID.flatMap { id in brokers.first { $0.nodeID == id } }
    }
}

// MARK: - Configs

/// A resource that has configs: a topic, a broker, the cluster-wide broker defaults, a broker's loggers.
public struct ConfigResource: Sendable, Hashable, CustomStringConvertible {
    /// The kind of resource, with its protocol id.
    public enum ResourceType: Int8, Sendable, Hashable {
        /// A topic (name: the topic name).
        case topic = 2
        /// A broker (name: its id; the empty name is the cluster-wide dynamic defaults).
        case broker = 4
        /// A broker's log4j loggers (name: the broker id).
        case brokerLogger = 8
        /// Client metrics subscriptions (name: the subscription).
        case clientMetrics = 16
        /// A consumer group's configs (name: the group id).
        case group = 32
    }

    /// The kind of resource.
    public var type: ResourceType
    /// The resource name: a topic name, a broker id, a group id.
    public var name: String

    /// Creates a resource.
    public init(type: ResourceType, name: String) {
        self.type = type
        self.name = name
    }

    /// The configs of topic `name`.
    public static func topic(_ name: String) -> ConfigResource {
        ConfigResource(type: .topic, name: name)
    }

    /// The configs of broker `id` (requests for it go to that broker).
    public static func broker(_ id: Int32) -> ConfigResource {
        ConfigResource(type: .broker, name: String(id))
    }

    /// The cluster-wide dynamic broker defaults (a broker resource with the empty name).
    public static let brokerDefaults = ConfigResource(type: .broker, name: "")

    public var description: String {
        "\(AdminError.ResourceKind(type).rawValue) '\(name)'"
    }
}

extension AdminError.ResourceKind {
    /// The kind of a config resource type.
    init(_ type: ConfigResource.ResourceType) {
        switch type {
        case .topic: self = .topic
        case .broker: self = .broker
        case .brokerLogger: self = .brokerLogger
        case .clientMetrics: self = .clientMetrics
        case .group: self = .group
        }
    }
}

/// Where a config value comes from (Kafka's `ConfigEntry.ConfigSource`). Values this client does
/// not know are kept as their raw id.
public struct ConfigSource: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The protocol id.
    public var rawValue: Int8

    /// A source with protocol id `rawValue`.
    public init(rawValue: Int8) { self.rawValue = rawValue }

    /// Unknown (also every non-default value before DescribeConfigs v1).
    public static let unknown = ConfigSource(rawValue: 0)
    /// A dynamic override of a topic.
    public static let dynamicTopicConfig = ConfigSource(rawValue: 1)
    /// A dynamic config of one broker.
    public static let dynamicBrokerConfig = ConfigSource(rawValue: 2)
    /// A dynamic cluster-wide default for all brokers.
    public static let dynamicDefaultBrokerConfig = ConfigSource(rawValue: 3)
    /// The broker's `server.properties`.
    public static let staticBrokerConfig = ConfigSource(rawValue: 4)
    /// Kafka's built-in default.
    public static let defaultConfig = ConfigSource(rawValue: 5)
    /// A dynamic log level of a broker logger.
    public static let dynamicBrokerLoggerConfig = ConfigSource(rawValue: 6)
    /// A client metrics subscription.
    public static let clientMetricsConfig = ConfigSource(rawValue: 7)
    /// A dynamic config of a group.
    public static let groupConfig = ConfigSource(rawValue: 8)

    public var description: String {
        switch rawValue {
        case 0: "UNKNOWN"
        case 1: "DYNAMIC_TOPIC_CONFIG"
        case 2: "DYNAMIC_BROKER_CONFIG"
        case 3: "DYNAMIC_DEFAULT_BROKER_CONFIG"
        case 4: "STATIC_BROKER_CONFIG"
        case 5: "DEFAULT_CONFIG"
        case 6: "DYNAMIC_BROKER_LOGGER_CONFIG"
        case 7: "CLIENT_METRICS_CONFIG"
        case 8: "GROUP_CONFIG"
        default: "SOURCE_\(rawValue)"
        }
    }
}

/// The type of a config value (DescribeConfigs v3, Kafka 2.6, and later); ``unknown`` before.
public struct ConfigType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The protocol id.
    public var rawValue: Int8

    /// A type with protocol id `rawValue`.
    public init(rawValue: Int8) { self.rawValue = rawValue }

    /// Not reported.
    public static let unknown = ConfigType(rawValue: 0)
    /// `true` or `false`.
    public static let boolean = ConfigType(rawValue: 1)
    /// A string.
    public static let string = ConfigType(rawValue: 2)
    /// A 32-bit integer.
    public static let int = ConfigType(rawValue: 3)
    /// A 16-bit integer.
    public static let short = ConfigType(rawValue: 4)
    /// A 64-bit integer.
    public static let long = ConfigType(rawValue: 5)
    /// A floating-point number.
    public static let double = ConfigType(rawValue: 6)
    /// A comma-separated list.
    public static let list = ConfigType(rawValue: 7)
    /// A Java class name.
    public static let `class` = ConfigType(rawValue: 8)
    /// A password (reported without its value).
    public static let password = ConfigType(rawValue: 9)

    public var description: String {
        switch rawValue {
        case 0: "UNKNOWN"
        case 1: "BOOLEAN"
        case 2: "STRING"
        case 3: "INT"
        case 4: "SHORT"
        case 5: "LONG"
        case 6: "DOUBLE"
        case 7: "LIST"
        case 8: "CLASS"
        case 9: "PASSWORD"
        default: "TYPE_\(rawValue)"
        }
    }
}

/// One config of a resource, as ``KafkaAdminClient/describeConfigs(_:includeSynonyms:includeDocumentation:)``
/// reports it.
public struct ConfigEntry: Sendable, Hashable {
    /// A value of the config at one level of precedence (DescribeConfigs v1 and later, when asked).
    public struct Synonym: Sendable, Hashable {
        /// The config name at that level (for example `log.retention.ms` for a topic's `retention.ms`).
        public var name: String
        /// The value; nil when it is sensitive or not set.
        public var value: String?
        /// Where the value comes from.
        public var source: ConfigSource

        /// Creates a synonym.
        public init(name: String, value: String?, source: ConfigSource) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    /// The config name.
    public var name: String
    /// The value; nil when it is sensitive (``isSensitive``) or has no value.
    public var value: String?
    /// Where the value comes from.
    public var source: ConfigSource
    /// Whether the value is Kafka's default (source ``ConfigSource/defaultConfig``).
    public var isDefault: Bool
    /// Whether the value is sensitive (passwords); its value is then not reported.
    public var isSensitive: Bool
    /// Whether the config cannot be changed dynamically.
    public var isReadOnly: Bool
    /// The values at each level of precedence, highest first (empty unless synonyms were requested).
    public var synonyms: [Synonym]
    /// The value type (``ConfigType/unknown`` before DescribeConfigs v3).
    public var type: ConfigType
    /// The config's documentation, when requested and supported (DescribeConfigs v3 and later).
    public var documentation: String?

    /// Creates an entry.
    public init(
        name: String, value: String?, source: ConfigSource = .unknown, isDefault: Bool = false,
        isSensitive: Bool = false, isReadOnly: Bool = false, synonyms: [Synonym] = [], type: ConfigType = .unknown,
        documentation: String? = nil
    ) {
        self.name = name
        self.value = value
        self.source = source
        self.isDefault = isDefault
        self.isSensitive = isSensitive
        self.isReadOnly = isReadOnly
        self.synonyms = synonyms
        self.type = type
        self.documentation = documentation
    }
}

/// One change of ``KafkaAdminClient/incrementalAlterConfigs(_:validateOnly:)``.
public enum AlterConfigOp: Sendable, Hashable {
    /// Sets a config to `value`.
    case set(name: String, value: String)
    /// Removes an override: the config falls back to the next level (broker or Kafka default).
    case delete(name: String)
    /// Adds `value` to a list config (`cleanup.policy`, …), when it is not there yet.
    case append(name: String, value: String)
    /// Removes `value` from a list config.
    case subtract(name: String, value: String)

    /// The config name.
    public var name: String {
        switch self {
        case .set(let name, _), .delete(let name), .append(let name, _), .subtract(let name, _): name
        }
    }

    /// The value (nil for ``delete(name:)``).
    public var value: String? {
        switch self {
        case .set(_, let value), .append(_, let value), .subtract(_, let value): value
        case .delete: nil
        }
    }

    /// The protocol id of the operation (SET 0, DELETE 1, APPEND 2, SUBTRACT 3).
    package var operationID: Int8 {
        switch self {
        case .set: 0
        case .delete: 1
        case .append: 2
        case .subtract: 3
        }
    }
}
