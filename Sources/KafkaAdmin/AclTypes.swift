/// The kind of resource an ACL protects (Java's `org.apache.kafka.common.resource.ResourceType`); the raw values are
/// the protocol's codes.
public enum AclResourceType: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A code this client does not know.
    case unknown = 0
    /// Any resource type (filters only).
    case any = 1
    /// A topic.
    case topic = 2
    /// A consumer group.
    case group = 3
    /// The cluster (its one resource is named `kafka-cluster`).
    case cluster = 4
    /// A transactional id.
    case transactionalID = 5
    /// A delegation token.
    case delegationToken = 6
    /// A user principal (delegation tokens created for other users).
    case user = 7

    /// The type of a protocol code; codes this client does not know are ``unknown``.
    public init(code: Int8) { self = AclResourceType(rawValue: code) ?? .unknown }

    /// Kafka's name of the type as Java prints it: `TOPIC`, `TRANSACTIONAL_ID`, ….
    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .topic: "TOPIC"
        case .group: "GROUP"
        case .cluster: "CLUSTER"
        case .transactionalID: "TRANSACTIONAL_ID"
        case .delegationToken: "DELEGATION_TOKEN"
        case .user: "USER"
        }
    }

    /// The operations an ACL on a resource of this type may name besides ``AclOperation/all`` (Kafka's
    /// `AclEntry.supportedOperations`), in Kafka's order of operations; empty for ``any`` and ``unknown``.
    public var supportedOperations: [AclOperation] {
        switch self {
        case .topic: [.read, .write, .create, .delete, .alter, .describe, .describeConfigs, .alterConfigs]
        case .group: [.read, .delete, .describe, .describeConfigs, .alterConfigs]
        case .cluster: [.create, .alter, .describe, .clusterAction, .describeConfigs, .alterConfigs, .idempotentWrite]
        case .transactionalID: [.write, .describe]
        case .delegationToken: [.describe]
        case .user: [.createTokens, .describeTokens]
        case .unknown, .any: []
        }
    }
}

/// How an ACL's resource name is matched (Java's `PatternType`).
public enum AclPatternType: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A code this client does not know.
    case unknown = 0
    /// Any pattern type whose name is exactly the filter's (filters only).
    case any = 1
    /// Every pattern that applies to the filter's name: literal equal to it, the wildcard `*`, or prefixed with a
    /// prefix of it (filters only).
    case match = 2
    /// The name as it is; `*` is the wildcard for every resource of the type.
    case literal = 3
    /// Every resource whose name starts with the pattern's name (CreateAcls v1, Kafka 2.0).
    case prefixed = 4

    /// The pattern type of a protocol code; codes this client does not know are ``unknown``.
    public init(code: Int8) { self = AclPatternType(rawValue: code) ?? .unknown }

    /// Whether an ACL may have this pattern type (``literal`` or ``prefixed``), rather than only a filter.
    public var isSpecific: Bool { self == .literal || self == .prefixed }

    /// Kafka's name: `LITERAL`, `PREFIXED`, `ANY`, `MATCH`, `UNKNOWN`.
    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .match: "MATCH"
        case .literal: "LITERAL"
        case .prefixed: "PREFIXED"
        }
    }
}

/// What an ACL allows or denies (Java's `AclOperation`).
public enum AclOperation: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A code this client does not know.
    case unknown = 0
    /// Any operation (filters only).
    case any = 1
    /// Every operation.
    case all = 2
    /// Read (fetch from a topic, join and commit in a group).
    case read = 3
    /// Write (produce to a topic, use a transactional id).
    case write = 4
    /// Create (topics; on the cluster, any topic).
    case create = 5
    /// Delete (topics, records, groups).
    case delete = 6
    /// Alter (partitions of a topic; ACLs on the cluster).
    case alter = 7
    /// Describe (metadata, offsets, groups, ACLs on the cluster); implied by an ALLOW of read, write, delete or
    /// alter.
    case describe = 8
    /// The brokers' own requests to each other.
    case clusterAction = 9
    /// Describe configs; implied by an ALLOW of alter configs.
    case describeConfigs = 10
    /// Alter configs.
    case alterConfigs = 11
    /// Idempotent produce (on the cluster).
    case idempotentWrite = 12
    /// Create delegation tokens (on a user).
    case createTokens = 13
    /// Describe delegation tokens (on a user).
    case describeTokens = 14

    /// The operation of a protocol code; codes this client does not know are ``unknown``.
    public init(code: Int8) { self = AclOperation(rawValue: code) ?? .unknown }

    /// The operation Kafka's tools name `name`: its PascalCase name (`Read`, `IdempotentWrite`) or its upper-case
    /// name (`READ`, `IDEMPOTENT_WRITE` without the underscore: `IDEMPOTENTWRITE`), as Kafka's `SecurityUtils`;
    /// nil for any other name.
    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name || $0.name.uppercased() == name }) else {
            return nil
        }
        self = match
    }

    /// The PascalCase name Kafka's tools print and accept: `Read`, `ClusterAction`, `IdempotentWrite`.
    public var name: String { Self.pascalCase(description) }

    /// Kafka's enum name: `READ`, `CLUSTER_ACTION`, `IDEMPOTENT_WRITE`.
    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .all: "ALL"
        case .read: "READ"
        case .write: "WRITE"
        case .create: "CREATE"
        case .delete: "DELETE"
        case .alter: "ALTER"
        case .describe: "DESCRIBE"
        case .clusterAction: "CLUSTER_ACTION"
        case .describeConfigs: "DESCRIBE_CONFIGS"
        case .alterConfigs: "ALTER_CONFIGS"
        case .idempotentWrite: "IDEMPOTENT_WRITE"
        case .createTokens: "CREATE_TOKENS"
        case .describeTokens: "DESCRIBE_TOKENS"
        }
    }

    static func pascalCase(_ name: String) -> String {
        name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined()
    }
}

