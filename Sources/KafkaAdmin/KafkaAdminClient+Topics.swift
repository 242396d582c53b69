import KafkaNetwork
import KafkaProtocol

extension KafkaAdminClient {
    /// Creates topics, as the Java client's `createTopics`.
    ///
    /// The request goes to the controller; topics the broker answers NOT_CONTROLLER for are sent
    /// again after a metadata refresh. Each topic gets its own result: a name that already exists
    /// fails with TOPIC_ALREADY_EXISTS while the others are created. A name given twice is created
    /// once (the first ``NewTopic`` wins); an empty name fails with INVALID_TOPIC_EXCEPTION without
    /// being sent.
    ///
    /// - Parameters:
    ///   - topics: the topics to create.
    ///   - validateOnly: checks the request (names, configs, placement) without creating anything;
    ///     needs CreateTopics v1 (Kafka 0.10.2).
    /// - Returns: per topic name, what the broker reports about the topic, or the error.
    /// - Throws: ``AdminError`` naming the topics, with `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`, when the controller
    ///   cannot be reached within `request.timeout.ms`; when the task is cancelled, ``AdminError/isCancellation`` is
    ///   true.
    public func createTopics(
        _ topics: [NewTopic], validateOnly: Bool = false
    ) async throws(AdminError) -> [String: Result<CreatedTopic, AdminError>] {
        try await reportingAdminError(
            api: .createTopics, resourceKind: .topic, resourceName: AdminError.resourceNames(topics.map(\.name))
        ) {
            var results: [String: Result<CreatedTopic, AdminError>] = [:]
            var byName: [String: NewTopic] = [:]
            var names: [String] = []
            for topic in topics where byName[topic.name] == nil && results[topic.name] == nil {
                if topic.name.isEmpty {
                    results[topic.name] = .failure(Self.emptyTopicName(api: .createTopics))
                    continue
                }
                byName[topic.name] = topic
                names.append(topic.name)
            }
            guard !names.isEmpty else { return results }
            let timeoutMs = Int32(clamping: configuration.requestTimeout.clampedMilliseconds)
            let created = try await resultsRetryingNotController(names, api: .createTopics, resourceKind: .topic) {
                pending in
                let connection = try await cluster.connection(to: .controller, kind: .admin)
                let version = try connection.versions.version(for: CreateTopicsRequest.self)
                var answers: [String: Result<CreatedTopic, AdminError>] = [:]
                var request = CreateTopicsRequest(timeoutMs: timeoutMs, validateOnly: validateOnly)
                for name in pending {
                    guard let topic = byName[name] else { continue }
                    if validateOnly && version < 1 {
                        answers[name] = .failure(
                            AdminError(
                                code: .unsupportedVersion, api: .createTopics, resourceKind: .topic, resourceName: name,
                                message: "validateOnly needs CreateTopics v1; the broker supports only v0"))
                        continue
                    }
                    switch Self.creatableTopic(topic, version: version) {
                    case .success(let creatable): request.topics.append(creatable)
                    case .failure(let error): answers[name] = .failure(error)
                    }
                }
                guard !request.topics.isEmpty else { return answers }
                let (response, _) = try await cluster.send(on: connection) { _ in request }
                let sent = Set(request.topics.map(\.name))
                for result in response.topics where sent.contains(result.name) && answers[result.name] == nil {
                    answers[result.name] = Self.createdTopic(result, version: version)
                }
                return answers
            }
            results.merge(created) { first, _ in first }
            return results
        }
    }

    /// Deletes topics, as the Java client's `deleteTopics`.
    ///
    /// The request goes to the controller, with NOT_CONTROLLER handled as in
    /// ``createTopics(_:validateOnly:)``. An unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION
    /// without affecting the others.
    ///
    /// - Returns: per topic name, success or the error.
    /// - Throws: ``AdminError`` naming the topics, with `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`, when the controller
    ///   cannot be reached within `request.timeout.ms`; when the task is cancelled, ``AdminError/isCancellation`` is
    ///   true.
    public func deleteTopics(_ topics: [String]) async throws(AdminError) -> [String: Result<Void, AdminError>] {
        try await reportingAdminError(
            api: .deleteTopics, resourceKind: .topic, resourceName: AdminError.resourceNames(topics)
        ) {
            var results: [String: Result<Void, AdminError>] = [:]
            var names: [String] = []
            var seen = Set<String>()
            for name in topics where seen.insert(name).inserted {
                if name.isEmpty {
                    results[name] = .failure(Self.emptyTopicName(api: .deleteTopics))
                } else {
                    names.append(name)
                }
            }
            guard !names.isEmpty else { return results }
            let timeoutMs = Int32(clamping: configuration.requestTimeout.clampedMilliseconds)
            let deleted = try await resultsRetryingNotController(names, api: .deleteTopics, resourceKind: .topic) {
                pending in
                let connection = try await cluster.connection(to: .controller, kind: .admin)
                let (response, _) = try await cluster.send(on: connection) { version in
                    version >= 6
                        ? DeleteTopicsRequest(topics: pending.map { .init(name: $0) }, timeoutMs: timeoutMs)
                        : DeleteTopicsRequest(topicNames: pending, timeoutMs: timeoutMs)
                }
                var answers: [String: Result<Void, AdminError>] = [:]
                for result in response.responses {
                    guard let name = result.name, answers[name] == nil else { continue }
                    answers[name] = AdminError.outcome(
                        result.errorCode, api: .deleteTopics, resourceKind: .topic, resourceName: name,
                        message: result.errorMessage)
                }
                return answers
            }
            results.merge(deleted) { first, _ in first }
            return results
        }
    }

