import KafkaNetwork
import KafkaProtocol

extension KafkaAdminClient {
    /// Creates ACLs (Java's `createAcls`), with CreateAcls to any broker.
    ///
    /// The broker must run an authorizer: without one every binding fails with `SECURITY_DISABLED`. Prefixed
    /// patterns need CreateAcls v1 (Kafka 2.0); on an older broker they fail with `UNSUPPORTED_VERSION` naming the
    /// API and the broker's versions, and the literal ones are still created.
    ///
    /// - Parameter bindings: the ACLs; each needs a specific pattern type, operation and permission type.
    /// - Returns: per binding, success or the error (for example `CLUSTER_AUTHORIZATION_FAILED` without ALTER on the
    ///   cluster).
    /// - Throws: ``AdminError`` when no broker answers within `request.timeout.ms`, or the task's cancellation
    ///   (``AdminError/isCancellation``).
    public func createAcls(_ bindings: [AclBinding]) async throws(AdminError) -> [AclBinding: Result<
        Void, AdminError
    >] {
        let unique = Array(Set(bindings))
        guard !unique.isEmpty else { return [:] }
        return try await reportingAdminError(
            api: .createAcls, resourceKind: .acl, resourceName: AdminError.resourceNames(unique.map(\.description))
        ) {
            try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                var results: [AclBinding: Result<Void, AdminError>] = [:]
                var sendable: [AclBinding] = []
                for binding in unique {
                    if let invalid = Self.invalidBinding(binding) {
                        results[binding] = .failure(invalid)
                    } else {
                        sendable.append(binding)
                    }
                }
                let connection = try await cluster.connection(to: .anyBroker, kind: .admin)
                let version = try connection.versions.version(for: CreateAclsRequest.self)
                if version < 1 {
                    for binding in sendable where binding.pattern.patternType != .literal {
                        results[binding] = .failure(
                            Self.needsPatternTypes(
                                api: .createAcls, what: binding.pattern.patternType, connection: connection,
                                name: binding.description))
                    }
                    sendable.removeAll { $0.pattern.patternType != .literal }
                }
                guard !sendable.isEmpty else { return results }
                let creations = sendable.map { binding in
                    CreateAclsRequest.AclCreation(
                        resourceType: binding.pattern.resourceType.rawValue, resourceName: binding.pattern.name,
                        resourcePatternType: binding.pattern.patternType.rawValue, principal: binding.entry.principal,
                        host: binding.entry.host, operation: binding.entry.operation.rawValue,
                        permissionType: binding.entry.permissionType.rawValue)
                }
                let (response, _) = try await cluster.send(on: connection) { _ in
                    CreateAclsRequest(creations: creations)
                }
                for (index, binding) in sendable.enumerated() {
                    guard index < response.results.count else {
                        results[binding] = .failure(
                            .missing(api: .createAcls, resourceKind: .acl, resourceName: binding.description))
                        continue
                    }
                    let result = response.results[index]
                    results[binding] = AdminError.outcome(
                        result.errorCode, api: .createAcls, resourceKind: .acl, resourceName: binding.description,
                        message: result.errorMessage)
                }
                return results
            }
        }
    }

    /// The ACLs that pass `filter` (Java's `describeAcls`), with DescribeAcls to any broker, sorted by resource
    /// pattern and entry.
    ///
    /// Filters with ``AclPatternType/prefixed`` or ``AclPatternType/match`` need DescribeAcls v1 (Kafka 2.0).
    ///
    /// - Throws: ``AdminError`` with the broker's error (`SECURITY_DISABLED` without an authorizer,
    ///   `CLUSTER_AUTHORIZATION_FAILED` without DESCRIBE on the cluster), `UNSUPPORTED_VERSION` for a pattern type
    ///   the broker cannot filter by, `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT` when no broker answers, or the
    ///   task's cancellation (``AdminError/isCancellation``).
    public func describeAcls(_ filter: AclBindingFilter = .any) async throws(AdminError) -> [AclBinding] {
        try await reportingAdminError(api: .describeAcls, resourceKind: .acl, resourceName: filter.description) {
            try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                let connection = try await cluster.connection(to: .anyBroker, kind: .admin)
                let version = try connection.versions.version(for: DescribeAclsRequest.self)
                if version < 1, filter.pattern.patternType != .literal, filter.pattern.patternType != .any {
                    throw Self.needsPatternTypes(
                        api: .describeAcls, what: filter.pattern.patternType, connection: connection,
                        name: filter.description)
                }
                let (response, _) = try await cluster.send(on: connection) { version in
                    DescribeAclsRequest(
                        resourceTypeFilter: filter.pattern.resourceType.rawValue,
                        resourceNameFilter: filter.pattern.name,
                        patternTypeFilter: version < 1
                            ? AclPatternType.literal.rawValue
                            : filter.pattern.patternType.rawValue,
                        principalFilter: filter.entry.principal, hostFilter: filter.entry.host,
                        operation: filter.entry.operation.rawValue,
                        permissionType: filter.entry.permissionType.rawValue)
                }
                if response.errorCode != 0 {
                    throw AdminError(
                        code: KafkaErrorCode(rawValue: response.errorCode), api: .describeAcls, resourceKind: .acl,
                        resourceName: filter.description, message: response.errorMessage)
                }
                let bindings = response.resources.flatMap { resource in
                    resource.acls.map { acl in
                        AclBinding(
                            pattern: ResourcePattern(
                                resourceType: AclResourceType(code: resource.resourceType),
                                name: resource.resourceName, patternType: AclPatternType(code: resource.patternType)),
                            entry: AccessControlEntry(
                                principal: acl.principal, host: acl.host, operation: AclOperation(code: acl.operation),
                                permissionType: AclPermissionType(code: acl.permissionType)))
                    }
                }
                return Self.sorted(bindings)
            }
        }
    }

    /// Deletes the ACLs that pass each filter (Java's `deleteAcls`), with DeleteAcls to any broker.
    ///
    /// Filters with ``AclPatternType/prefixed`` or ``AclPatternType/match`` need DeleteAcls v1 (Kafka 2.0); on an
    /// older broker they fail with `UNSUPPORTED_VERSION` naming the API and the broker's versions.
    ///
    /// - Returns: per filter, the ACLs it deleted (sorted), or the error of the filter — also when the broker
    ///   reported an error for one of the ACLs it matched.
    /// - Throws: ``AdminError`` when no broker answers within `request.timeout.ms`, or the task's cancellation
    ///   (``AdminError/isCancellation``).
    public func deleteAcls(_ filters: [AclBindingFilter]) async throws(AdminError) -> [AclBindingFilter: Result<
        [AclBinding], AdminError
    >] {
        let unique = Array(Set(filters))
        guard !unique.isEmpty else { return [:] }
        return try await reportingAdminError(
            api: .deleteAcls, resourceKind: .acl, resourceName: AdminError.resourceNames(unique.map(\.description))
        ) {
            try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                var results: [AclBindingFilter: Result<[AclBinding], AdminError>] = [:]
                var sendable = unique
                let connection = try await cluster.connection(to: .anyBroker, kind: .admin)
                let version = try connection.versions.version(for: DeleteAclsRequest.self)
                if version < 1 {
                    for filter in sendable
                    where filter.pattern.patternType != .literal && filter.pattern.patternType != .any {
                        results[filter] = .failure(
                            Self.needsPatternTypes(
                                api: .deleteAcls, what: filter.pattern.patternType, connection: connection,
                                name: filter.description))
                    }
                    sendable.removeAll { results[$0] != nil }
                }
                guard !sendable.isEmpty else { return results }
                let requestFilters = sendable.map { filter in
                    DeleteAclsRequest.DeleteAclsFilter(
                        resourceTypeFilter: filter.pattern.resourceType.rawValue,
                        resourceNameFilter: filter.pattern.name,
                        patternTypeFilter: version < 1
                            ? AclPatternType.literal.rawValue
                            : filter.pattern.patternType.rawValue,
                        principalFilter: filter.entry.principal, hostFilter: filter.entry.host,
                        operation: filter.entry.operation.rawValue,
                        permissionType: filter.entry.permissionType.rawValue)
                }
                let (response, _) = try await cluster.send(on: connection) { _ in
                    DeleteAclsRequest(filters: requestFilters)
                }
                for (index, filter) in sendable.enumerated() {
                    guard index < response.filterResults.count else {
                        results[filter] = .failure(
                            .missing(api: .deleteAcls, resourceKind: .acl, resourceName: filter.description))
                        continue
                    }
                    let answer = response.filterResults[index]
                    if answer.errorCode != 0 {
                        results[filter] = .failure(
                            AdminError(
                                code: KafkaErrorCode(rawValue: answer.errorCode), api: .deleteAcls,
                                resourceKind: .acl, resourceName: filter.description, message: answer.errorMessage))
                        continue
                    }
                    var deleted: [AclBinding] = []
                    var failure: AdminError?
                    for acl in answer.matchingAcls {
                        let binding = AclBinding(
                            pattern: ResourcePattern(
                                resourceType: AclResourceType(code: acl.resourceType), name: acl.resourceName,
                                patternType: AclPatternType(code: acl.patternType)),
                            entry: AccessControlEntry(
                                principal: acl.principal, host: acl.host, operation: AclOperation(code: acl.operation),
                                permissionType: AclPermissionType(code: acl.permissionType)))
                        if acl.errorCode != 0, failure == nil {
                            failure = AdminError(
                                code: KafkaErrorCode(rawValue: acl.errorCode), api: .deleteAcls, resourceKind: .acl,
                                resourceName: binding.description, message: acl.errorMessage)
                        }
                        deleted.append(binding)
                    }
                    results[filter] = failure.map { .failure($0) } ?? .success(Self.sorted(deleted))
                }
                return results
            }
        }
    }

    /// The error of a binding that cannot be created: a filter-only value or an unknown code.
    static func invalidBinding(_ binding: AclBinding) -> AdminError? {
        let problem: String? =
            if !binding.pattern.patternType.isSpecific {
                "the pattern type must be LITERAL or PREFIXED, not \(binding.pattern.patternType)"
            } else if binding.pattern.resourceType == .any || binding.pattern.resourceType == .unknown {
                "the resource type must be a specific type, not \(binding.pattern.resourceType)"
            } else if binding.entry.operation == .any || binding.entry.operation == .unknown {
                "the operation must be a specific operation, not \(binding.entry.operation)"
            } else if binding.entry.permissionType != .allow && binding.entry.permissionType != .deny {
                "the permission type must be ALLOW or DENY, not \(binding.entry.permissionType)"
            } else {
                nil
            }
        return problem.map {
            AdminError(
                code: .invalidRequest, api: .createAcls, resourceKind: .acl, resourceName: binding.description,
                message: $0)
        }
    }

    /// The error of a pattern type that a broker with only v0 of `api` cannot handle.
    static func needsPatternTypes(
        api: KafkaAPIKey, what: AclPatternType, connection: BrokerConnection, name: String
    ) -> AdminError {
        let range = connection.versions.brokerRanges[api].map { "v\($0.lowerBound)–v\($0.upperBound)" }
        let broker = connection.nodeID.map { "broker \($0)" } ?? "broker \(connection.address)"
        return AdminError(
            code: .unsupportedVersion, api: api, resourceKind: .acl, resourceName: name,
            message: "\(what) resource patterns need \(api.name) v1 or later (Kafka 2.0); \(broker) supports "
                + "\(api.name) \(range ?? "not at all")")
    }

    /// Bindings in a stable order: by resource type, pattern type, name, then principal, permission, operation, host.
    static func sorted(_ bindings: [AclBinding]) -> [AclBinding] {
        bindings.sorted { a, b in
            let patternA = (a.pattern.resourceType.rawValue, a.pattern.patternType.rawValue, a.pattern.name)
            let patternB = (b.pattern.resourceType.rawValue, b.pattern.patternType.rawValue, b.pattern.name)
            if patternA != patternB { return patternA < patternB }
            return (a.entry.principal, a.entry.permissionType.rawValue, a.entry.operation.rawValue, a.entry.host)
                < (b.entry.principal, b.entry.permissionType.rawValue, b.entry.operation.rawValue, b.entry.host)
        }
    }
}
