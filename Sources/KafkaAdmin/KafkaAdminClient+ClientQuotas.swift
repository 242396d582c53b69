import KafkaNetwork
import KafkaProtocol

extension KafkaAdminClient {
    /// The quotas of the entities `filter` matches, as the Java client's `describeClientQuotas`
    /// (DescribeClientQuotas, Kafka 2.6).
    ///
    /// ```swift
    /// let quotas = try await admin.describeClientQuotas(
    ///     .containsOnly([.init(type: ClientQuotaEntity.user, match: .exactly("alice"))]))
    /// // [user-principal 'alice': ["producer_byte_rate": 1048576.0]]
    /// ```
    ///
    /// - Returns: per entity, its quotas by name; entities without quotas are left out.
    /// - Throws: ``AdminError`` (resource kind ``AdminError/ResourceKind/cluster``) when the broker refuses the
    ///   filter (INVALID_REQUEST), cannot be reached, or does not support the API (UNSUPPORTED_VERSION, the
    ///   message naming the API and the broker's versions of it).
    public func describeClientQuotas(_ filter: ClientQuotaFilter = .all) async throws(AdminError)
        -> [ClientQuotaEntity: [String: Double]]
    {
        try await reportingAdminError(api: .describeClientQuotas, resourceKind: .cluster, resourceName: "") {
            let response = try await sendToAnyBroker(since: "2.6") { _ in
                DescribeClientQuotasRequest(
                    components: filter.components.map { component in
                        switch component.match {
                        case .exactly(let name): .init(entityType: component.type, matchType: 0, match: name)
                        case .defaultEntity: .init(entityType: component.type, matchType: 1, match: nil)
                        case .any: .init(entityType: component.type, matchType: 2, match: nil)
                        }
                    },
                    strict: filter.strict)
            }
            if response.errorCode != 0 {
                throw AdminError(
                    code: KafkaErrorCode(rawValue: response.errorCode), api: .describeClientQuotas,
                    resourceKind: .cluster, resourceName: "", message: response.errorMessage)
            }
            var quotas: [ClientQuotaEntity: [String: Double]] = [:]
            for entry in response.entries ?? [] {
                let entity = ClientQuotaEntity(entry.entity.map { .init(type: $0.entityType, name: $0.entityName) })
                for value in entry.values { quotas[entity, default: [:]][value.key] = value.value }
            }
            return quotas
        }
    }

    /// Sets and removes quotas of entities, as the Java client's `alterClientQuotas` (AlterClientQuotas,
    /// Kafka 2.6).
    ///
    /// ```swift
    /// let results = try await admin.alterClientQuotas([
    ///     ClientQuotaAlteration(entity: .user("alice"), operations: [.init(key: "producer_byte_rate", value: 1024)])
    /// ])
    /// ```
    ///
    /// - Parameters:
    ///   - alterations: per entity, the quotas to set (a value) or remove (nil).
    ///   - validateOnly: checks the changes without applying them.
    /// - Returns: per entity, success or the error (INVALID_REQUEST for an unknown quota, a bad value or an
    ///   entity the broker does not accept).
    /// - Throws: ``AdminError`` when the request fails as a whole: the broker cannot be reached or does not support
    ///   the API (UNSUPPORTED_VERSION, the message naming the API and the broker's versions of it).
    public func alterClientQuotas(_ alterations: [ClientQuotaAlteration], validateOnly: Bool = false)
        async throws(AdminError) -> [ClientQuotaEntity: Result<Void, AdminError>]
    {
        try await reportingAdminError(api: .alterClientQuotas, resourceKind: .cluster, resourceName: "") {
            let response = try await sendToAnyBroker(since: "2.6") { _ in
                AlterClientQuotasRequest(
                    entries: alterations.map { alteration in
                        .init(
                            entity: alteration.entity.components.map {
                                .init(entityType: $0.type, entityName: $0.name)
                            },
                            ops: alteration.operations.map {
                                .init(key: $0.key, value: $0.value ?? 0, remove: $0.value == nil)
                            })
                    },
                    validateOnly: validateOnly)
            }
            var results: [ClientQuotaEntity: Result<Void, AdminError>] = [:]
            for entry in response.entries {
                let entity = ClientQuotaEntity(entry.entity.map { .init(type: $0.entityType, name: $0.entityName) })
                guard results[entity] == nil else { continue }
                results[entity] = AdminError.outcome(
                    entry.errorCode, api: .alterClientQuotas, resourceKind: .clientQuotaEntity,
                    resourceName: entity.description, message: entry.errorMessage)
            }
            for alteration in alterations where results[alteration.entity] == nil {
                results[alteration.entity] = .failure(
                    AdminError.missing(
                        api: .alterClientQuotas, resourceKind: .clientQuotaEntity,
                        resourceName: alteration.entity.description))
            }
            return results
        }
    }

    /// Sends a request of an API that any broker answers, with retries of retriable failures for up to
    /// `request.timeout.ms`.
    ///
    /// - Parameter since: the Kafka release that added the API, for the error when the broker lacks it.
    /// - Throws: ``AdminError`` with UNSUPPORTED_VERSION, naming the API, the release and the broker's versions of
    ///   the API, when the broker does not support any version this client speaks.
    func sendToAnyBroker<R: KafkaRequest>(since release: String, _ build: @escaping @Sendable (Int16) -> R)
        async throws -> R.Response where R.Response: Sendable
    {
        try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
            let connection = try await cluster.connection(to: .anyBroker, kind: .admin)
            let range = connection.versions.brokerRanges[R.apiKey]
            guard let range, range.overlaps(R.validVersions) else {
                let broker = connection.nodeID.map { "broker \($0)" } ?? "the broker at \(connection.address)"
                let versions = range.map { "only v\($0.lowerBound)–v\($0.upperBound)" } ?? "no version"
                throw AdminError(
                    code: .unsupportedVersion, api: R.apiKey, resourceKind: .cluster, resourceName: "",
                    message:
                        "\(R.apiKey.name) needs Kafka \(release) or later: \(broker) supports \(versions) of "
                        + "\(R.apiKey.name) (this client speaks v\(R.validVersions.lowerBound)–"
                        + "v\(R.validVersions.upperBound))")
            }
            return try await cluster.send(on: connection, build).response
        }
    }
}
