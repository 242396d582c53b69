import KafkaNetwork
import KafkaProtocol

extension KafkaAdminClient {
    /// Describes the configs of topics, brokers and other resources, as the Java client's `describeConfigs`.
    ///
    /// The configs of a broker (``ConfigResource/broker(_:)``) are asked of that broker, since a
    /// broker answers only for itself; topics and the cluster-wide broker defaults
    /// (``ConfigResource/brokerDefaults``) are asked of any broker. Requests to different brokers
    /// run concurrently. Each resource gets its own result: an unknown topic fails with
    /// UNKNOWN_TOPIC_OR_PARTITION, a broker that cannot be reached fails its resources only.
    ///
    /// - Parameters:
    ///   - resources: the resources to describe.
    ///   - includeSynonyms: fills ``ConfigEntry/synonyms`` with the value at each level of
    ///     precedence (DescribeConfigs v1, Kafka 1.1).
    ///   - includeDocumentation: fills ``ConfigEntry/documentation`` (DescribeConfigs v3, Kafka 2.6).
    /// - Returns: per resource, its configs (sorted by name) or the error.
    public func describeConfigs(
        _ resources: [ConfigResource], includeSynonyms: Bool = false, includeDocumentation: Bool = false
    ) async -> [ConfigResource: Result<[ConfigEntry], AdminError>] {
        await perConfigResource(resources, api: .describeConfigs) { admin, destination, batch in
            let (response, version) = try await admin.sendConfigRequest(to: destination) { version in
                // Synonyms need v1 and documentation v3; older brokers answer without them.
                DescribeConfigsRequest(
                    resources: batch.map {
                        .init(resourceType: $0.type.rawValue, resourceName: $0.name, configurationKeys: nil)
                    },
                    includeSynonyms: includeSynonyms && version >= 1,
                    includeDocumentation: includeDocumentation && version >= 3)
            }
            var answers: [ConfigResource: Result<[ConfigEntry], AdminError>] = [:]
            for result in response.results {
                guard let type = ConfigResource.ResourceType(rawValue: result.resourceType) else {
                    // A broker that does not know a resource type answers it as UNKNOWN (0), as Kafka 2.3 does for
                    // BROKER_LOGGER (Kafka 2.4): the resource of that name still without an answer gets the error.
                    if let resource = batch.first(where: { $0.name == result.resourceName && answers[$0] == nil }),
                        result.errorCode != 0
                    {
                        let hint = resource.type == .brokerLogger ? "; broker loggers need Kafka 2.4 or later" : ""
                        answers[resource] = .failure(
                            AdminError(
                                code: KafkaErrorCode(rawValue: result.errorCode), api: .describeConfigs,
                                resourceKind: AdminError.ResourceKind(resource.type), resourceName: resource.name,
                                message: "\(result.errorMessage ?? "") (the broker does not know resource type "
                                    + "\(resource.type.rawValue)\(hint))"))
                    }
                    continue
                }
                let resource = ConfigResource(type: type, name: result.resourceName)
                guard answers[resource] == nil else { continue }
                if result.errorCode != 0 {
                    answers[resource] = .failure(
                        AdminError(
                            code: KafkaErrorCode(rawValue: result.errorCode), api: .describeConfigs,
                            resourceKind: AdminError.ResourceKind(type), resourceName: result.resourceName,
                            message: result.errorMessage))
                } else {
                    answers[resource] = .success(
                        result.configs.map {
                            Self.configEntry($0, version: version, documentation: includeDocumentation)
                        }
                        .sorted { $0.name < $1.name })
                }
            }
            return answers
        }
    }

    /// Changes configs by operations (set, delete, append to or subtract from a list), as the Java
    /// client's `incrementalAlterConfigs` (IncrementalAlterConfigs, Kafka 2.3).
    ///
    /// Configs the operations do not name keep their values. Broker resources go to that broker,
    /// the others to any broker. Each resource gets its own result.
    ///
    /// - Parameters:
    ///   - changes: per resource, the operations to apply.
    ///   - validateOnly: checks the changes without applying them.
    /// - Returns: per resource, success or the error (INVALID_CONFIG for an unknown name or a bad value).
    public func incrementalAlterConfigs(
        _ changes: [ConfigResource: [AlterConfigOp]], validateOnly: Bool = false
    ) async -> [ConfigResource: Result<Void, AdminError>] {
        await perConfigResource(Array(changes.keys), api: .incrementalAlterConfigs) { admin, destination, batch in
            let (response, _) = try await admin.sendConfigRequest(to: destination) { _ in
                IncrementalAlterConfigsRequest(
                    resources: batch.map { resource in
                        .init(
                            resourceType: resource.type.rawValue, resourceName: resource.name,
                            configs: (changes[resource] ?? []).map {
                                .init(name: $0.name, configOperation: $0.operationID, value: $0.value)
                            })
                    },
                    validateOnly: validateOnly)
            }
            return Self.alterResults(
                response.responses.map { ($0.resourceType, $0.resourceName, $0.errorCode, $0.errorMessage) },
                api: .incrementalAlterConfigs)
        }
    }

