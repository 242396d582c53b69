import KafkaProtocol

/// AlterConfigs (v0-2), accepted by any broker (KRaft brokers forward topic changes to the
/// controller): replaces the whole override set of a TOPIC, or the dynamic configs of a BROKER
/// (the resource name must be this broker's id, or empty for the cluster-wide defaults).
///
/// Validation follows ``ClusterState/alterConfigs(type:name:configs:validateOnly:broker:)``:
/// unknown names and bad values are INVALID_CONFIG, static broker configs INVALID_REQUEST, an
/// unknown topic UNKNOWN_TOPIC_OR_PARTITION. With `validateOnly` nothing changes.
enum AlterConfigsHandler: DevAPIHandler {
    static func handle(_ request: AlterConfigsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<AlterConfigsResponse>
    {
        var response = AlterConfigsResponse()
        response.responses = request.resources.map { resource in
            if let denial = state.configDenial(
                context, type: resource.resourceType, name: resource.resourceName, DevAcls.Operation.alterConfigs)
            {
                return AlterConfigsResponse.AlterConfigsResourceResponse(
                    errorCode: denial.code.rawValue, errorMessage: denial.message, resourceType: resource.resourceType,
                    resourceName: resource.resourceName)
            }
            let outcome = state.alterConfigs(
                type: resource.resourceType, name: resource.resourceName,
                configs: resource.configs.map { ($0.name, $0.value) }, validateOnly: request.validateOnly,
                broker: context.brokerID)
            return AlterConfigsResponse.AlterConfigsResourceResponse(
                errorCode: outcome.code.rawValue, errorMessage: outcome.message, resourceType: resource.resourceType,
                resourceName: resource.resourceName)
        }
        return .respond(response)
    }

    static func errorResponse(to request: AlterConfigsRequest, error: KafkaErrorCode, context: RequestContext)
        -> AlterConfigsResponse
    {
        AlterConfigsResponse(
            responses: request.resources.map {
                AlterConfigsResponse.AlterConfigsResourceResponse(
                    errorCode: error.rawValue, errorMessage: error.message, resourceType: $0.resourceType,
                    resourceName: $0.resourceName)
            })
    }
}
