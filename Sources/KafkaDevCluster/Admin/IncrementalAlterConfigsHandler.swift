import KafkaProtocol

/// IncrementalAlterConfigs (v0-1), accepted by any broker (KRaft brokers forward topic changes to
/// the controller): SET (0), DELETE (1), APPEND (2) and SUBTRACT (3) on TOPIC and BROKER
/// resources (BROKER names: this broker's id, or empty for the cluster-wide defaults).
///
/// APPEND and SUBTRACT apply to list configs (such as `cleanup.policy`) only, otherwise
/// INVALID_CONFIG; see
/// ``ClusterState/incrementalAlterConfigs(type:name:updates:validateOnly:broker:)`` for the other
/// rules. BROKER_LOGGER resources (this broker's id) take SET and DELETE of logger levels, see
/// ``ClusterState/alterBrokerLoggers(broker:updates:validateOnly:)``. With `validateOnly` nothing changes.
enum IncrementalAlterConfigsHandler: DevAPIHandler {
    static func handle(
        _ request: IncrementalAlterConfigsRequest, in state: inout ClusterState, context: RequestContext
    ) -> DevReply<IncrementalAlterConfigsResponse> {
        var response = IncrementalAlterConfigsResponse()
        response.responses = request.resources.map { resource in
            if let denial = state.configDenial(
                context, type: resource.resourceType, name: resource.resourceName, DevAcls.Operation.alterConfigs)
            {
                return IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(
                    errorCode: denial.code.rawValue, errorMessage: denial.message, resourceType: resource.resourceType,
                    resourceName: resource.resourceName)
            }
            let outcome = state.incrementalAlterConfigs(
                type: resource.resourceType, name: resource.resourceName,
                updates: resource.configs.map {
                    ConfigUpdate(name: $0.name, operation: $0.configOperation, value: $0.value)
                }, validateOnly: request.validateOnly, broker: context.brokerID)
            return IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(
                errorCode: outcome.code.rawValue, errorMessage: outcome.message, resourceType: resource.resourceType,
                resourceName: resource.resourceName)
        }
        return .respond(response)
    }

    static func errorResponse(
        to request: IncrementalAlterConfigsRequest, error: KafkaErrorCode, context: RequestContext
    ) -> IncrementalAlterConfigsResponse {
        IncrementalAlterConfigsResponse(
            responses: request.resources.map {
                IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(
                    errorCode: error.rawValue, errorMessage: error.message, resourceType: $0.resourceType,
                    resourceName: $0.resourceName)
            })
    }
}
