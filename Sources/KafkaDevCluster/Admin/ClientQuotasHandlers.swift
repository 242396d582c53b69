import KafkaProtocol

/// An entity of client quotas: its components sorted by type; a nil name is the default entity of the type.
struct DevQuotaEntity: Sendable, Hashable {
    struct Component: Sendable, Hashable {
        var type: String
        var name: String?
    }

    var components: [Component]

    init(_ components: [Component]) {
        self.components = components.sorted { $0.type < $1.type }
    }

    /// The quota names Kafka accepts for user and client-id entities, and for IP entities; the byte rates and the
    /// connection rate must be whole numbers.
    static let userAndClientKeys: Set<String> = [
        "producer_byte_rate", "consumer_byte_rate", "request_percentage", "controller_mutation_rate",
    ]
    static let ipKeys: Set<String> = ["connection_creation_rate"]
    static let wholeNumberKeys: Set<String> = ["producer_byte_rate", "consumer_byte_rate", "connection_creation_rate"]

    /// Kafka's checks of an entity: known, distinct types; `ip` alone.
    static func validate(_ components: [Component]) -> String? {
        if components.isEmpty { return "Invalid empty client quota entity" }
        var seen = Set<String>()
        for component in components {
            if !seen.insert(component.type).inserted {
                return "Invalid client quota entity, duplicate entity entry \(component.type)"
            }
            if !["user", "client-id", "ip"].contains(component.type) {
                return "Unhandled client quota entity type: \(component.type)"
            }
            if component.name?.isEmpty == true { return "Empty \(component.type) not supported" }
        }
        if components.count > 1 && components.contains(where: { $0.type == "ip" }) {
            return "Invalid quota entity combination"
        }
        return nil
    }
}

/// DescribeClientQuotas (v0-1): the entities with quotas that match every filter component (EXACT 0 by name,
/// DEFAULT 1 the default entity, ANY 2 either), with `strict` no other components. A component without a type, an
/// EXACT match without a name, an unknown match type or a type given twice is INVALID_REQUEST.
enum DescribeClientQuotasHandler: DevAPIHandler {
    static func handle(_ request: DescribeClientQuotasRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeClientQuotasResponse>
    {
        func refuse(_ message: String) -> DevReply<DescribeClientQuotasResponse> {
            .respond(
                DescribeClientQuotasResponse(
                    errorCode: KafkaErrorCode.invalidRequest.rawValue, errorMessage: message, entries: nil))
        }
        for component in request.components {
            if component.entityType.isEmpty { return refuse("Invalid empty entity type") }
            switch component.matchType {
            case 0 where component.match == nil:
                return refuse("Request specified MATCH_TYPE_EXACT, but set match string to null")
            case 0, 1, 2: continue
            default: return refuse("Unexpected match type: \(component.matchType)")
            }
        }
        if !ClusterState.duplicates(request.components.map(\.entityType)).isEmpty {
            return refuse("Duplicate filter component entity type")
        }
        let matching = state.clientQuotas.filter { entity, values in
            guard !values.isEmpty else { return false }
            if request.strict && entity.components.count != request.components.count { return false }
            return request.components.allSatisfy { filter in
                guard let component = entity.components.first(where: { $0.type == filter.entityType }) else {
                    return false
                }
                switch filter.matchType {
                case 0: return component.name == filter.match
                case 1: return component.name == nil
                default: return true
                }
            }
        }
        let entries = matching.keys.sorted { "\($0.components)" < "\($1.components)" }.map { entity in
            DescribeClientQuotasResponse.EntryData(
                entity: entity.components.map { .init(entityType: $0.type, entityName: $0.name) },
                values: (matching[entity] ?? [:]).sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) }
            )
        }
        return .respond(DescribeClientQuotasResponse(errorCode: 0, errorMessage: nil, entries: entries))
    }

    static func errorResponse(
        to request: DescribeClientQuotasRequest, error: KafkaErrorCode, context: RequestContext
    ) -> DescribeClientQuotasResponse {
        DescribeClientQuotasResponse(errorCode: error.rawValue, errorMessage: error.message, entries: nil)
    }
}

/// AlterClientQuotas (v0-1): per entity, sets and removes quotas together or not at all. An invalid entity (see
/// ``DevQuotaEntity/validate(_:)``), an unknown quota name, a key given twice, a fractional byte rate or a value
/// not above 0 is INVALID_REQUEST (with Kafka's controller messages); removing a quota that is not set is allowed.
/// With `validateOnly` nothing changes.
enum AlterClientQuotasHandler: DevAPIHandler {
    static func handle(_ request: AlterClientQuotasRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<AlterClientQuotasResponse>
    {
        var response = AlterClientQuotasResponse()
        for entry in request.entries {
            let components = entry.entity.map { DevQuotaEntity.Component(type: $0.entityType, name: $0.entityName) }
            var result = AlterClientQuotasResponse.EntryData(
                errorCode: 0, errorMessage: nil,
                entity: entry.entity.map { .init(entityType: $0.entityType, entityName: $0.entityName) })
            if let message = check(entry, components: components) {
                result.errorCode = KafkaErrorCode.invalidRequest.rawValue
                result.errorMessage = message
            } else if !request.validateOnly {
                let entity = DevQuotaEntity(components)
                var values = state.clientQuotas[entity] ?? [:]
                for op in entry.ops { values[op.key] = op.remove ? nil : op.value }
                state.clientQuotas[entity] = values.isEmpty ? nil : values
            }
            response.entries.append(result)
        }
        return .respond(response)
    }

    /// Why Kafka refuses the entry, or nil.
    private static func check(_ entry: AlterClientQuotasRequest.EntryData, components: [DevQuotaEntity.Component])
        -> String?
    {
        if let message = DevQuotaEntity.validate(components) { return message }
        let isIP = components.contains { $0.type == "ip" }
        let allowed = isIP ? DevQuotaEntity.ipKeys : DevQuotaEntity.userAndClientKeys
        if let key = ClusterState.duplicates(entry.ops.map(\.key)).sorted().first {
            return "Duplicate quota key \(key) not updating quota for this entity"
        }
        for op in entry.ops {
            guard allowed.contains(op.key) else { return "Invalid configuration key \(op.key)" }
            guard !op.remove else { continue }
            if !(op.value > 0) { return "Quota \(op.key) must be greater than 0" }
            if DevQuotaEntity.wholeNumberKeys.contains(op.key)
                && abs(op.value.truncatingRemainder(dividingBy: 1)) > 1e-6
            {
                return "\(op.key) cannot be a fractional value."
            }
        }
        return nil
    }

    static func errorResponse(
        to request: AlterClientQuotasRequest, error: KafkaErrorCode, context: RequestContext
    ) -> AlterClientQuotasResponse {
        AlterClientQuotasResponse(
            entries: request.entries.map {
                .init(
                    errorCode: error.rawValue, errorMessage: error.message,
                    entity: $0.entity.map { .init(entityType: $0.entityType, entityName: $0.entityName) })
            })
    }
}
