import KafkaProtocol

/// ElectLeaders (v0 = Kafka 2.2/2.3's ElectPreferredLeaders, v1–v2 with an election type), accepted by any broker.
///
/// Per partition, as Kafka's controller decides:
/// - PREFERRED (type 0, and every v0 request): ELECTION_NOT_NEEDED when the first replica already leads (NONE at v0,
///   as Kafka answers v0 clients); otherwise the first replica becomes leader when it is up and in the ISR (NONE,
///   leader epoch bumped), else PREFERRED_LEADER_NOT_AVAILABLE.
/// - UNCLEAN (type 1): ELECTION_NOT_NEEDED when the partition has a leader; otherwise the first live replica in the
///   ISR, else the first live replica out of it (which becomes the whole ISR), leads; ELIGIBLE_LEADERS_NOT_AVAILABLE
///   when no replica is up.
/// - UNKNOWN_TOPIC_OR_PARTITION for a partition the cluster does not have.
///
/// A null partition list means every partition; the answer then leaves out those that needed no election (v1+) and
/// lists every partition at v0, as Kafka 2.3 did. Another election type is INVALID_REQUEST for the whole request.
enum ElectLeadersHandler: DevAPIHandler {
    static func handle(_ request: ElectLeadersRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<ElectLeadersResponse>
    {
        let version = context.version
        let type = version >= 1 ? request.electionType : 0
        var response = ElectLeadersResponse()
        guard type == 0 || type == 1 else {
            response.errorCode = KafkaErrorCode.invalidRequest.rawValue
            return .respond(response)
        }
        var requested: [(topic: String, partitions: [Int32])] = []
        let all = request.topicPartitions == nil
        if let topics = request.topicPartitions {
            var seen = Set<String>()
            for topic in topics {
                requested.append(
                    (topic.topic, topic.partitions.filter { seen.insert("\($0) \(topic.topic)").inserted }))
            }
        } else {
            requested = state.topics.keys.sorted().compactMap { name in
                state.topics[name].map { (name, $0.partitions.map(\.index)) }
            }
        }
        var results: [String: ElectLeadersResponse.ReplicaElectionResult] = [:]
        var order: [String] = []
        for (topic, partitions) in requested {
            if results[topic] == nil {
                results[topic] = .init(topic: topic)
                order.append(topic)
            }
            for index in partitions {
                var code = elect(topic, index, unclean: type == 1, in: &state)
                if code == .electionNotNeeded {
                    if all && version >= 1 { continue }
                    if version == 0 { code = .none }
                }
                results[topic]?.partitionResult.append(
                    .init(
                        partitionId: index, errorCode: code.rawValue, errorMessage: code == .none ? nil : code.message))
            }
        }
        response.replicaElectionResults = order.compactMap { results[$0] }
        return .respond(response)
    }

    /// Runs one election and returns its outcome.
    static func elect(_ topic: String, _ index: Int32, unclean: Bool, in state: inout ClusterState) -> KafkaErrorCode {
        guard var partition = state.partition(topic, index) else { return .unknownTopicOrPartition }
        let newLeader: Int32
        if unclean {
            if partition.leader != -1 && state.isUp(partition.leader) { return .electionNotNeeded }
            let live = partition.replicas.filter { state.isUp($0) }
            guard let chosen = live.first(where: { partition.isr.contains($0) }) ?? live.first else {
                return .eligibleLeadersNotAvailable
            }
            newLeader = chosen
            if !partition.isr.contains(chosen) { partition.isr = [chosen] }
        } else {
            guard let preferred = partition.replicas.first else { return .preferredLeaderNotAvailable }
            if partition.leader == preferred { return .electionNotNeeded }
            guard state.isUp(preferred), partition.isr.contains(preferred) else { return .preferredLeaderNotAvailable }
            newLeader = preferred
        }
        partition.leader = newLeader
        partition.leaderEpoch &+= 1
        state.refreshLeadership(&partition)
        state.replacePartition(topic, index, with: partition)
        return .none
    }

    static func errorResponse(to request: ElectLeadersRequest, error: KafkaErrorCode, context: RequestContext)
        -> ElectLeadersResponse
    {
        if context.version >= 1 { return ElectLeadersResponse(errorCode: error.rawValue) }
        return ElectLeadersResponse(
            replicaElectionResults: (request.topicPartitions ?? []).map { topic in
                .init(
                    topic: topic.topic,
                    partitionResult: topic.partitions.map {
                        .init(partitionId: $0, errorCode: error.rawValue, errorMessage: error.message)
                    })
            })
    }
}