/// Whether an ACL allows or denies (Java's `AclPermissionType`). A DENY wins over any ALLOW.
public enum AclPermissionType: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A code this client does not know.
    case unknown = 0
    /// Either (filters only).
    case any = 1
    /// Denies the operation.
    case deny = 2
    /// Allows the operation.
    case allow = 3

    /// The permission type of a protocol code; codes this client does not know are ``unknown``.
    public init(code: Int8) { self = AclPermissionType(rawValue: code) ?? .unknown }

    /// Kafka's name: `ALLOW`, `DENY`, `ANY`, `UNKNOWN`.
    public var description: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .deny: "DENY"
        case .allow: "ALLOW"
        }
    }
}

/// The resources an ACL applies to: a type, a name and how the name matches (Java's `ResourcePattern`).
///
/// Its description is Kafka's: `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`.
public struct ResourcePattern: Sendable, Hashable, CustomStringConvertible {
    /// The name of the cluster resource, the only name a ``AclResourceType/cluster`` pattern has.
    public static let clusterName = "kafka-cluster"
    /// The name that, in a literal pattern, stands for every resource of the type.
    public static let wildcard = "*"

    /// The resource type (not ``AclResourceType/any``).
    public var resourceType: AclResourceType
    /// The resource name, the prefix of a prefixed pattern, or ``wildcard``.
    public var name: String
    /// ``AclPatternType/literal`` or ``AclPatternType/prefixed``.
    public var patternType: AclPatternType

    /// Creates a pattern.
    public init(resourceType: AclResourceType, name: String, patternType: AclPatternType = .literal) {
        self.resourceType = resourceType
        self.name = name
        self.patternType = patternType
    }

    /// The cluster resource, as ACLs on the cluster name it.
    public static var cluster: ResourcePattern { ResourcePattern(resourceType: .cluster, name: clusterName) }

    /// The filter that matches exactly this pattern.
    public var filter: ResourcePatternFilter {
        ResourcePatternFilter(resourceType: resourceType, name: name, patternType: patternType)
    }

    public var description: String {
        "ResourcePattern(resourceType=\(resourceType), name=\(name), patternType=\(patternType))"
    }
}

/// A filter of resource patterns (Java's `ResourcePatternFilter`): nil fields and `any` values match everything.
public struct ResourcePatternFilter: Sendable, Hashable, CustomStringConvertible {
    /// The resource type, or ``AclResourceType/any``.
    public var resourceType: AclResourceType
    /// The name, or nil for any name.
    public var name: String?
    /// A specific pattern type, ``AclPatternType/any`` (any pattern with exactly this name) or
    /// ``AclPatternType/match`` (every pattern that applies to the name).
    public var patternType: AclPatternType

    /// Creates a filter.
    public init(resourceType: AclResourceType = .any, name: String? = nil, patternType: AclPatternType = .any) {
        self.resourceType = resourceType
        self.name = name
        self.patternType = patternType
    }

    /// The filter matching every pattern.
    public static let any = ResourcePatternFilter()

    /// Whether `pattern` passes the filter, by Kafka's rules: a ``AclPatternType/match`` filter with a name
    /// matches literal patterns of that name or of the wildcard `*`, and prefixed patterns whose prefix starts
    /// the name.
    public func matches(_ pattern: ResourcePattern) -> Bool {
        if resourceType != .any && resourceType != pattern.resourceType { return false }
        if patternType != .any && patternType != .match && patternType != pattern.patternType { return false }
        guard let name else { return true }
        if patternType == .any || patternType == pattern.patternType { return name == pattern.name }
        switch pattern.patternType {
        case .literal: return name == pattern.name || pattern.name == ResourcePattern.wildcard
        case .prefixed: return name.hasPrefix(pattern.name)
        default: return false
        }
    }

