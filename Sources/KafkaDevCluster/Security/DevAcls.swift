import KafkaProtocol

/// The ACLs a dev cluster stores and its authorizer, with Kafka's rules (`AclAuthorizer` / `StandardAuthorizer`).
///
/// Codes are the protocol's: resource types 2 topic, 3 group, 4 cluster, 5 transactional id, 6 delegation token,
/// 7 user; pattern types 1 any, 2 match, 3 literal, 4 prefixed; operations 1 any, 2 all, 3 read, 4 write, 5 create,
/// 6 delete, 7 alter, 8 describe, 9 cluster action, 10 describe configs, 11 alter configs, 12 idempotent write,
/// 13 create tokens, 14 describe tokens; permissions 1 any, 2 deny, 3 allow.
struct DevAcls: Sendable {
    /// An ACL as stored.
    struct Binding: Sendable, Hashable {
        var resourceType: Int8
        var name: String
        var patternType: Int8
        var principal: String
        var host: String
        var operation: Int8
        var permission: Int8
    }

    /// A filter of DescribeAcls and DeleteAcls: nil names match any, code 1 (`ANY`) matches any.
    struct Filter: Sendable, Hashable {
        var resourceType: Int8
        var name: String?
        var patternType: Int8
        var principal: String?
        var host: String?
        var operation: Int8
        var permission: Int8

        /// Kafka's `AclBindingFilter.matches`: `MATCH` with a name matches the literal name, the literal wildcard
        /// `*` and prefixes of the name; `ANY` matches any pattern type with exactly the name.
        func matches(_ acl: Binding) -> Bool {
            if resourceType != ResourceType.any && resourceType != acl.resourceType { return false }
            if patternType != PatternType.any && patternType != PatternType.match && patternType != acl.patternType {
                return false
            }
            if let name {
                if patternType == PatternType.any || patternType == acl.patternType {
                    if name != acl.name { return false }
                } else if acl.patternType == PatternType.literal {
                    if name != acl.name && acl.name != "*" { return false }
                } else if acl.patternType == PatternType.prefixed {
                    if !name.hasPrefix(acl.name) { return false }
                } else {
                    return false
                }
            }
            if let principal, principal != acl.principal { return false }
            if let host, host != acl.host { return false }
            if operation != Operation.any && operation != acl.operation { return false }
            return permission == Permission.any || permission == acl.permission
        }

        /// Why the filter cannot be used (Kafka answers INVALID_REQUEST), or nil.
        var invalidReason: String? {
            if !(1...7).contains(resourceType) { return "Invalid resource type filter \(resourceType)" }
            if !(1...4).contains(patternType) { return "Invalid pattern type filter \(patternType)" }
            if !(1...14).contains(operation) { return "Invalid operation filter \(operation)" }
            if !(1...3).contains(permission) { return "Invalid permission type filter \(permission)" }
            return nil
        }
    }

    enum ResourceType {
        static let any: Int8 = 1
        static let topic: Int8 = 2
        static let group: Int8 = 3
        static let cluster: Int8 = 4
        static let transactionalID: Int8 = 5
    }

    enum PatternType {
        static let any: Int8 = 1
        static let match: Int8 = 2
        static let literal: Int8 = 3
        static let prefixed: Int8 = 4
    }

    enum Operation {
        static let any: Int8 = 1
        static let all: Int8 = 2
        static let read: Int8 = 3
        static let write: Int8 = 4
        static let create: Int8 = 5
        static let delete: Int8 = 6
        static let alter: Int8 = 7
        static let describe: Int8 = 8
        static let clusterAction: Int8 = 9
        static let describeConfigs: Int8 = 10
        static let alterConfigs: Int8 = 11
        static let idempotentWrite: Int8 = 12
    }

    enum Permission {
        static let any: Int8 = 1
        static let deny: Int8 = 2
        static let allow: Int8 = 3
    }

    /// The operations an ACL on each resource type may name besides ALL (Kafka's `AclEntry.supportedOperations`).
    static let supportedOperations: [Int8: Set<Int8>] = [
        ResourceType.topic: [3, 4, 5, 6, 7, 8, 10, 11],
        ResourceType.group: [3, 6, 8, 10, 11],
        ResourceType.cluster: [5, 7, 8, 9, 10, 11, 12],
        ResourceType.transactionalID: [4, 8],
        6: [8],
        7: [13, 14],
    ]

    /// Whether the authorizer is on; without it the ACL APIs answer SECURITY_DISABLED and nothing is enforced.
    var enabled: Bool
    /// Principals allowed everything (`super.users`), as `User:admin`.
    var superUsers: Set<String>
    /// `allow.everyone.if.no.acl.found`: a resource without any ACL is open to everyone.
    var allowEveryoneIfNoACLFound: Bool
    /// The stored ACLs.
    var bindings: Set<Binding> = []

    init(enabled: Bool = false, superUsers: Set<String> = [], allowEveryoneIfNoACLFound: Bool = false) {
        self.enabled = enabled
        self.superUsers = superUsers
        self.allowEveryoneIfNoACLFound = allowEveryoneIfNoACLFound
    }

