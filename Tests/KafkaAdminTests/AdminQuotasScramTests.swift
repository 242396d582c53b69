import KafkaAdmin
import KafkaDevCluster
import KafkaProtocol
import Testing

/// Client quotas, SCRAM credentials and broker-logger levels through the admin client, on the dev cluster.
@Suite(.timeLimit(.minutes(5))) struct AdminQuotasScramTests {
    @Test func quotasPerEntityWithFiltersAndPerEntityErrors() async throws {
        try await AdminTests.withAdmin(brokers: 2) { _, admin in
            let results = try await admin.alterClientQuotas([
                ClientQuotaAlteration(
                    entity: .user("alice"),
                    operations: [
                        .init(key: "producer_byte_rate", value: 1024), .init(key: "request_percentage", value: 50),
                    ]),
                ClientQuotaAlteration(
                    entity: .user(nil, clientID: "c1"), operations: [.init(key: "consumer_byte_rate", value: 10)]),
                ClientQuotaAlteration(entity: .client("bad"), operations: [.init(key: "bogus", value: 1)]),
            ])
            #expect((try? results[.user("alice")]?.get()) != nil)
            #expect((try? results[.user(nil, clientID: "c1")]?.get()) != nil)
            guard case .failure(let error) = results[.client("bad")] else {
                Issue.record("the unknown quota was accepted")
                return
            }
            #expect(error.code == .invalidRequest)
            #expect(error.resourceKind == .clientQuotaEntity)
            #expect(error.resourceName == "client-id 'bad'")

            let all = try await admin.describeClientQuotas()
            #expect(
                all == [
                    .user("alice"): ["producer_byte_rate": 1024, "request_percentage": 50],
                    .user(nil, clientID: "c1"): ["consumer_byte_rate": 10],
                ])
            let onlyAlice = try await admin.describeClientQuotas(
                .containsOnly([.init(type: ClientQuotaEntity.user, match: .exactly("alice"))]))
            #expect(Array(onlyAlice.keys) == [.user("alice")])
            let defaultUsers = try await admin.describeClientQuotas(
                .contains([.init(type: ClientQuotaEntity.user, match: .defaultEntity)]))
            #expect(Array(defaultUsers.keys) == [.user(nil, clientID: "c1")])
            #expect("\(ClientQuotaEntity.user(nil, clientID: "c1"))" == "the default user-principal, client-id 'c1'")

            let validated = try await admin.alterClientQuotas(
                [
                    ClientQuotaAlteration(
                        entity: .user("alice"), operations: [.init(key: "producer_byte_rate", value: nil)])
                ],
                validateOnly: true)
            #expect((try? validated[.user("alice")]?.get()) != nil)
            #expect(try await admin.describeClientQuotas()[.user("alice")]?["producer_byte_rate"] == 1024)

            do {
                _ = try await admin.describeClientQuotas(
                    .contains([
                        .init(type: ClientQuotaEntity.user, match: .any),
                        .init(type: ClientQuotaEntity.user, match: .any),
                    ]))
                Issue.record("a filter naming a type twice was accepted")
            } catch {
                #expect((error as? AdminError)?.code == .invalidRequest)
            }
        }
    }

    @Test func scramCredentialsPerUser() async throws {
        try await AdminTests.withAdmin(brokers: 1) { _, admin in
            let results = try await admin.alterUserScramCredentials([
                .upsert(user: "alice", mechanism: .scramSHA256, iterations: 8192, password: "a"),
                .upsert(user: "alice", mechanism: .scramSHA512, iterations: 4096, password: "b"),
                .upsert(user: "bob", mechanism: .scramSHA256, iterations: 100, password: "c"),
                .delete(user: "carol", mechanism: .scramSHA256),
            ])
            #expect((try? results["alice"]?.get()) != nil)
            #expect(results["bob"].flatMap { try? $0.get() } == nil)
            if case .failure(let error) = results["bob"] { #expect(error.code == .unacceptableCredential) }
            if case .failure(let error) = results["carol"] { #expect(error.code == .resourceNotFound) }

            let described = try await admin.describeUserScramCredentials(["alice", "bob"])
            #expect(
                try described["alice"]?.get() == [
                    ScramCredentialInfo(mechanism: .scramSHA256, iterations: 8192),
                    ScramCredentialInfo(mechanism: .scramSHA512, iterations: 4096),
                ])
            guard case .failure(let missing) = described["bob"] else {
                Issue.record("bob has no credential")
                return
            }
            #expect(missing.code == .resourceNotFound)
            #expect(Array(try await admin.describeUserScramCredentials().keys) == ["alice"])
        }
    }

    @Test func brokerLoggerLevelsThroughIncrementalAlterConfigs() async throws {
        try await AdminTests.withAdmin(brokers: 2) { _, admin in
            let logger = ConfigResource(type: .brokerLogger, name: "2")
            let results = await admin.incrementalAlterConfigs([logger: [.set(name: "kafka", value: "DEBUG")]])
            #expect((try? results[logger]?.get()) != nil)
            let described = await admin.describeConfigs([logger, ConfigResource(type: .brokerLogger, name: "1")])
            let levels = try #require(try described[logger]?.get())
            #expect(levels.first { $0.name == "kafka" }?.value == "DEBUG")
            #expect(levels.first { $0.name == "kafka.request.logger" }?.value == "WARN")
            #expect(levels.allSatisfy { $0.source == .dynamicBrokerLoggerConfig })
            let other = try #require(try described[ConfigResource(type: .brokerLogger, name: "1")]?.get())
            #expect(other.first { $0.name == "kafka" }?.value == "INFO")
        }
    }
}
