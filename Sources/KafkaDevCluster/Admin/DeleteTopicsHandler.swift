import KafkaProtocol

/// DeleteTopics (v0-6), accepted by any broker (KRaft brokers forward it to the controller).
///
/// v0-5 name topics in `topicNames`; v6+ in `topics`, each by name or by topic id (both or neither:
/// INVALID_REQUEST). A name or id given twice is INVALID_REQUEST (`Duplicate topic name.` /
/// `Duplicate topic id.`). Unknown names are UNKNOWN_TOPIC_OR_PARTITION, unknown ids
/// UNKNOWN_TOPIC_ID, invalid names INVALID_TOPIC_EXCEPTION; internal topics cannot be deleted
/// (INVALID_REQUEST). A deleted topic disappears from the cluster at once (`timeoutMs` is ignored).
///
/// Committed offsets of the topic are left to the group coordinator (Kafka drops them lazily when
/// the offsets expire), so a re-created topic of the same name does not see them cleared.
enum DeleteTopicsHandler: DevAPIHandler {
    static func handle(_ request: DeleteTopicsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DeleteTopicsResponse>
    {
        let version = context.version
        let targets: [DeleteTopicsRequest.DeleteTopicState] =
            version >= 6 ? request.topics : request.topicNames.map { .init(name: $0) }
        let duplicateNames = ClusterState.duplicates(targets.compactMap(\.name))
        let duplicateIDs = ClusterState.duplicates(
            targets.filter { $0.topicId != .zero }.map { "\($0.topicId.high)-\($0.topicId.low)" })
        var response = DeleteTopicsResponse()
        for target in targets {
            var result = DeleteTopicsResponse.DeletableTopicResult(name: target.name, topicId: target.topicId)
            let error: DevConfigError?
            if let name = target.name, target.topicId != .zero {
                error = DevConfigError(
                    code: .invalidRequest, message: "You may not specify both topic name and topic id.")
                result.name = name
            } else if let name = target.name {
                if duplicateNames.contains(name) {
                    error = DevConfigError(code: .invalidRequest, message: "Duplicate topic name.")
                } else {
                    error = delete(name, in: &state, result: &result, context: context)
                }
            } else if target.topicId != .zero {
                if duplicateIDs.contains("\(target.topicId.high)-\(target.topicId.low)") {
                    error = DevConfigError(code: .invalidRequest, message: "Duplicate topic id.")
                } else if let name = state.topicName(for: target.topicId) {
                    result.name = name
                    error = delete(name, in: &state, result: &result, context: context)
                } else {
                    error = DevConfigError(code: .unknownTopicId, message: KafkaErrorCode.unknownTopicId.message)
                }
            } else {
                error = DevConfigError(code: .invalidRequest, message: "Neither topic name nor id were specified.")
            }
            if let error {
                result.errorCode = error.code.rawValue
                result.errorMessage = version >= 5 ? error.message : nil
            }
            if version < 6 {
                result.name = result.name ?? ""
                result.topicId = .zero
            }
            response.responses.append(result)
        }
        return .respond(response)
    }

    static func errorResponse(to request: DeleteTopicsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DeleteTopicsResponse
    {
        let version = context.version
        let targets: [DeleteTopicsRequest.DeleteTopicState] =
            version >= 6 ? request.topics : request.topicNames.map { .init(name: $0) }
        return DeleteTopicsResponse(
            responses: targets.map {
                DeleteTopicsResponse.DeletableTopicResult(
                    name: version >= 6 ? $0.name : ($0.name ?? ""), topicId: version >= 6 ? $0.topicId : .zero,
                    errorCode: error.rawValue, errorMessage: version >= 5 ? error.message : nil)
            })
    }

    /// Deletes one topic by name; nil on success (the result gets the topic id).
    private static func delete(
        _ name: String, in state: inout ClusterState, result: inout DeleteTopicsResponse.DeletableTopicResult,
        context: RequestContext
    ) -> DevConfigError? {
        // With an authorizer: DELETE on the topic.
        if !state.authorizes(context, DevAcls.Operation.delete, DevAcls.ResourceType.topic, name) {
            return DevConfigError(code: .topicAuthorizationFailed, message: "Authorization failed.")
        }
        if let reason = ClusterState.invalidTopicNameReason(name) {
            return DevConfigError(code: .invalidTopicException, message: reason)
        }
        guard let topic = state.topics[name] else {
            return DevConfigError(
                code: .unknownTopicOrPartition, message: KafkaErrorCode.unknownTopicOrPartition.message)
        }
        if topic.isInternal {
            return DevConfigError(code: .invalidRequest, message: "Cannot delete internal topic \(name).")
        }
        result.topicId = topic.id
        state.topics[name] = nil
        return nil
    }
}