    public var description: String {
        "ResourcePattern(resourceType=\(resourceType), name=\(name ?? "<any>"), patternType=\(patternType))"
    }
}

/// Who may or may not do what from where (Java's `AccessControlEntry`).
///
/// Its description is Kafka's: `(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)`.
public struct AccessControlEntry: Sendable, Hashable, CustomStringConvertible {
    /// The wildcard host: every host.
    public static let wildcardHost = "*"

    /// The principal, as `User:alice`; `User:*` is every user.
    public var principal: String
    /// The client's address (`*`: every host).
    public var host: String
    /// The operation (not ``AclOperation/any``).
    public var operation: AclOperation
    /// ``AclPermissionType/allow`` or ``AclPermissionType/deny``.
    public var permissionType: AclPermissionType

    /// Creates an entry.
    public init(
        principal: String, host: String = AccessControlEntry.wildcardHost, operation: AclOperation,
        permissionType: AclPermissionType
    ) {
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permissionType = permissionType
    }

    /// The filter that matches exactly this entry.
    public var filter: AccessControlEntryFilter {
        AccessControlEntryFilter(principal: principal, host: host, operation: operation, permissionType: permissionType)
    }

    public var description: String {
        "(principal=\(principal), host=\(host), operation=\(operation), permissionType=\(permissionType))"
    }
}

/// A filter of access control entries (Java's `AccessControlEntryFilter`): nil fields and `any` values match
/// everything.
public struct AccessControlEntryFilter: Sendable, Hashable, CustomStringConvertible {
    /// The principal, or nil for any.
    public var principal: String?
    /// The host, or nil for any.
    public var host: String?
    /// The operation, or ``AclOperation/any``.
    public var operation: AclOperation
    /// The permission type, or ``AclPermissionType/any``.
    public var permissionType: AclPermissionType

    /// Creates a filter.
    public init(
        principal: String? = nil, host: String? = nil, operation: AclOperation = .any,
        permissionType: AclPermissionType = .any
    ) {
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permissionType = permissionType
    }

    /// The filter matching every entry.
    public static let any = AccessControlEntryFilter()

    /// Whether `entry` passes the filter.
    public func matches(_ entry: AccessControlEntry) -> Bool {
        if let principal, principal != entry.principal { return false }
        if let host, host != entry.host { return false }
        if operation != .any && operation != entry.operation { return false }
        return permissionType == .any || permissionType == entry.permissionType
    }

    public var description: String {
        "(principal=\(principal ?? "<any>"), host=\(host ?? "<any>"), operation=\(operation), "
            + "permissionType=\(permissionType))"
    }
}

/// An ACL: an entry bound to a resource pattern (Java's `AclBinding`).
public struct AclBinding: Sendable, Hashable, CustomStringConvertible {
    /// The resources.
    public var pattern: ResourcePattern
    /// Who, from where, what, allowed or denied.
    public var entry: AccessControlEntry

    /// Creates a binding.
    public init(pattern: ResourcePattern, entry: AccessControlEntry) {
        self.pattern = pattern
        self.entry = entry
    }

    /// The filter that matches exactly this binding.
    public var filter: AclBindingFilter { AclBindingFilter(pattern: pattern.filter, entry: entry.filter) }

    public var description: String { "(pattern=\(pattern), entry=\(entry))" }
}

/// A filter of ACLs (Java's `AclBindingFilter`), for ``KafkaAdminClient/describeAcls(_:)`` and
/// ``KafkaAdminClient/deleteAcls(_:)``.
public struct AclBindingFilter: Sendable, Hashable, CustomStringConvertible {
    /// The filter of resource patterns.
    public var pattern: ResourcePatternFilter
    /// The filter of entries.
    public var entry: AccessControlEntryFilter

    /// Creates a filter.
    public init(pattern: ResourcePatternFilter = .any, entry: AccessControlEntryFilter = .any) {
        self.pattern = pattern
        self.entry = entry
    }

    /// The filter matching every ACL.
    public static let any = AclBindingFilter()

    /// Whether `binding` passes the filter.
    public func matches(_ binding: AclBinding) -> Bool {
        pattern.matches(binding.pattern) && entry.matches(binding.entry)
    }

    public var description: String { "(patternFilter=\(pattern), entryFilter=\(entry))" }
}
