import KafkaProtocol

/// The message of the ACL APIs on a cluster without an authorizer (Kafka's SECURITY_DISABLED answer).
private let noAuthorizer = "No Authorizer is configured on the broker"

/// CreateAcls (versions 0-3): stores ACLs. Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED); without an
/// authorizer every creation fails with SECURITY_DISABLED; an ACL Kafka would refuse (a filter-only value, an
/// operation the resource type does not have, a cluster resource not named `kafka-cluster`, a principal without
/// `type:`) fails with INVALID_REQUEST. v0 carries no pattern type: its ACLs are literal.
enum CreateAclsHandler: DevAPIHandler {
    static func handle(_ request: CreateAclsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<CreateAclsResponse>
    {
        guard state.acls.enabled else {
            return .respond(errorResponse(to: request, error: .securityDisabled, context: context))
        }
        var results: [CreateAclsResponse.AclCreationResult] = []
        for creation in request.creations {
            let acl = DevAcls.Binding(
                resourceType: creation.resourceType, name: creation.resourceName,
                patternType: context.version >= 1 ? creation.resourcePatternType : DevAcls.PatternType.literal,
                principal: creation.principal, host: creation.host, operation: creation.operation,
                permission: creation.permissionType)
            if let reason = DevAcls.invalidReason(acl) {
                results.append(.init(errorCode: KafkaErrorCode.invalidRequest.rawValue, errorMessage: reason))
            } else {
                state.acls.bindings.insert(acl)
                results.append(.init(errorCode: 0, errorMessage: nil))
            }
        }
        return .respond(CreateAclsResponse(results: results))
    }

    static func errorResponse(to request: CreateAclsRequest, error: KafkaErrorCode, context: RequestContext)
        -> CreateAclsResponse
    {
        let message = error == .securityDisabled ? noAuthorizer : error.message
        return CreateAclsResponse(
            results: request.creations.map { _ in .init(errorCode: error.rawValue, errorMessage: message) })
    }

    static func denial(of request: CreateAclsRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    {
        state.authorizesCluster(context, DevAcls.Operation.alter) ? nil : .clusterAuthorizationFailed
    }
}

/// DescribeAcls (versions 0-3): the stored ACLs that pass the filter (Kafka's matching rules, see
/// ``DevAcls/Filter/matches(_:)``), grouped by resource pattern. Needs DESCRIBE on the cluster; without an
/// authorizer SECURITY_DISABLED; an invalid filter INVALID_REQUEST. A v0 filter is literal.
enum DescribeAclsHandler: DevAPIHandler {
    static func handle(_ request: DescribeAclsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeAclsResponse>
    {
        guard state.acls.enabled else {
            return .respond(errorResponse(to: request, error: .securityDisabled, context: context))
        }
        let filter = DevAcls.Filter(
            resourceType: request.resourceTypeFilter, name: request.resourceNameFilter,
            patternType: context.version >= 1 ? request.patternTypeFilter : DevAcls.PatternType.literal,
            principal: request.principalFilter, host: request.hostFilter, operation: request.operation,
            permission: request.permissionType)
        if let reason = filter.invalidReason {
            return .respond(
                DescribeAclsResponse(errorCode: KafkaErrorCode.invalidRequest.rawValue, errorMessage: reason))
        }
        let matching = state.acls.bindings.filter { filter.matches($0) }
        let grouped = Dictionary(grouping: matching) {
            PatternKey(type: $0.resourceType, name: $0.name, pattern: $0.patternType)
        }
        let resources = grouped.keys.sorted().map { key in
            DescribeAclsResponse.DescribeAclsResource(
                resourceType: key.type, resourceName: key.name, patternType: key.pattern,
                acls: (grouped[key] ?? []).sorted {
                    ($0.principal, $0.operation, $0.host) < ($1.principal, $1.operation, $1.host)
                }
                .map {
                    .init(
                        principal: $0.principal, host: $0.host, operation: $0.operation, permissionType: $0.permission)
                })
        }
        return .respond(DescribeAclsResponse(errorCode: 0, errorMessage: nil, resources: resources))
    }

    static func errorResponse(to request: DescribeAclsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DescribeAclsResponse
    {
        DescribeAclsResponse(
            errorCode: error.rawValue, errorMessage: error == .securityDisabled ? noAuthorizer : error.message)
    }

    static func denial(of request: DescribeAclsRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    {
        state.authorizesCluster(context, DevAcls.Operation.describe) ? nil : .clusterAuthorizationFailed
    }
}

/// A resource pattern, the key ACLs are grouped by.
struct PatternKey: Hashable, Comparable {
    var type: Int8
    var name: String
    var pattern: Int8

    static func < (a: PatternKey, b: PatternKey) -> Bool { (a.type, a.pattern, a.name) < (b.type, b.pattern, b.name) }
}

/// DeleteAcls (versions 0-3): removes the stored ACLs that pass each filter and answers them per filter. Needs
/// ALTER on the cluster; without an authorizer SECURITY_DISABLED; an invalid filter INVALID_REQUEST (that filter
/// only). A v0 filter is literal.
enum DeleteAclsHandler: DevAPIHandler {
    static func handle(_ request: DeleteAclsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DeleteAclsResponse>
    {
        guard state.acls.enabled else {
            return .respond(errorResponse(to: request, error: .securityDisabled, context: context))
        }
        var results: [DeleteAclsResponse.DeleteAclsFilterResult] = []
        for requested in request.filters {
            let filter = DevAcls.Filter(
                resourceType: requested.resourceTypeFilter, name: requested.resourceNameFilter,
                patternType: context.version >= 1 ? requested.patternTypeFilter : DevAcls.PatternType.literal,
                principal: requested.principalFilter, host: requested.hostFilter, operation: requested.operation,
                permission: requested.permissionType)
            if let reason = filter.invalidReason {
                results.append(.init(errorCode: KafkaErrorCode.invalidRequest.rawValue, errorMessage: reason))
                continue
            }
            let matching = state.acls.bindings.filter { filter.matches($0) }.sorted {
                (PatternKey(type: $0.resourceType, name: $0.name, pattern: $0.patternType), $0.principal, $0.operation)
                    < (
                        PatternKey(type: $1.resourceType, name: $1.name, pattern: $1.patternType), $1.principal,
                        $1.operation
                    )
            }
            state.acls.bindings.subtract(matching)
            results.append(
                .init(
                    errorCode: 0, errorMessage: nil,
                    matchingAcls: matching.map {
                        .init(
                            errorCode: 0, errorMessage: nil, resourceType: $0.resourceType, resourceName: $0.name,
                            patternType: context.version >= 1 ? $0.patternType : DevAcls.PatternType.literal,
                            principal: $0.principal, host: $0.host, operation: $0.operation,
                            permissionType: $0.permission)
                    }))
        }
        return .respond(DeleteAclsResponse(filterResults: results))
    }

    static func errorResponse(to request: DeleteAclsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DeleteAclsResponse
    {
        let message = error == .securityDisabled ? noAuthorizer : error.message
        return DeleteAclsResponse(
            filterResults: request.filters.map { _ in .init(errorCode: error.rawValue, errorMessage: message) })
    }

    static func denial(of request: DeleteAclsRequest, in state: ClusterState, context: RequestContext)
        -> KafkaErrorCode?
    {
        state.authorizesCluster(context, DevAcls.Operation.alter) ? nil : .clusterAuthorizationFailed
    }
}