    /// Adds partitions to topics, as the Java client's `createPartitions`.
    ///
    /// A count that is not larger than the topic's current one fails that topic with
    /// INVALID_PARTITIONS (partitions cannot be removed); the other topics still grow.
    ///
    /// - Parameters:
    ///   - partitions: per topic, the total partition count wanted and optionally where the new
    ///     partitions go.
    ///   - validateOnly: checks the request without changing anything.
    /// - Returns: per topic name, success or the error.
    /// - Throws: ``AdminError`` naming the topics, with `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`, when the controller
    ///   cannot be reached within `request.timeout.ms`; when the task is cancelled, ``AdminError/isCancellation`` is
    ///   true.
    public func createPartitions(
        _ partitions: [String: NewPartitions], validateOnly: Bool = false
    ) async throws(AdminError) -> [String: Result<Void, AdminError>] {
        try await reportingAdminError(
            api: .createPartitions, resourceKind: .topic, resourceName: AdminError.resourceNames(Array(partitions.keys))
        ) {
            var results: [String: Result<Void, AdminError>] = [:]
            var names: [String] = []
            for name in partitions.keys.sorted() {
                if name.isEmpty {
                    results[name] = .failure(Self.emptyTopicName(api: .createPartitions))
                } else {
                    names.append(name)
                }
            }
            guard !names.isEmpty else { return results }
            let timeoutMs = Int32(clamping: configuration.requestTimeout.clampedMilliseconds)
            let grown = try await resultsRetryingNotController(names, api: .createPartitions, resourceKind: .topic) {
                pending in
                let connection = try await cluster.connection(to: .controller, kind: .admin)
                let request = CreatePartitionsRequest(
                    topics: pending.compactMap { name in
                        partitions[name].map {
                            CreatePartitionsRequest.CreatePartitionsTopic(
                                name: name, count: $0.totalCount,
                                assignments: $0.assignments?.map { .init(brokerIds: $0) })
                        }
                    },
                    timeoutMs: timeoutMs, validateOnly: validateOnly)
                let (response, _) = try await cluster.send(on: connection) { _ in request }
                var answers: [String: Result<Void, AdminError>] = [:]
                for result in response.results where answers[result.name] == nil {
                    answers[result.name] = AdminError.outcome(
                        result.errorCode, api: .createPartitions, resourceKind: .topic, resourceName: result.name,
                        message: result.errorMessage)
                }
                return answers
            }
            results.merge(grown) { first, _ in first }
            return results
        }
    }

    /// Grows topics to the given total partition counts (see ``createPartitions(_:validateOnly:)``).
    ///
    /// A count outside `Int32` fails its topic with INVALID_PARTITIONS without being sent.
    ///
    /// - Throws: as ``createPartitions(_:validateOnly:)``.
    public func createPartitions(
        _ totalCounts: [String: Int], validateOnly: Bool = false
    ) async throws(AdminError) -> [String: Result<Void, AdminError>] {
        try await reportingAdminError(
            api: .createPartitions, resourceKind: .topic,
            resourceName: AdminError.resourceNames(Array(totalCounts.keys))
        ) {
            var requested: [String: NewPartitions] = [:]
            var invalid: [String: Result<Void, AdminError>] = [:]
            for (name, count) in totalCounts {
                if let count = Int32(exactly: count) {
                    requested[name] = NewPartitions(totalCount: count)
                } else {
                    invalid[name] = .failure(
                        AdminError(
                            code: .invalidPartitions, api: .createPartitions, resourceKind: .topic, resourceName: name,
                            message: "\(count) is not a valid partition count"))
                }
            }
            var results = requested.isEmpty ? [:] : try await createPartitions(requested, validateOnly: validateOnly)
            results.merge(invalid) { first, _ in first }
            return results
        }
    }

