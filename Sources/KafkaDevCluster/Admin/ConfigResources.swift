import KafkaProtocol

/// The resource types of DescribeConfigs, AlterConfigs and IncrementalAlterConfigs.
enum ConfigResourceType {
    static let topic: Int8 = 2
    static let broker: Int8 = 4
    static let brokerLogger: Int8 = 8
}

/// What a config request names, resolved against the cluster.
enum ConfigTarget: Sendable, Equatable {
    /// An existing topic.
    case topic(String)
    /// A broker's dynamic configs, or the cluster-wide defaults (``BrokerConfigs/clusterDefaultKey``).
    case broker(Int32)
    /// The log4j loggers of a broker.
    case brokerLogger(Int32)
}

extension ClusterState {
    /// Resolves a config resource as Kafka does: an invalid topic name is INVALID_TOPIC_EXCEPTION,
    /// an unknown topic UNKNOWN_TOPIC_OR_PARTITION; a broker name must be empty (cluster default;
    /// not for BROKER_LOGGER) or the id of the broker that received the request (otherwise
    /// INVALID_REQUEST, as Kafka answers only for itself); other resource types are INVALID_REQUEST.
    func configTarget(type: Int8, name: String, receivingBroker: Int32) -> Result<ConfigTarget, DevConfigError> {
        switch type {
        case ConfigResourceType.topic:
            if let reason = Self.invalidTopicNameReason(name) {
                return .failure(DevConfigError(code: .invalidTopicException, message: reason))
            }
            guard topics[name] != nil else {
                return .failure(
                    DevConfigError(code: .unknownTopicOrPartition, message: "The topic '\(name)' does not exist."))
            }
            return .success(.topic(name))
        case ConfigResourceType.broker, ConfigResourceType.brokerLogger:
            let isLogger = type == ConfigResourceType.brokerLogger
            if name.isEmpty && !isLogger { return .success(.broker(BrokerConfigs.clusterDefaultKey)) }
            guard let id = Int32(name) else {
                return .failure(
                    DevConfigError(code: .invalidRequest, message: "Broker id must be an integer, but it is: \(name)"))
            }
            guard id == receivingBroker else {
                let expected = isLogger ? "\(receivingBroker)" : "\(receivingBroker) or empty string"
                return .failure(
                    DevConfigError(
                        code: .invalidRequest,
                        message: "Unexpected broker id, expected \(expected), but received \(name)"))
            }
            return .success(isLogger ? .brokerLogger(id) : .broker(id))
        default:
            return .failure(DevConfigError(code: .invalidRequest, message: "Unsupported resource type: \(type)"))
        }
    }

    /// The overrides (dynamic values) of a target.
    func configOverrides(of target: ConfigTarget) -> [String: String] {
        switch target {
        case .topic(let name): topics[name]?.configs ?? [:]
        case .broker(let id): brokerConfigs[id] ?? [:]
        case .brokerLogger: [:]
        }
    }

    /// Replaces the overrides of a target.
    mutating func setConfigOverrides(_ configs: [String: String], of target: ConfigTarget) {
        switch target {
        case .topic(let name): topics[name]?.configs = configs
        case .broker(let id): brokerConfigs[id] = configs.isEmpty ? nil : configs
        case .brokerLogger: break
        }
    }

    /// Validates one value for a target: the normalized value, nil for a removal (a null value
    /// of a broker config), or the error.
    func validateConfig(_ name: String, value: String?, for target: ConfigTarget) -> Result<String?, DevConfigError> {
        switch target {
        case .topic: TopicConfigs.validate(name: name, value: value).map { $0 }
        case .broker: BrokerConfigs.validate(name: name, value: value)
        case .brokerLogger:
            .failure(
                DevConfigError(
                    code: .invalidRequest, message: "The dev cluster does not support changing broker logger levels"))
        }
    }

    /// The names that occur more than once in `names`.
    static func duplicates(_ names: [String]) -> Set<String> {
        var seen = Set<String>()
        var repeated = Set<String>()
        for name in names where !seen.insert(name).inserted { repeated.insert(name) }
        return repeated
    }
}
