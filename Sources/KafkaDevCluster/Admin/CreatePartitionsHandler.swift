import KafkaProtocol

/// CreatePartitions (v0-3), accepted by any broker (KRaft brokers forward it to the controller).
///
/// Per topic: a name given twice is INVALID_REQUEST (`Duplicate topic name.`); an unknown topic
/// UNKNOWN_TOPIC_OR_PARTITION; a count not above the current one INVALID_PARTITIONS (Kafka's
/// messages); more than 10000 new partitions INVALID_PARTITIONS. Manual assignments must give
/// one replica list per new partition, each of distinct known brokers and as long as the existing
/// partitions' (INVALID_REPLICA_ASSIGNMENT). Without assignments new partitions are placed
/// round-robin over the live brokers with the topic's replication factor (more than live brokers:
/// INVALID_REPLICATION_FACTOR). With `validateOnly` nothing changes.
enum CreatePartitionsHandler: DevAPIHandler {
    static func handle(_ request: CreatePartitionsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<CreatePartitionsResponse>
    {
        let duplicates = ClusterState.duplicates(request.topics.map(\.name))
        var reported = Set<String>()
        var response = CreatePartitionsResponse()
        for topic in request.topics where reported.insert(topic.name).inserted {
            var result = CreatePartitionsResponse.CreatePartitionsTopicResult(name: topic.name)
            let error =
                duplicates.contains(topic.name)
                ? DevConfigError(code: .invalidRequest, message: "Duplicate topic name.")
                : !state.authorizes(context, DevAcls.Operation.alter, DevAcls.ResourceType.topic, topic.name)
                    ? DevConfigError(code: .topicAuthorizationFailed, message: "Authorization failed.")
                    : grow(topic, in: &state, validateOnly: request.validateOnly)
            if let error {
                result.errorCode = error.code.rawValue
                result.errorMessage = error.message
            }
            response.results.append(result)
        }
        return .respond(response)
    }

    static func errorResponse(to request: CreatePartitionsRequest, error: KafkaErrorCode, context: RequestContext)
        -> CreatePartitionsResponse
    {
        var names = Set<String>()
        return CreatePartitionsResponse(
            results: request.topics.filter { names.insert($0.name).inserted }.map {
                CreatePartitionsResponse.CreatePartitionsTopicResult(
                    name: $0.name, errorCode: error.rawValue, errorMessage: error.message)
            })
    }

    /// Adds the partitions of one topic (or only validates); nil on success.
    private static func grow(
        _ request: CreatePartitionsRequest.CreatePartitionsTopic, in state: inout ClusterState, validateOnly: Bool
    ) -> DevConfigError? {
        guard let topic = state.topics[request.name] else {
            return DevConfigError(
                code: .unknownTopicOrPartition, message: KafkaErrorCode.unknownTopicOrPartition.message)
        }
        let current = topic.partitions.count
        let wanted = Int(request.count)
        if wanted == current {
            return DevConfigError(code: .invalidPartitions, message: "Topic already has \(current) partition(s).")
        }
        if wanted < current {
            return DevConfigError(
                code: .invalidPartitions,
                message:
                    "The topic \(request.name) currently has \(current) partition(s); \(wanted) would not be an increase."
            )
        }
        let added = wanted - current
        if added > CreateTopicsHandler.maxPartitionsPerRequest {
            return DevConfigError(
                code: .invalidPartitions, message: "Excessively large number of partitions per request.")
        }
        let replicationFactor = topic.partitions.first?.replicas.count ?? 1
        let placement: [[Int32]]
        if let assignments = request.assignments {
            guard assignments.count == added else {
                return DevConfigError(
                    code: .invalidReplicaAssignment,
                    message:
                        "Attempted to add \(added) additional partition(s), but only \(assignments.count) assignment(s) were specified."
                )
            }
            for replicas in assignments.map(\.brokerIds) {
                if replicas.isEmpty {
                    return DevConfigError(
                        code: .invalidReplicaAssignment,
                        message: "The manual partition assignment includes an empty replica list.")
                }
                if let unknown = replicas.first(where: { state.broker($0) == nil }) {
                    return DevConfigError(
                        code: .invalidReplicaAssignment,
                        message:
                            "The manual partition assignment includes broker \(unknown), but no such broker is registered."
                    )
                }
                if Set(replicas).count != replicas.count {
                    return DevConfigError(
                        code: .invalidReplicaAssignment,
                        message: "The manual partition assignment includes a broker more than once: \(replicas).")
                }
                if replicas.count != replicationFactor {
                    return DevConfigError(
                        code: .invalidReplicaAssignment,
                        message:
                            "The manual partition assignment includes a partition with \(replicas.count) replica(s), "
                            + "but this is not consistent with previous partitions, which have \(replicationFactor) replica(s)."
                    )
                }
            }
            placement = assignments.map(\.brokerIds)
        } else {
            let live = state.liveBrokers.map(\.nodeID)
            guard replicationFactor <= live.count else {
                return DevConfigError(
                    code: .invalidReplicationFactor,
                    message:
                        "Unable to replicate the partition \(replicationFactor) time(s): only \(live.count) broker(s) are available."
                )
            }
            placement = Array(
                ClusterState.place(partitions: wanted, replicationFactor: replicationFactor, on: live, offset: 0)
                    .dropFirst(current))
        }
        if validateOnly { return nil }
        let newPartitions = placement.enumerated().map { offset, replicas in
            state.makePartition(Int32(current + offset), replicas: replicas)
        }
        state.topics[request.name]?.partitions.append(contentsOf: newPartitions)
        return nil
    }
}
