import KafkaAdmin
import KafkaDevCluster
import KafkaProtocol
import Testing

/// `createAcls`, `describeAcls` and `deleteAcls` against a dev cluster with its authorizer on.
@Suite(.timeLimit(.minutes(3))) struct AdminAclsTests {
    static func withAuthorizer(
        versions: [KafkaAPIKey: ClosedRange<Int16>] = [:], _ body: (KafkaAdminClient) async throws -> Void
    ) async throws {
        var configuration = DevClusterConfiguration()
        configuration.authorizer = .init(superUsers: ["User:ANONYMOUS"])
        configuration.apiVersions = versions
        try await DevCluster.withRunning(configuration) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            do {
                try await body(admin)
            } catch {
                await admin.close()
                throw error
            }
            await admin.close()
        }
    }

    static func binding(
        _ name: String, _ pattern: AclPatternType = .literal, _ operation: AclOperation = .read,
        principal: String = "User:alice", type: AclResourceType = .topic
    ) -> AclBinding {
        AclBinding(
            pattern: ResourcePattern(resourceType: type, name: name, patternType: pattern),
            entry: AccessControlEntry(principal: principal, operation: operation, permissionType: .allow))
    }

    @Test(
        "created ACLs are described by filter and deleted per filter, with per-binding results",
        arguments: [
            Int16(1), 3,
        ])
    func roundTrip(version: Int16) async throws {
        let versions: [KafkaAPIKey: ClosedRange<Int16>] = [
            .createAcls: 0...version, .describeAcls: 0...version, .deleteAcls: 0...version,
        ]
        try await Self.withAuthorizer(versions: versions) { admin in
            let good = [
                Self.binding("orders"), Self.binding("ord", .prefixed, .write), Self.binding("*", .literal, .describe),
            ]
            let refused = Self.binding("orders", .literal, .idempotentWrite)  // not an operation of topics
            let invalid = Self.binding("x", .match)
            let results = try await admin.createAcls(good + [refused, invalid])
            for binding in good { #expect((try? results[binding]?.get()) != nil, "\(binding)") }
            if case .failure(let error) = results[refused] {
                #expect(error.code == .invalidRequest)
            } else {
                Issue.record("IDEMPOTENT_WRITE on a topic was created")
            }
            if case .failure(let error) = results[invalid] {
                #expect(error.code == .invalidRequest)
            } else {
                Issue.record("a MATCH pattern was created")
            }
            #expect(Set(try await admin.describeAcls()) == Set(good))
            let matching = try await admin.describeAcls(
                AclBindingFilter(
                    pattern: ResourcePatternFilter(resourceType: .topic, name: "orders", patternType: .match)))
            #expect(Set(matching) == Set(good))
            let exact = try await admin.describeAcls(good[0].filter)
            #expect(exact == [good[0]])
            let prefixedOnly = AclBindingFilter(pattern: ResourcePatternFilter(patternType: .prefixed))
            let none = AclBindingFilter(entry: AccessControlEntryFilter(principal: "User:nobody"))
            let deleted = try await admin.deleteAcls([prefixedOnly, none])
            #expect(try deleted[prefixedOnly]?.get() == [good[1]])
            #expect(try deleted[none]?.get() == [])
            #expect(Set(try await admin.describeAcls()) == [good[0], good[2]])
        }
    }

    @Test("on a broker with only v0 of the ACL APIs, prefixed patterns fail in one line naming the API and versions")
    func version0() async throws {
        let versions: [KafkaAPIKey: ClosedRange<Int16>] = [
            .createAcls: 0...0, .describeAcls: 0...0, .deleteAcls: 0...0,
        ]
        try await Self.withAuthorizer(versions: versions) { admin in
            let literal = Self.binding("orders")
            let prefixed = Self.binding("ord", .prefixed)
            let results = try await admin.createAcls([literal, prefixed])
            #expect((try? results[literal]?.get()) != nil)
            guard case .failure(let error) = results[prefixed] else {
                Issue.record("a prefixed ACL was sent at v0")
                return
            }
            #expect(error.code == .unsupportedVersion)
            let message = try #require(error.message)
            #expect(message.hasPrefix("PREFIXED resource patterns need CreateAcls v1 or later (Kafka 2.0); broker "))
            #expect(message.hasSuffix(" supports CreateAcls v0–v0"), "\(message)")
            #expect(!"\(error)".contains("\n"))
            #expect(try await admin.describeAcls() == [literal])
            await #expect {
                _ = try await admin.describeAcls(AclBindingFilter(pattern: ResourcePatternFilter(patternType: .match)))
            } throws: { ($0 as? AdminError)?.code == .unsupportedVersion }
            let filter = literal.filter
            #expect(try await admin.deleteAcls([filter])[filter]?.get() == [literal])
        }
    }

    @Test func withoutAnAuthorizerTheBrokerSaysSecurityDisabled() async throws {
        try await AdminTests.withAdmin(brokers: 1) { _, admin in
            await #expect {
                _ = try await admin.describeAcls()
            } throws: { ($0 as? AdminError)?.code == .securityDisabled }
            let binding = Self.binding("t")
            let results = try await admin.createAcls([binding])
            if case .failure(let error) = results[binding] {
                #expect(error.code == .securityDisabled)
            } else {
                Issue.record("an ACL was created without an authorizer")
            }
        }
    }
}
