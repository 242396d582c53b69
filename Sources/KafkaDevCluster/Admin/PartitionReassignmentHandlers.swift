import KafkaProtocol

/// AlterPartitionReassignments (v0, KIP-455), accepted by any broker (KRaft brokers forward it to the controller).
///
/// Each partition on its own: an unknown partition is UNKNOWN_TOPIC_OR_PARTITION; a target replica list that is
/// empty, names a broker twice or names a broker the cluster does not have is INVALID_REPLICA_ASSIGNMENT; a null
/// target cancels the running reassignment (NO_REASSIGNMENT_IN_PROGRESS when none runs). A partition listed twice
/// is answered for its first entry. The reassignment then runs as ``Reassignment`` describes; `timeoutMs` is
/// ignored (the answer comes at once, as Kafka's does once the controller has recorded the change).
enum AlterPartitionReassignmentsHandler: DevAPIHandler {
    static func handle(
        _ request: AlterPartitionReassignmentsRequest, in state: inout ClusterState, context: RequestContext
    ) -> DevReply<AlterPartitionReassignmentsResponse> {
        var response = AlterPartitionReassignmentsResponse(errorMessage: nil)
        var seen = Set<String>()
        for topic in request.topics {
            var answer = AlterPartitionReassignmentsResponse.ReassignableTopicResponse(name: topic.name)
            for partition in topic.partitions where seen.insert("\(partition.partitionIndex) \(topic.name)").inserted {
                let outcome = state.reassign(
                    topic.name, partition.partitionIndex, to: partition.replicas, now: context.now)
                answer.partitions.append(
                    .init(
                        partitionIndex: partition.partitionIndex, errorCode: outcome.code.rawValue,
                        errorMessage: outcome.code == .none ? nil : outcome.message))
            }
            response.responses.append(answer)
        }
        return .respond(response)
    }

    static func errorResponse(
        to request: AlterPartitionReassignmentsRequest, error: KafkaErrorCode, context: RequestContext
    ) -> AlterPartitionReassignmentsResponse {
        AlterPartitionReassignmentsResponse(errorCode: error.rawValue, errorMessage: error.message)
    }
}

/// ListPartitionReassignments (v0): the running reassignments (every one for a null topic list, else those of the
/// named partitions that have one), each with its replicas (target first, then the ones being removed), the
/// replicas being added and those being removed.
enum ListPartitionReassignmentsHandler: DevAPIHandler {
    static func handle(
        _ request: ListPartitionReassignmentsRequest, in state: inout ClusterState, context: RequestContext
    ) -> DevReply<ListPartitionReassignmentsResponse> {
        state.advanceReassignments(now: context.now)
        var wanted: [String: Set<Int32>]?
        if let topics = request.topics {
            var named: [String: Set<Int32>] = [:]
            for topic in topics { named[topic.name, default: []].formUnion(topic.partitionIndexes) }
            wanted = named
        }
        var response = ListPartitionReassignmentsResponse(errorMessage: nil)
        for name in state.reassigning.keys.sorted() {
            guard let topic = state.topics[name] else { continue }
            var ongoing = ListPartitionReassignmentsResponse.OngoingTopicReassignment(name: name)
            for partition in topic.partitions {
                guard let reassignment = partition.reassignment,
                    wanted.map({ $0[name]?.contains(partition.index) ?? false }) ?? true
                else { continue }
                ongoing.partitions.append(
                    .init(
                        partitionIndex: partition.index, replicas: partition.replicas,
                        addingReplicas: reassignment.adding, removingReplicas: reassignment.removing))
            }
            if !ongoing.partitions.isEmpty { response.topics.append(ongoing) }
        }
        return .respond(response)
    }

    static func errorResponse(
        to request: ListPartitionReassignmentsRequest, error: KafkaErrorCode, context: RequestContext
    ) -> ListPartitionReassignmentsResponse {
        ListPartitionReassignmentsResponse(errorCode: error.rawValue, errorMessage: error.message)
    }
}
