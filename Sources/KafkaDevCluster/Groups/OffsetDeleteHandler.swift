import KafkaProtocol

/// OffsetDelete v0: deletes committed offsets of a group (KIP-496). An Empty group loses every
/// requested offset; a consumer group with members only those of topics none of its members
/// subscribes to (GROUP_SUBSCRIBED_TO_TOPIC for the others; when the subscriptions cannot be read
/// no topic counts as subscribed, as Kafka); a non-empty group of another protocol type gets
/// NON_EMPTY_GROUP; an unknown group GROUP_ID_NOT_FOUND.
enum OffsetDeleteHandler: DevAPIHandler {
    static func handle(_ request: OffsetDeleteRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<OffsetDeleteResponse>
    {
        if request.groupId.isEmpty {
            return .respond(OffsetDeleteResponse(errorCode: KafkaErrorCode.invalidGroupId.rawValue))
        }
        guard state.coordinates(group: request.groupId, context: context) else {
            return .respond(OffsetDeleteResponse(errorCode: KafkaErrorCode.notCoordinator.rawValue))
        }
        guard let group = state.groups.groups[request.groupId], group.state != .dead else {
            return .respond(OffsetDeleteResponse(errorCode: KafkaErrorCode.groupIdNotFound.rawValue))
        }
        let subscribed: Set<String>
        if group.state == .empty {
            subscribed = []
        } else if group.protocolType == "consumer" {
            subscribed = group.subscribedTopics() ?? []
        } else {
            return .respond(OffsetDeleteResponse(errorCode: KafkaErrorCode.nonEmptyGroup.rawValue))
        }
        var response = OffsetDeleteResponse()
        for topic in request.topics {
            var partitions: [OffsetDeleteResponse.OffsetDeleteResponsePartition] = []
            for partition in topic.partitions {
                let error: KafkaErrorCode
                if state.partition(topic.name, partition.partitionIndex) == nil {
                    error = .unknownTopicOrPartition
                } else if subscribed.contains(topic.name) {
                    error = .groupSubscribedToTopic
                } else {
                    error = .none
                    state.groups.groups[request.groupId]?.offsets[topic.name, partition.partitionIndex] = nil
                }
                partitions.append(.init(partitionIndex: partition.partitionIndex, errorCode: error.rawValue))
            }
            response.topics.append(.init(name: topic.name, partitions: partitions))
        }
        return .respond(response)
    }

    static func errorResponse(to request: OffsetDeleteRequest, error: KafkaErrorCode, context: RequestContext)
        -> OffsetDeleteResponse
    {
        OffsetDeleteResponse(errorCode: error.rawValue)
    }
}
