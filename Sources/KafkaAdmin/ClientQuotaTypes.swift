// MARK: - Client quotas

/// What client quotas apply to (Kafka's `ClientQuotaEntity`): a user, a client id, a user and a client id
/// together, or an IP address; a component without a name is the default entity of its type.
///
/// ```swift
/// let alice = ClientQuotaEntity.user("alice")
/// let aliceReports = ClientQuotaEntity.user("alice", clientID: "reports")
/// let anyUser = ClientQuotaEntity.user(nil)  // the default user
/// ```
public struct ClientQuotaEntity: Sendable, Hashable, CustomStringConvertible {
    /// One part of an entity: its type (``user``, ``clientID``, ``ip`` or another type the broker knows) and the
    /// name, nil for the default entity of the type.
    public struct Component: Sendable, Hashable {
        /// The entity type, such as `user` or `client-id`.
        public var type: String
        /// The name (a user principal name, a client id, an IP); nil for the default entity.
        public var name: String?

        /// Creates a component.
        public init(type: String, name: String?) {
            self.type = type
            self.name = name
        }
    }

    /// The entity type of users (`user`).
    public static let user = "user"
    /// The entity type of client ids (`client-id`).
    public static let clientID = "client-id"
    /// The entity type of IP addresses (`ip`).
    public static let ip = "ip"

    /// The components, sorted by type.
    public private(set) var components: [Component]

    /// An entity of `components` (kept sorted by type, so equal entities compare equal).
    public init(_ components: [Component]) {
        self.components = components.sorted { $0.type < $1.type }
    }

    /// The user `name` (nil: the default user).
    public static func user(_ name: String?) -> ClientQuotaEntity {
        ClientQuotaEntity([Component(type: user, name: name)])
    }

    /// The client id `id` (nil: the default client id).
    public static func client(_ id: String?) -> ClientQuotaEntity {
        ClientQuotaEntity([Component(type: clientID, name: id)])
    }

    /// The clients with id `clientID` of user `name` (either nil: the default of that type).
    public static func user(_ name: String?, clientID id: String?) -> ClientQuotaEntity {
        ClientQuotaEntity([Component(type: user, name: name), Component(type: clientID, name: id)])
    }

    /// The component of type `type`, if the entity has one.
    public func component(_ type: String) -> Component? {
        components.first { $0.type == type }
    }

    /// Kafka's words for the entity, as `kafka-configs.sh` prints them: `user-principal 'alice', client-id
    /// 'reports'`, `the default user-principal`.
    public var description: String {
        let order = [Self.user, Self.clientID, Self.ip]
        let sorted = components.sorted {
            (order.firstIndex(of: $0.type) ?? order.count, $0.type) < (
                order.firstIndex(of: $1.type) ?? order.count, $1.type
            )
        }
        return sorted.map { component in
            let word =
                switch component.type {
                case Self.user: "user-principal"
                case Self.clientID: "client-id"
                default: component.type
                }
            return component.name.map { "\(word) '\($0)'" } ?? "the default \(word)"
        }
        .joined(separator: ", ")
    }
}

/// Which entities ``KafkaAdminClient/describeClientQuotas(_:)`` reports (Kafka's `ClientQuotaFilter`).
public struct ClientQuotaFilter: Sendable, Hashable {
    /// How a component of the filter matches the entities' component of its type.
    public enum Match: Sendable, Hashable {
        /// The component with this name.
        case exactly(String)
        /// The default entity of the type.
        case defaultEntity
        /// Any component of the type, default or named.
        case any
    }

    /// One condition: entities must have a component of `type` that `match` accepts.
    public struct Component: Sendable, Hashable {
        /// The entity type.
        public var type: String
        /// What the component must be.
        public var match: Match

        /// Creates a condition.
        public init(type: String, match: Match) {
            self.type = type
            self.match = match
        }
    }

    /// The conditions, all of which must hold.
    public var components: [Component]
    /// Whether entities may have no components but those named (true) or also others (false).
    public var strict: Bool

    /// Creates a filter.
    public init(components: [Component], strict: Bool) {
        self.components = components
        self.strict = strict
    }

    /// Entities with exactly these components and no others.
    public static func containsOnly(_ components: [Component]) -> ClientQuotaFilter {
        ClientQuotaFilter(components: components, strict: true)
    }

    /// Entities with these components, and perhaps others.
    public static func contains(_ components: [Component]) -> ClientQuotaFilter {
        ClientQuotaFilter(components: components, strict: false)
    }

    /// Every entity that has quotas.
    public static let all = ClientQuotaFilter(components: [], strict: false)
}

/// Changes of the quotas of one entity (Kafka's `ClientQuotaAlteration`).
public struct ClientQuotaAlteration: Sendable, Hashable {
    /// Setting one quota (a value) or removing it (nil).
    public struct Operation: Sendable, Hashable {
        /// The quota's name, such as `producer_byte_rate`, `consumer_byte_rate` or `request_percentage`.
        public var key: String
        /// The new value; nil removes the quota.
        public var value: Double?

        /// Creates an operation.
        public init(key: String, value: Double?) {
            self.key = key
            self.value = value
        }
    }

    /// The entity whose quotas change.
    public var entity: ClientQuotaEntity
    /// The changes, applied together.
    public var operations: [Operation]

    /// Creates an alteration.
    public init(entity: ClientQuotaEntity, operations: [Operation]) {
        self.entity = entity
        self.operations = operations
    }
}