    /// Why an ACL cannot be created (Kafka answers INVALID_REQUEST), or nil.
    static func invalidReason(_ acl: Binding) -> String? {
        guard let supported = supportedOperations[acl.resourceType] else {
            return "Invalid resource type \(acl.resourceType)"
        }
        if acl.patternType != PatternType.literal && acl.patternType != PatternType.prefixed {
            return "Invalid pattern type \(acl.patternType)"
        }
        if acl.resourceType == ResourceType.cluster && acl.name != "kafka-cluster" {
            return "The only valid name for the CLUSTER resource is kafka-cluster"
        }
        if acl.name.isEmpty { return "Resource name must not be empty" }
        guard acl.principal.split(separator: ":", maxSplits: 1).count == 2 else {
            return "Could not parse principal from `\(acl.principal)` (no colon is present separating the "
                + "principal type from the principal name)"
        }
        if acl.operation != Operation.all && !supported.contains(acl.operation) {
            return "Invalid operation \(acl.operation) for resource type \(acl.resourceType)"
        }
        if acl.permission != Permission.allow && acl.permission != Permission.deny {
            return "Invalid permission type \(acl.permission)"
        }
        return nil
    }

    /// Whether `principal` connecting from `host` may perform `operation` on the resource, by Kafka's rules: super
    /// users may do everything; the ACLs that apply are the resource's literal ones, the literal wildcard `*` and the
    /// prefixed ones whose prefix starts the name; with none of them, `allow.everyone.if.no.acl.found` decides; a
    /// DENY for the principal (or `User:*`) and host (or `*`) with the operation or ALL wins; else an ALLOW with the
    /// operation, ALL, or an operation that implies it (READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS
    /// implies DESCRIBE_CONFIGS) allows.
    func authorizes(principal: String, host: String, operation: Int8, resourceType: Int8, name: String) -> Bool {
        guard enabled else { return true }
        if superUsers.contains(principal) { return true }
        let applicable = bindings.filter { acl in
            guard acl.resourceType == resourceType else { return false }
            if acl.patternType == PatternType.literal { return acl.name == name || acl.name == "*" }
            return acl.patternType == PatternType.prefixed && name.hasPrefix(acl.name)
        }
        if applicable.isEmpty { return allowEveryoneIfNoACLFound }
        let mine = applicable.filter { acl in
            (acl.principal == principal || acl.principal == "User:*") && (acl.host == host || acl.host == "*")
        }
        if mine.contains(where: {
            $0.permission == Permission.deny && ($0.operation == operation || $0.operation == Operation.all)
        }) {
            return false
        }
        return mine.contains { acl in
            guard acl.permission == Permission.allow else { return false }
            if acl.operation == Operation.all || acl.operation == operation { return true }
            if operation == Operation.describe {
                return [Operation.read, Operation.write, Operation.delete, Operation.alter].contains(acl.operation)
            }
            return operation == Operation.describeConfigs && acl.operation == Operation.alterConfigs
        }
    }

    /// Whether some ALLOW ACL lets `principal` perform `operation` on some resource of `resourceType` and no DENY
    /// on every such resource stops it (Kafka's `authorizeByResourceType`, used for idempotent producers without
    /// IDEMPOTENT_WRITE on the cluster).
    func authorizesSomeResource(principal: String, host: String, operation: Int8, resourceType: Int8) -> Bool {
        guard enabled else { return true }
        if superUsers.contains(principal) { return true }
        let mine = bindings.filter { acl in
            acl.resourceType == resourceType && (acl.principal == principal || acl.principal == "User:*")
                && (acl.host == host || acl.host == "*")
                && (acl.operation == operation || acl.operation == Operation.all)
        }
        let denied = mine.filter { $0.permission == Permission.deny }
        if denied.contains(where: { $0.patternType == PatternType.literal && $0.name == "*" }) { return false }
        return mine.contains { allow in
            allow.permission == Permission.allow
                && !denied.contains { deny in
                    deny.patternType == PatternType.literal ? deny.name == allow.name : allow.name.hasPrefix(deny.name)
                }
        }
    }
}

extension ClusterState {
    /// Whether the request's principal may perform `operation` on the resource; always true without an authorizer.
    func authorizes(_ context: RequestContext, _ operation: Int8, _ resourceType: Int8, _ name: String) -> Bool {
        acls.authorizes(
            principal: context.principal, host: context.host, operation: operation, resourceType: resourceType,
            name: name)
    }

    /// Whether the request's principal may perform `operation` on the cluster.
    func authorizesCluster(_ context: RequestContext, _ operation: Int8) -> Bool {
        authorizes(context, operation, DevAcls.ResourceType.cluster, "kafka-cluster")
    }

    /// Whether the principal may describe topic `name`.
    func mayDescribeTopic(_ context: RequestContext, _ name: String) -> Bool {
        authorizes(context, DevAcls.Operation.describe, DevAcls.ResourceType.topic, name)
    }
}
