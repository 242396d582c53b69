import KafkaProtocol

/// DescribeConfigs (v0-4) for TOPIC (2), BROKER (4) and BROKER_LOGGER (8) resources.
///
/// - Topics: every entry of ``TopicConfigs`` with the override or the default; source
///   DYNAMIC_TOPIC_CONFIG (1) or DEFAULT_CONFIG (5); v0 reports `isDefault` instead. Synonyms
///   (v1+, when asked) list the override and the broker-level default (`log.retention.ms` for
///   `retention.ms`). An invalid name is INVALID_TOPIC_EXCEPTION, an unknown topic
///   UNKNOWN_TOPIC_OR_PARTITION.
/// - Brokers: the resource name must be this broker's id (Kafka answers only for itself; other ids
///   are INVALID_REQUEST) and lists ``BrokerConfigs``; the empty name lists only the cluster-wide
///   dynamic defaults, as Kafka does.
/// - Broker loggers: every logger of ``BrokerLoggers`` with its level (source DYNAMIC_BROKER_LOGGER_CONFIG).
///
/// `configurationKeys` null means every config; names that do not exist are left out, as in Kafka.
/// `configType` and `documentation` are set from v3 (documentation only when asked).
enum DescribeConfigsHandler: DevAPIHandler {
    typealias Entry = DescribeConfigsResponse.DescribeConfigsResourceResult

    static func handle(_ request: DescribeConfigsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeConfigsResponse>
    {
        var response = DescribeConfigsResponse()
        response.results = request.resources.map { resource in
            var result = DescribeConfigsResponse.DescribeConfigsResult(
                errorCode: 0, errorMessage: nil, resourceType: resource.resourceType,
                resourceName: resource.resourceName)
            if let denial = state.configDenial(
                context, type: resource.resourceType, name: resource.resourceName, DevAcls.Operation.describeConfigs)
            {
                result.errorCode = denial.code.rawValue
                result.errorMessage = denial.message
                return result
            }
            switch state.configTarget(
                type: resource.resourceType, name: resource.resourceName, receivingBroker: context.brokerID)
            {
            case .failure(let error):
                result.errorCode = error.code.rawValue
                result.errorMessage = error.message
            case .success(let target):
                let wanted = resource.configurationKeys.map(Set.init)
                result.configs = entries(for: target, state: state, request: request, version: context.version)
                    .filter { wanted?.contains($0.name) ?? true }
            }
            return result
        }
        return .respond(response)
    }

    static func errorResponse(to request: DescribeConfigsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DescribeConfigsResponse
    {
        DescribeConfigsResponse(
            results: request.resources.map {
                DescribeConfigsResponse.DescribeConfigsResult(
                    errorCode: error.rawValue, errorMessage: error.message, resourceType: $0.resourceType,
                    resourceName: $0.resourceName)
            })
    }

    /// Every config entry of a target at `version`.
    static func entries(
        for target: ConfigTarget, state: ClusterState, request: DescribeConfigsRequest, version: Int16
    ) -> [Entry] {
        let synonyms = version >= 1 && request.includeSynonyms
        let documentation = version >= 3 && request.includeDocumentation
        func entry(
            _ definition: DevConfigDefinition, value: String?, source: DevConfigSource,
            levels: [(name: String, value: String?, source: DevConfigSource)]
        ) -> Entry {
            var entry = Entry(name: definition.name, value: value, readOnly: definition.readOnly)
            entry.isSensitive = definition.type == .password
            if version == 0 {
                entry.isDefault = source == .defaultConfig
            } else {
                entry.configSource = source.rawValue
            }
            if synonyms {
                entry.synonyms = levels.map {
                    DescribeConfigsResponse.DescribeConfigsSynonym(
                        name: $0.name, value: $0.value, source: $0.source.rawValue)
                }
            }
            if version >= 3 { entry.configType = definition.type.rawValue }
            entry.documentation = documentation ? definition.documentation : nil
            return entry
        }
        switch target {
        case .topic(let name):
            let overrides = state.topics[name]?.configs ?? [:]
            return TopicConfigs.all.map { definition in
                var levels: [(name: String, value: String?, source: DevConfigSource)] = []
                if let value = overrides[definition.name] {
                    levels.append((definition.name, value, .dynamicTopicConfig))
                }
                levels.append((definition.brokerSynonym ?? definition.name, definition.defaultValue, .defaultConfig))
                return entry(definition, value: levels[0].value, source: levels[0].source, levels: levels)
            }
        case .broker(let id):
            let described =
                id == BrokerConfigs.clusterDefaultKey
                ? BrokerConfigs.describeClusterDefaults(state: state) : BrokerConfigs.describe(nodeID: id, state: state)
            return described.map { item in
                entry(
                    item.definition, value: item.value, source: item.source,
                    levels: item.synonyms.map { (item.definition.name, $0.value, $0.source) })
            }
        case .brokerLogger(let id):
            return BrokerLoggers.describe(broker: id, state: state).map { logger in
                let definition = DevConfigDefinition(
                    name: logger.name, type: .string, defaultValue: nil, documentation: "The level of this logger.")
                return entry(definition, value: logger.level, source: .dynamicBrokerLoggerConfig, levels: [])
            }
        }
    }
}