    /// The names of the cluster's topics, sorted, as the Java client's `listTopics`.
    ///
    /// - Parameter includeInternal: includes internal topics (`__consumer_offsets`, `__transaction_state`).
    /// - Throws: ``AdminError`` for the cluster, with `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`, when no broker
    ///   answers within `request.timeout.ms`; when the task is cancelled, ``AdminError/isCancellation`` is true.
    public func listTopics(includeInternal: Bool = false) async throws(AdminError) -> [String] {
        try await reportingAdminError(api: .metadata, resourceKind: .cluster, resourceName: "") {
            let metadata = try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                let connection = try await cluster.connection(to: .anyBroker, kind: .admin)
                let (response, _) = try await cluster.send(on: connection) { version in
                    // Every topic: a null list from v1, an empty one at v0.
                    MetadataRequest(topics: version >= 1 ? nil : [], allowAutoTopicCreation: version < 4)
                }
                try response.requireBrokers(from: connection.address)
                return ClusterMetadata(response: response)
            }
            return metadata.topics.values.filter { includeInternal || !$0.isInternal }.map(\.name).sorted()
        }
    }

    /// Describes topics: their partitions with leader, replicas, in-sync and offline replicas, as
    /// the Java client's `describeTopics`.
    ///
    /// An unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION without affecting the others (the
    /// request never creates topics, from Metadata v4, Kafka 0.11).
    ///
    /// - Returns: per topic name, its description or the error.
    /// - Throws: ``AdminError`` naming the topics, with `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`, when no broker
    ///   answers within `request.timeout.ms`; when the task is cancelled, ``AdminError/isCancellation`` is true.
    public func describeTopics(_ topics: [String]) async throws(AdminError) -> [String: Result<
        TopicDescription, AdminError
    >] {
        try await reportingAdminError(
            api: .metadata, resourceKind: .topic, resourceName: AdminError.resourceNames(topics)
        ) {
            var results: [String: Result<TopicDescription, AdminError>] = [:]
            var names: [String] = []
            var seen = Set<String>()
            for name in topics where seen.insert(name).inserted {
                if name.isEmpty {
                    results[name] = .failure(Self.emptyTopicName(api: .metadata))
                } else {
                    names.append(name)
                }
            }
            guard !names.isEmpty else { return results }
            let metadata = try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                let connection = try await cluster.connection(to: .anyBroker, kind: .admin)
                let (response, _) = try await cluster.send(on: connection) { version in
                    // Before v4 the field does not exist (and brokers may auto-create the topics).
                    MetadataRequest(topics: names.map { .init(name: $0) }, allowAutoTopicCreation: version < 4)
                }
                try response.requireBrokers(from: connection.address)
                return ClusterMetadata(response: response)
            }
            for name in names {
                guard let topic = metadata.topics[name] else {
                    results[name] = .failure(
                        AdminError.missing(api: .metadata, resourceKind: .topic, resourceName: name))
                    continue
                }
                if let error = topic.error {
                    results[name] = .failure(
                        AdminError(code: error, api: .metadata, resourceKind: .topic, resourceName: name))
                    continue
                }
                results[name] = .success(
                    TopicDescription(
                        name: name, topicID: topic.topicID, isInternal: topic.isInternal,
                        partitions: topic.partitions))
            }
            return results
        }
    }

    // MARK: - Helpers

    private static func emptyTopicName(api: KafkaAPIKey) -> AdminError {
        AdminError(
            code: .invalidTopicException, api: api, resourceKind: .topic, resourceName: "",
            message: "a topic name must not be empty")
    }

    /// The CreateTopics entry of `topic` at `version`, or why it cannot be sent.
    private static func creatableTopic(
        _ topic: NewTopic, version: Int16
    ) -> Result<CreateTopicsRequest.CreatableTopic, AdminError> {
        var creatable = CreateTopicsRequest.CreatableTopic(
            name: topic.name, numPartitions: -1, replicationFactor: -1,
            configs: topic.configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) })
        if let assignment = topic.replicaAssignment {
            creatable.assignments = assignment.sorted { $0.key < $1.key }.map {
                .init(partitionIndex: $0.key, brokerIds: $0.value)
            }
            return .success(creatable)
        }
        if (topic.partitions == nil || topic.replicationFactor == nil) && version < 4 {
            return .failure(
                AdminError(
                    code: .unsupportedVersion, api: .createTopics, resourceKind: .topic, resourceName: topic.name,
                    message:
                        "the broker default partition count and replication factor need CreateTopics v4; "
                        + "the broker supports v\(version): give both"))
        }
        creatable.numPartitions = topic.partitions ?? -1
        creatable.replicationFactor = topic.replicationFactor ?? -1
        return .success(creatable)
    }

    /// The result of one topic of a CreateTopics response decoded at `version`.
    private static func createdTopic(
        _ result: CreateTopicsResponse.CreatableTopicResult, version: Int16
    ) -> Result<CreatedTopic, AdminError> {
        guard result.errorCode == 0 else {
            return .failure(
                AdminError(
                    code: KafkaErrorCode(rawValue: result.errorCode), api: .createTopics, resourceKind: .topic,
                    resourceName: result.name, message: result.errorMessage))
        }
        var created = CreatedTopic()
        if version >= 7, result.topicId != .zero { created.topicID = result.topicId }
        guard version >= 5 else { return .success(created) }
        if result.numPartitions >= 0 { created.partitions = result.numPartitions }
        if result.replicationFactor >= 0 { created.replicationFactor = result.replicationFactor }
        if result.topicConfigErrorCode == 0, let configs = result.configs {
            created.configs = configs.map {
                let source = ConfigSource(rawValue: $0.configSource)
                return ConfigEntry(
                    name: $0.name, value: $0.value, source: source, isDefault: source == .defaultConfig,
                    isSensitive: $0.isSensitive, isReadOnly: $0.readOnly)
            }
        }
        return .success(created)
    }
}
