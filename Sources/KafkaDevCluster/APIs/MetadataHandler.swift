import KafkaProtocol

/// Metadata: live brokers, the controller, topics with leaders, epochs, replicas and ISR; creates
/// unknown topics when auto-creation is on and the request allows it.
///
/// As Kafka, a topic created by this request is answered LEADER_NOT_AVAILABLE (its leaders are being elected);
/// the next request describes it.
enum MetadataHandler: DevAPIHandler {
    static func handle(_ request: MetadataRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<MetadataResponse>
    {
        let version = context.version
        if let index = state.brokers.firstIndex(where: { $0.nodeID == context.brokerID }),
            state.brokers[index].emptyMetadataAnswers > 0
        {
            // A broker that has just started knows nothing yet: no broker, no controller, every topic unknown.
            state.brokers[index].emptyMetadataAnswers -= 1
            var empty = MetadataResponse()
            empty.clusterId = version >= 2 ? state.clusterID : nil
            empty.topics = (request.topics ?? []).map { entry in
                var topic = MetadataResponse.MetadataResponseTopic()
                topic.name = entry.name
                topic.errorCode = KafkaErrorCode.unknownTopicOrPartition.rawValue
                return topic
            }
            return .respond(empty)
        }
        var response = baseResponse(state, version: version)
        let requested: [MetadataRequest.MetadataRequestTopic]?
        if version == 0, request.topics?.isEmpty ?? true {
            requested = nil  // v0: an empty list means every topic.
        } else {
            requested = request.topics
        }
        guard let requested else {
            // With an authorizer, topics the principal may not describe are left out.
            response.topics = state.topics.keys.sorted().filter { state.mayDescribeTopic(context, $0) }.compactMap {
                name in state.topics[name].map { describe($0, state: state, version: version) }
            }
            return .respond(response)
        }
        let mayCreate = state.autoCreateTopics && (version < 4 || request.allowAutoTopicCreation)
        for entry in requested {
            var name = entry.name
            if name == nil || name?.isEmpty == true, entry.topicId != .zero {
                guard let known = state.topicName(for: entry.topicId) else {
                    var unknown = MetadataResponse.MetadataResponseTopic()
                    unknown.errorCode = KafkaErrorCode.unknownTopicId.rawValue
                    unknown.topicId = entry.topicId
                    unknown.name = version >= 12 ? nil : ""
                    response.topics.append(unknown)
                    continue
                }
                name = known
            }
            let topicName = name ?? ""
            if !state.mayDescribeTopic(context, topicName) {
                var denied = MetadataResponse.MetadataResponseTopic()
                denied.name = topicName
                if version >= 10 { denied.topicId = entry.topicId }
                denied.errorCode = KafkaErrorCode.topicAuthorizationFailed.rawValue
                response.topics.append(denied)
                continue
            }
            if let topic = state.topics[topicName] {
                response.topics.append(describe(topic, state: state, version: version))
                continue
            }
            var missing = MetadataResponse.MetadataResponseTopic()
            missing.name = topicName
            if ClusterState.invalidTopicNameReason(topicName) != nil {
                missing.errorCode = KafkaErrorCode.invalidTopicException.rawValue
            } else if mayCreate
                && !(state.authorizesCluster(context, DevAcls.Operation.create)
                    || state.authorizes(context, DevAcls.Operation.create, DevAcls.ResourceType.topic, topicName))
            {
                missing.errorCode = KafkaErrorCode.topicAuthorizationFailed.rawValue
            } else if mayCreate {
                let replication = min(state.defaultReplicationFactor, Int16(clamping: state.liveBrokers.count))
                let created = state.createTopic(
                    topicName, partitions: state.defaultPartitions, replicationFactor: max(replication, 1))
                missing.errorCode =
                    created.code == .none ? KafkaErrorCode.leaderNotAvailable.rawValue : created.code.rawValue
            } else {
                missing.errorCode = KafkaErrorCode.unknownTopicOrPartition.rawValue
            }
            response.topics.append(missing)
        }
        return .respond(response)
    }

    static func errorResponse(to request: MetadataRequest, error: KafkaErrorCode, context: RequestContext)
        -> MetadataResponse
    {
        MetadataResponse(
            brokers: [], controllerId: -1,
            topics: (request.topics ?? []).map {
                MetadataResponse.MetadataResponseTopic(
                    errorCode: error.rawValue, name: $0.name ?? (context.version >= 12 ? nil : ""),
                    topicId: $0.topicId)
            })
    }

    static func baseResponse(_ state: ClusterState, version: Int16) -> MetadataResponse {
        var response = MetadataResponse()
        response.brokers = state.liveBrokers.map {
            MetadataResponse.MetadataResponseBroker(nodeId: $0.nodeID, host: $0.host, port: $0.port, rack: $0.rack)
        }
        response.clusterId = version >= 2 ? state.clusterID : nil
        response.controllerId = version >= 1 ? state.controllerID : -1
        return response
    }

    static func describe(_ topic: ClusterState.Topic, state: ClusterState, version: Int16)
        -> MetadataResponse.MetadataResponseTopic
    {
        var described = MetadataResponse.MetadataResponseTopic()
        described.name = topic.name
        described.topicId = version >= 10 ? topic.id : .zero
        described.isInternal = version >= 1 ? topic.isInternal : false
        described.partitions = topic.partitions.map { partition in
            var entry = MetadataResponse.MetadataResponsePartition()
            entry.partitionIndex = partition.index
            entry.leaderId = partition.leader
            entry.leaderEpoch = version >= 7 ? partition.leaderEpoch : -1
            entry.replicaNodes = partition.replicas
            entry.isrNodes = partition.isr
            entry.offlineReplicas = version >= 5 ? partition.replicas.filter { !state.isUp($0) } : []
            entry.errorCode = partition.leader == -1 ? KafkaErrorCode.leaderNotAvailable.rawValue : 0
            return entry
        }
        return described
    }
}
