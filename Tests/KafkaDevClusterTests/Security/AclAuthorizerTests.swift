import KafkaProtocol
import Testing

@testable import KafkaDevCluster

/// The dev cluster's ACL store and authorizer: Kafka's matching rules for filters and for authorization, and the
/// ACL APIs' answers.
@Suite struct AclAuthorizerTests {
    typealias O = DevAcls.Operation
    typealias R = DevAcls.ResourceType
    typealias P = DevAcls.PatternType

    static func acl(
        _ name: String, _ operation: Int8, pattern: Int8 = P.literal, principal: String = "User:alice",
        host: String = "*", allow: Bool = true
    ) -> DevAcls.Binding {
        DevAcls.Binding(
            resourceType: R.topic, name: name, patternType: pattern, principal: principal, host: host,
            operation: operation, permission: allow ? DevAcls.Permission.allow : DevAcls.Permission.deny)
    }

    static func authorizer(_ acls: [DevAcls.Binding], everyone: Bool = false, superUsers: Set<String> = [])
        -> DevAcls
    {
        var store = DevAcls(enabled: true, superUsers: superUsers, allowEveryoneIfNoACLFound: everyone)
        store.bindings = Set(acls)
        return store
    }

    static func may(
        _ store: DevAcls, _ operation: Int8, _ name: String, principal: String = "User:alice",
        host: String = "127.0.0.1", type: Int8 = R.topic
    ) -> Bool {
        store.authorizes(principal: principal, host: host, operation: operation, resourceType: type, name: name)
    }

    @Test func withoutAnAuthorizerEverythingIsAllowed() {
        let store = DevAcls()
        #expect(Self.may(store, O.write, "t"))
    }

    @Test func literalWildcardAndPrefixedAclsApply() {
        let store = Self.authorizer([
            Self.acl("orders", O.read), Self.acl("*", O.write), Self.acl("logs-", O.alter, pattern: P.prefixed),
        ])
        #expect(Self.may(store, O.read, "orders"))
        #expect(!Self.may(store, O.read, "payments"))
        #expect(Self.may(store, O.write, "anything"))
        #expect(Self.may(store, O.alter, "logs-app"))
        #expect(!Self.may(store, O.alter, "log"))
        // Another principal has no ACL: denied (the resources have ACLs).
        #expect(!Self.may(store, O.read, "orders", principal: "User:bob"))
    }

    @Test func denyWinsOverAllowAndAllOperationsMatch() {
        let store = Self.authorizer([
            Self.acl("t", O.all), Self.acl("t", O.write, allow: false),
            Self.acl("*", O.read, principal: "User:*"),
            Self.acl("t", O.read, principal: "User:bob", host: "10.0.0.1"),
        ])
        #expect(Self.may(store, O.read, "t"))
        #expect(!Self.may(store, O.write, "t"))
        #expect(Self.may(store, O.read, "t", principal: "User:carol"))  // User:* on the wildcard.
        #expect(!Self.may(store, O.write, "t", principal: "User:bob"))
        // Bob's host-bound ACL does not apply from another host; User:* still lets him read.
        #expect(Self.may(store, O.read, "t", principal: "User:bob"))
        let denyAll = Self.authorizer([Self.acl("t", O.read), Self.acl("t", O.all, allow: false)])
        #expect(!Self.may(denyAll, O.read, "t"))
    }

    @Test func impliedOperationsAsKafka() {
        for implying in [O.read, O.write, O.delete, O.alter] {
            #expect(Self.may(Self.authorizer([Self.acl("t", implying)]), O.describe, "t"))
        }
        #expect(!Self.may(Self.authorizer([Self.acl("t", O.create)]), O.describe, "t"))
        #expect(Self.may(Self.authorizer([Self.acl("t", O.alterConfigs)]), O.describeConfigs, "t"))
        #expect(!Self.may(Self.authorizer([Self.acl("t", O.describeConfigs)]), O.alterConfigs, "t"))
        // A DENY of READ does not deny DESCRIBE.
        let store = Self.authorizer([Self.acl("t", O.describe), Self.acl("t", O.read, allow: false)])
        #expect(Self.may(store, O.describe, "t"))
        #expect(!Self.may(store, O.read, "t"))
    }

    @Test func superUsersAndResourcesWithoutAcls() {
        let closed = Self.authorizer([Self.acl("t", O.read)], superUsers: ["User:admin"])
        #expect(Self.may(closed, O.delete, "t", principal: "User:admin"))
        #expect(!Self.may(closed, O.read, "other"))
        let open = Self.authorizer([Self.acl("t", O.read)], everyone: true)
        #expect(Self.may(open, O.write, "other", principal: "User:ANONYMOUS"))
        #expect(!Self.may(open, O.write, "t", principal: "User:ANONYMOUS"))
    }

