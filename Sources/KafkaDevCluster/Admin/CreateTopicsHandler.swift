import KafkaProtocol

/// CreateTopics (v0-7), accepted by any broker: Kafka sends it to the controller, but KRaft
/// brokers forward it there, so modern clients send it anywhere.
///
/// Checks in Kafka's (KRaft) order, each topic on its own:
/// 1. a name given twice in the request: INVALID_REQUEST (`Duplicate topic name.`), once per name;
/// 2. the name (INVALID_TOPIC_EXCEPTION, also for a name that collides with an existing one when
///    '.' and '_' are exchanged), then existence (TOPIC_ALREADY_EXISTS);
/// 3. the configs against ``TopicConfigs`` (unknown name or bad value: INVALID_CONFIG);
/// 4. manual assignments (numPartitions and replicationFactor must then be -1, otherwise
///    INVALID_REQUEST; partitions 0...n-1 with distinct known brokers, otherwise
///    INVALID_REPLICA_ASSIGNMENT), or numPartitions/replicationFactor, where -1 means the cluster
///    defaults from v4 (INVALID_PARTITIONS / INVALID_REPLICATION_FACTOR otherwise; more replicas
///    than live brokers is INVALID_REPLICATION_FACTOR). More than 10000 partitions in one topic are
///    refused with INVALID_PARTITIONS, like Kafka's limit on records per controller operation.
///
/// With `validateOnly` (v1+) nothing is created and the topic id is zero. From v5 the answer
/// carries the partition count, replication factor and effective configs (`topicConfigErrorCode`
/// stays 0: configs are always returned). `timeoutMs` is ignored: creation is immediate.
enum CreateTopicsHandler: DevAPIHandler {
    /// The most partitions one request may create for a topic.
    static let maxPartitionsPerRequest = 10_000