    /// Replaces the whole set of dynamic configs of resources, as the Java client's deprecated
    /// `alterConfigs` (AlterConfigs).
    ///
    /// Every override the new set does not name is removed. Prefer
    /// ``incrementalAlterConfigs(_:validateOnly:)``, which changes only what it names.
    ///
    /// - Parameters:
    ///   - configs: per resource, the complete set of overrides it should have.
    ///   - validateOnly: checks the configs without applying them.
    /// - Returns: per resource, success or the error.
    public func alterConfigs(
        _ configs: [ConfigResource: [String: String]], validateOnly: Bool = false
    ) async -> [ConfigResource: Result<Void, AdminError>] {
        await perConfigResource(Array(configs.keys), api: .alterConfigs) { admin, destination, batch in
            let (response, _) = try await admin.sendConfigRequest(to: destination) { _ in
                AlterConfigsRequest(
                    resources: batch.map { resource in
                        .init(
                            resourceType: resource.type.rawValue, resourceName: resource.name,
                            configs: (configs[resource] ?? [:]).sorted { $0.key < $1.key }.map {
                                .init(name: $0.key, value: $0.value)
                            })
                    },
                    validateOnly: validateOnly)
            }
            return Self.alterResults(
                response.responses.map { ($0.resourceType, $0.resourceName, $0.errorCode, $0.errorMessage) },
                api: .alterConfigs)
        }
    }

    // MARK: - Helpers

    /// Where requests about `resource` go: a broker's own configs and loggers to that broker,
    /// everything else to any broker.
    private static func destination(of resource: ConfigResource, api: KafkaAPIKey) -> Result<
        RequestDestination, AdminError
    > {
        switch resource.type {
        case .broker, .brokerLogger:
            if resource.type == .broker && resource.name.isEmpty { return .success(.anyBroker) }
            guard let id = Int32(resource.name), id >= 0 else {
                return .failure(
                    AdminError(
                        code: .invalidRequest, api: api, resourceKind: AdminError.ResourceKind(resource.type),
                        resourceName: resource.name, message: "a broker resource must be named by the broker id"))
            }
            return .success(.broker(id))
        case .topic, .clientMetrics, .group:
            return .success(.anyBroker)
        }
    }

    /// Runs `send` once per destination (concurrently) with the resources that go there, and
    /// collects one result per resource. A request that fails as a whole fails its resources.
    private func perConfigResource<Value: Sendable>(
        _ resources: [ConfigResource], api: KafkaAPIKey,
        _ send:
            @escaping @Sendable (KafkaAdminClient, RequestDestination, [ConfigResource]) async throws ->
            [ConfigResource:
            Result<Value, AdminError>]
    ) async -> [ConfigResource: Result<Value, AdminError>] {
        var results: [ConfigResource: Result<Value, AdminError>] = [:]
        var batches: [RequestDestination: [ConfigResource]] = [:]
        var seen = Set<ConfigResource>()
        for resource in resources where seen.insert(resource).inserted {
            switch Self.destination(of: resource, api: api) {
            case .success(let destination): batches[destination, default: []].append(resource)
            case .failure(let error): results[resource] = .failure(error)
            }
        }
        let answered = await withTaskGroup(of: [ConfigResource: Result<Value, AdminError>].self) { group in
            for (destination, batch) in batches {
                group.addTask {
                    var answers: [ConfigResource: Result<Value, AdminError>] = [:]
                    do {
                        let received = try await send(self, destination, batch)
                        for resource in batch {
                            answers[resource] =
                                received[resource]
                                ?? .failure(
                                    AdminError.missing(
                                        api: api, resourceKind: AdminError.ResourceKind(resource.type),
                                        resourceName: resource.name))
                        }
                    } catch {
                        for resource in batch {
                            answers[resource] = .failure(
                                AdminError(
                                    error, api: api, resourceKind: AdminError.ResourceKind(resource.type),
                                    resourceName: resource.name))
                        }
                    }
                    return answers
                }
            }
            var all: [ConfigResource: Result<Value, AdminError>] = [:]
            for await answers in group { all.merge(answers) { first, _ in first } }
            return all
        }
        results.merge(answered) { first, _ in first }
        return results
    }

    /// Sends a config request to `destination` with retries of retriable failures for up to
    /// `request.timeout.ms`.
    private func sendConfigRequest<R: KafkaRequest>(
        to destination: RequestDestination, _ build: @escaping @Sendable (Int16) -> R
    ) async throws -> (R.Response, Int16) where R.Response: Sendable {
        try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
            let connection = try await cluster.connection(to: destination, kind: .admin)
            return try await cluster.send(on: connection, build)
        }
    }

    /// Decodes one config of a DescribeConfigs response decoded at `version`.
    private static func configEntry(
        _ config: DescribeConfigsResponse.DescribeConfigsResourceResult, version: Int16, documentation: Bool
    ) -> ConfigEntry {
        let source: ConfigSource =
            version == 0 ? (config.isDefault ? .defaultConfig : .unknown) : ConfigSource(rawValue: config.configSource)
        return ConfigEntry(
            name: config.name, value: config.value, source: source,
            isDefault: version == 0 ? config.isDefault : source == .defaultConfig, isSensitive: config.isSensitive,
            isReadOnly: config.readOnly,
            synonyms: config.synonyms.map {
                ConfigEntry.Synonym(name: $0.name, value: $0.value, source: ConfigSource(rawValue: $0.source))
            },
            type: version >= 3 ? ConfigType(rawValue: config.configType) : .unknown,
            documentation: documentation && version >= 3 ? config.documentation : nil)
    }

    /// The per-resource results of an AlterConfigs or IncrementalAlterConfigs response.
    private static func alterResults(
        _ responses: [(type: Int8, name: String, errorCode: Int16, errorMessage: String?)], api: KafkaAPIKey
    ) -> [ConfigResource: Result<Void, AdminError>] {
        var answers: [ConfigResource: Result<Void, AdminError>] = [:]
        for response in responses {
            guard let type = ConfigResource.ResourceType(rawValue: response.type) else { continue }
            let resource = ConfigResource(type: type, name: response.name)
            guard answers[resource] == nil else { continue }
            answers[resource] = AdminError.outcome(
                response.errorCode, api: api, resourceKind: AdminError.ResourceKind(type), resourceName: response.name,
                message: response.errorMessage)
        }
        return answers
    }
}