    @Test func filtersMatchAsKafka() {
        let literal = Self.acl("orders", O.read)
        let wildcard = Self.acl("*", O.read)
        let prefixed = Self.acl("ord", O.read, pattern: P.prefixed)
        let acls = [literal, wildcard, prefixed]
        func names(_ filter: DevAcls.Filter) -> Set<String> { Set(acls.filter(filter.matches).map(\.name)) }
        func filter(_ name: String?, _ pattern: Int8) -> DevAcls.Filter {
            DevAcls.Filter(
                resourceType: R.any, name: name, patternType: pattern, principal: nil, host: nil, operation: O.any,
                permission: DevAcls.Permission.any)
        }
        #expect(names(filter("orders", P.literal)) == ["orders"])
        #expect(names(filter("orders", P.any)) == ["orders"])
        #expect(names(filter("ord", P.any)) == ["ord"])
        #expect(names(filter("orders", P.match)) == ["orders", "*", "ord"])
        #expect(names(filter("ord", P.prefixed)) == ["ord"])
        #expect(names(filter(nil, P.any)) == ["orders", "*", "ord"])
        #expect(names(filter(nil, P.prefixed)) == ["ord"])
    }

    @Test("CreateAcls, DescribeAcls and DeleteAcls store, list and remove ACLs", arguments: [Int16(1), 3])
    func aclApis(version: Int16) throws {
        var harness = HandlerHarness(brokers: 1) { $0.authorizer = .init() }
        let created = try harness.respond(
            CreateAclsHandler.self,
            CreateAclsRequest(creations: [
                .init(
                    resourceType: R.topic, resourceName: "orders", resourcePatternType: P.literal,
                    principal: "User:alice", host: "*", operation: O.read, permissionType: 3),
                .init(
                    resourceType: R.topic, resourceName: "ord", resourcePatternType: P.prefixed,
                    principal: "User:bob", host: "*", operation: O.write, permissionType: 3),
                // READ is not an operation of the cluster; the cluster has only the name kafka-cluster.
                .init(
                    resourceType: R.cluster, resourceName: "kafka-cluster", resourcePatternType: P.literal,
                    principal: "User:alice", host: "*", operation: O.read, permissionType: 3),
                .init(
                    resourceType: R.cluster, resourceName: "other", resourcePatternType: P.literal,
                    principal: "User:alice", host: "*", operation: O.alter, permissionType: 3),
            ]), version: version)
        #expect(created.results.map(\.errorCode) == [0, 0, 42, 42])
        let matching = try harness.respond(
            DescribeAclsHandler.self,
            DescribeAclsRequest(
                resourceTypeFilter: R.topic, resourceNameFilter: "orders", patternTypeFilter: P.match,
                principalFilter: nil, hostFilter: nil, operation: O.any, permissionType: 1), version: version)
        #expect(matching.errorCode == 0)
        #expect(matching.resources.map(\.resourceName) == ["orders", "ord"])
        #expect(matching.resources.first?.acls.first?.principal == "User:alice")
        let deleted = try harness.respond(
            DeleteAclsHandler.self,
            DeleteAclsRequest(filters: [
                .init(
                    resourceTypeFilter: R.topic, resourceNameFilter: nil, patternTypeFilter: P.prefixed,
                    principalFilter: nil, hostFilter: nil, operation: O.any, permissionType: 1)
            ]), version: version)
        #expect(deleted.filterResults.first?.matchingAcls.map(\.resourceName) == ["ord"])
        #expect(harness.state.acls.bindings.map(\.name) == ["orders"])
    }

    @Test func version0IsLiteralOnly() throws {
        var harness = HandlerHarness(brokers: 1) { $0.authorizer = .init() }
        harness.state.acls.bindings = [Self.acl("ord", O.read, pattern: P.prefixed), Self.acl("orders", O.read)]
        let listed = try harness.respond(
            DescribeAclsHandler.self,
            DescribeAclsRequest(
                resourceTypeFilter: R.any, resourceNameFilter: nil, principalFilter: nil, hostFilter: nil,
                operation: O.any, permissionType: 1), version: 0)
        #expect(listed.resources.map(\.resourceName) == ["orders"])
    }

    @Test func withoutAnAuthorizerTheAclApisAnswerSecurityDisabled() throws {
        var harness = HandlerHarness(brokers: 1)
        let created = try harness.respond(
            CreateAclsHandler.self,
            CreateAclsRequest(creations: [
                .init(
                    resourceType: R.topic, resourceName: "t", principal: "User:a", host: "*", operation: O.read,
                    permissionType: 3)
            ]))
        #expect(created.results.first?.errorCode == KafkaErrorCode.securityDisabled.rawValue)
        let listed = try harness.respond(DescribeAclsHandler.self, DescribeAclsRequest(resourceTypeFilter: R.any))
        #expect(listed.errorCode == KafkaErrorCode.securityDisabled.rawValue)
        let deleted = try harness.respond(
            DeleteAclsHandler.self, DeleteAclsRequest(filters: [.init(resourceTypeFilter: R.any)]))
        #expect(deleted.filterResults.first?.errorCode == KafkaErrorCode.securityDisabled.rawValue)
    }
}