    static func handle(_ request: CreateTopicsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<CreateTopicsResponse>
    {
        let version = context.version
        let duplicates = ClusterState.duplicates(request.topics.map(\.name))
        var reported = Set<String>()
        var response = CreateTopicsResponse()
        for topic in request.topics where reported.insert(topic.name).inserted {
            var result = CreateTopicsResponse.CreatableTopicResult(name: topic.name, errorMessage: nil)
            let outcome: DevConfigError?
            if duplicates.contains(topic.name) {
                outcome = DevConfigError(code: .invalidRequest, message: "Duplicate topic name.")
            } else if !state.authorizesCluster(context, DevAcls.Operation.create)
                && !state.authorizes(context, DevAcls.Operation.create, DevAcls.ResourceType.topic, topic.name)
            {
                // With an authorizer: CREATE on the cluster or on the topic.
                outcome = DevConfigError(
                    code: .topicAuthorizationFailed, message: "Authorization failed.")
            } else {
                outcome = create(
                    topic, in: &state, version: version, validateOnly: version >= 1 && request.validateOnly)
            }
            if let outcome {
                result.errorCode = outcome.code.rawValue
                result.errorMessage = version >= 1 ? outcome.message : nil
            } else {
                describe(&result, state: state, version: version, validated: topic)
            }
            response.topics.append(result)
        }
        return .respond(response)
    }

    static func errorResponse(to request: CreateTopicsRequest, error: KafkaErrorCode, context: RequestContext)
        -> CreateTopicsResponse
    {
        var names = Set<String>()
        return CreateTopicsResponse(
            topics: request.topics.filter { names.insert($0.name).inserted }.map {
                CreateTopicsResponse.CreatableTopicResult(
                    name: $0.name, errorCode: error.rawValue, errorMessage: context.version >= 1 ? error.message : nil)
            })
    }

    /// Creates (or only validates) one topic; nil on success.
    private static func create(
        _ topic: CreateTopicsRequest.CreatableTopic, in state: inout ClusterState, version: Int16, validateOnly: Bool
    ) -> DevConfigError? {
        let name = topic.name
        if let reason = ClusterState.invalidTopicNameReason(name) {
            return DevConfigError(code: .invalidTopicException, message: reason)
        }
        if state.topics[name] != nil {
            return DevConfigError(code: .topicAlreadyExists, message: "Topic '\(name)' already exists.")
        }
        if name.contains(".") || name.contains("_") {
            let normalized = collisionKey(name)
            if let other = state.topics.keys.first(where: { collisionKey($0) == normalized }) {
                return DevConfigError(
                    code: .invalidTopicException, message: "Topic '\(name)' collides with existing topic: \(other)")
            }
        }
        let configs: [String: String]
        switch TopicConfigs.validate(topic.configs.map { ($0.name, $0.value) }) {
        case .success(let valid): configs = valid
        case .failure(let error): return error
        }
        var assignment: [[Int32]]? = nil
        var partitions = topic.numPartitions
        var replication = topic.replicationFactor
        if !topic.assignments.isEmpty {
            if partitions != -1 {
                return DevConfigError(
                    code: .invalidRequest,
                    message: "A manual partition assignment was specified, but numPartitions was not set to -1.")
            }
            if replication != -1 {
                return DevConfigError(
                    code: .invalidRequest,
                    message: "A manual partition assignment was specified, but replicationFactor was not set to -1.")
            }
            guard topic.assignments.count <= maxPartitionsPerRequest else {
                return DevConfigError(
                    code: .invalidPartitions, message: "Excessively large number of partitions per request.")
            }
            let sorted = topic.assignments.sorted { $0.partitionIndex < $1.partitionIndex }
            for (expected, entry) in sorted.enumerated() where Int(entry.partitionIndex) != expected {
                return DevConfigError(
                    code: .invalidReplicaAssignment,
                    message:
                        "Partitions should be numbered from 0 without gaps; found partition \(entry.partitionIndex).")
            }
            let width = sorted.first?.brokerIds.count ?? 0
            if let odd = sorted.first(where: { $0.brokerIds.count != width }) {
                return DevConfigError(
                    code: .invalidReplicaAssignment,
                    message:
                        "The manual partition assignment includes a partition with \(odd.brokerIds.count) replica(s), "
                        + "but this is not consistent with previous partitions, which have \(width) replica(s).")
            }
            assignment = sorted.map(\.brokerIds)
        } else {
            if partitions == -1 && version >= 4 { partitions = state.defaultPartitions }
            if replication == -1 && version >= 4 { replication = state.defaultReplicationFactor }
            if partitions <= 0 {
                return DevConfigError(
                    code: .invalidPartitions, message: "Number of partitions was set to an invalid non-positive value.")
            }
            if replication <= 0 {
                return DevConfigError(
                    code: .invalidReplicationFactor,
                    message: "Replication factor must be larger than 0, or -1 to use the default value.")
            }
            if Int(partitions) > maxPartitionsPerRequest {
                return DevConfigError(
                    code: .invalidPartitions, message: "Excessively large number of partitions per request.")
            }
        }
        let created = state.createTopic(
            name, partitions: partitions, replicationFactor: replication, assignment: assignment, configs: configs,
            validateOnly: validateOnly)
        guard created.code == .none else {
            return DevConfigError(code: created.code, message: created.message ?? created.code.message)
        }
        return nil
    }

    /// Fills a successful result: topic id (v7+), and from v5 the partition count, replication
    /// factor and effective configs (of the created topic, or of the validated request).
    private static func describe(
        _ result: inout CreateTopicsResponse.CreatableTopicResult, state: ClusterState, version: Int16,
        validated request: CreateTopicsRequest.CreatableTopic
    ) {
        let topic = state.topics[request.name]
        if version >= 7 { result.topicId = topic?.id ?? .zero }
        guard version >= 5 else { return }
        let overrides: [String: String]
        if let topic {
            result.numPartitions = Int32(clamping: topic.partitions.count)
            result.replicationFactor = Int16(clamping: topic.partitions.first?.replicas.count ?? 0)
            overrides = topic.configs
        } else {
            // validateOnly: what would have been created.
            let manual = !request.assignments.isEmpty
            result.numPartitions =
                manual
                ? Int32(clamping: request.assignments.count)
                : (request.numPartitions == -1 ? state.defaultPartitions : request.numPartitions)
            result.replicationFactor =
                manual
                ? Int16(clamping: request.assignments.first?.brokerIds.count ?? 0)
                : (request.replicationFactor == -1 ? state.defaultReplicationFactor : request.replicationFactor)
            overrides = (try? TopicConfigs.validate(request.configs.map { ($0.name, $0.value) }).get()) ?? [:]
        }
        result.configs = TopicConfigs.all.map { definition in
            let value = overrides[definition.name]
            return CreateTopicsResponse.CreatableTopicConfigs(
                name: definition.name, value: value ?? definition.defaultValue, readOnly: false,
                configSource: (value == nil ? DevConfigSource.defaultConfig : .dynamicTopicConfig).rawValue,
                isSensitive: false)
        }
    }

    /// Kafka's collision rule: '.' and '_' are the same in metric names.
    private static func collisionKey(_ name: String) -> String {
        String(name.map { $0 == "." ? "_" : $0 })
    }
}
