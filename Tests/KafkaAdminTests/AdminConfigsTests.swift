import KafkaAdmin
import KafkaDevCluster
import KafkaProtocol
import Testing

/// Describing and changing topic and broker configs through the admin client, on the dev cluster.
@Suite(.timeLimit(.minutes(5))) struct AdminConfigsTests {
    /// The configs of `resource`, by name (the test fails when the resource failed).
    static func configs(
        _ admin: KafkaAdminClient, _ resource: ConfigResource, synonyms: Bool = false
    ) async throws -> [String: ConfigEntry] {
        let results = await admin.describeConfigs([resource], includeSynonyms: synonyms)
        let entries = try #require(try results[resource]?.get())
        return Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func aTopicOverrideShowsAsNonDefaultWithItsSource() async throws {
        try await AdminTests.withAdmin(brokers: 1) { cluster, admin in
            try cluster.createTopic("orders", partitions: 1, configs: ["retention.ms": "1000"])
            let results = await admin.describeConfigs(
                [.topic("orders"), .topic("missing")], includeSynonyms: true, includeDocumentation: true)
            let entries = try #require(try results[.topic("orders")]?.get())
            #expect(entries.map(\.name) == entries.map(\.name).sorted())
            let retention = try #require(entries.first { $0.name == "retention.ms" })
            #expect(retention.value == "1000")
            #expect(retention.source == .dynamicTopicConfig)
            #expect(!retention.isDefault)
            #expect(!retention.isReadOnly)
            #expect(!retention.isSensitive)
            #expect(retention.type == .long)
            #expect(retention.documentation?.isEmpty == false)
            #expect(retention.synonyms.first?.source == .dynamicTopicConfig)
            #expect(retention.synonyms.contains { $0.name == "log.retention.ms" && $0.source == .defaultConfig })
            let cleanup = try #require(entries.first { $0.name == "cleanup.policy" })
            #expect(cleanup.value == "delete")
            #expect(cleanup.isDefault)
            #expect(cleanup.source == .defaultConfig)
            #expect("\(cleanup.source)" == "DEFAULT_CONFIG")

            guard case .failure(let error) = results[.topic("missing")] else {
                Issue.record("an unknown topic was described")
                return
            }
            #expect(error.code == .unknownTopicOrPartition)
            #expect(error.api == .describeConfigs)
            #expect(error.resourceKind == .topic)
            #expect(error.resourceName == "missing")
        }
    }

    @Test func incrementalAlterSetsAppendsAndDeletes() async throws {
        try await AdminTests.withAdmin(brokers: 2, topics: ["events": 1, "other": 1]) { _, admin in
            let set = await admin.incrementalAlterConfigs([
                .topic("events"): [
                    .set(name: "retention.ms", value: "5000"), .append(name: "cleanup.policy", value: "compact"),
                ],
                .topic("other"): [.set(name: "no.such.config", value: "1")],
                .topic("missing"): [.set(name: "retention.ms", value: "1")],
            ])
            #expect(throws: Never.self) { try #require(set[.topic("events")]).get() }
            guard case .failure(let invalid) = set[.topic("other")] else {
                Issue.record("an unknown config name was accepted")
                return
            }
            #expect(invalid.code == .invalidConfig)
            #expect(invalid.api == .incrementalAlterConfigs)
            guard case .failure(let missing) = set[.topic("missing")] else {
                Issue.record("an unknown topic was altered")
                return
            }
            #expect(missing.code == .unknownTopicOrPartition)

            var events = try await Self.configs(admin, .topic("events"))
            #expect(events["retention.ms"]?.value == "5000")
            #expect(events["retention.ms"]?.source == .dynamicTopicConfig)
            #expect(events["cleanup.policy"]?.value == "delete,compact")

            let deleted = await admin.incrementalAlterConfigs([
                .topic("events"): [.delete(name: "retention.ms"), .subtract(name: "cleanup.policy", value: "delete")]
            ])
            #expect(throws: Never.self) { try #require(deleted[.topic("events")]).get() }
            events = try await Self.configs(admin, .topic("events"))
            #expect(events["retention.ms"]?.isDefault == true)
            #expect(events["retention.ms"]?.source == .defaultConfig)
            #expect(events["cleanup.policy"]?.value == "compact")
        }
    }

    @Test func incrementalAlterValidateOnlyChangesNothing() async throws {
        try await AdminTests.withAdmin(brokers: 1, topics: ["events": 1]) { _, admin in
            let results = await admin.incrementalAlterConfigs(
                [.topic("events"): [.set(name: "retention.ms", value: "5000")]], validateOnly: true)
            #expect(throws: Never.self) { try #require(results[.topic("events")]).get() }
            let events = try await Self.configs(admin, .topic("events"))
            #expect(events["retention.ms"]?.isDefault == true)
        }
    }

    @Test func legacyAlterReplacesTheWholeSet() async throws {
        try await AdminTests.withAdmin(brokers: 1) { cluster, admin in
            try cluster.createTopic("logs", partitions: 1, configs: ["retention.ms": "1000", "segment.ms": "60000"])
            let results = await admin.alterConfigs([
                .topic("logs"): ["cleanup.policy": "compact", "segment.ms": "120000"],
                .topic("missing"): ["cleanup.policy": "compact"],
            ])
            #expect(throws: Never.self) { try #require(results[.topic("logs")]).get() }
            guard case .failure(let missing) = results[.topic("missing")] else {
                Issue.record("an unknown topic was altered")
                return
            }
            #expect(missing.code == .unknownTopicOrPartition)
            #expect(missing.api == .alterConfigs)
            let logs = try await Self.configs(admin, .topic("logs"))
            #expect(logs["cleanup.policy"]?.value == "compact")
            #expect(logs["segment.ms"]?.value == "120000")
            #expect(logs["retention.ms"]?.isDefault == true)  // not in the new set: removed
        }
    }

    @Test func brokerConfigsAreAskedOfThatBroker() async throws {
        try await AdminTests.withAdmin(brokers: 3) { _, admin in
            let results = await admin.describeConfigs([.broker(1), .broker(2), .broker(3)], includeSynonyms: true)
            for id: Int32 in [1, 2, 3] {
                let entries = try #require(try results[.broker(id)]?.get())
                let brokerID = try #require(entries.first { $0.name == "broker.id" })
                #expect(brokerID.value == "\(id)")
                #expect(brokerID.source == .staticBrokerConfig)
                #expect(brokerID.isReadOnly)
            }
        }
    }

    @Test func brokerConfigsCanBeChangedPerBrokerAndClusterWide() async throws {
        try await AdminTests.withAdmin(brokers: 2) { _, admin in
            let altered = await admin.incrementalAlterConfigs([
                .broker(2): [.set(name: "log.retention.bytes", value: "1048576")],
                .brokerDefaults: [.set(name: "min.insync.replicas", value: "2")],
                .broker(1): [.set(name: "num.partitions", value: "4")],
            ])
            #expect(throws: Never.self) { try #require(altered[.broker(2)]).get() }
            #expect(throws: Never.self) { try #require(altered[.brokerDefaults]).get() }
            guard case .failure(let readOnly) = altered[.broker(1)] else {
                Issue.record("a static broker config was changed")
                return
            }
            #expect(readOnly.code == .invalidRequest)
            #expect(readOnly.resourceKind == .broker)
            #expect(readOnly.resourceName == "1")

            let two = try await Self.configs(admin, .broker(2), synonyms: true)
            #expect(two["log.retention.bytes"]?.value == "1048576")
            #expect(two["log.retention.bytes"]?.source == .dynamicBrokerConfig)
            #expect(two["min.insync.replicas"]?.value == "2")
            #expect(two["min.insync.replicas"]?.source == .dynamicDefaultBrokerConfig)
            let one = try await Self.configs(admin, .broker(1))
            #expect(one["log.retention.bytes"]?.isDefault == true)
            let defaults = try await Self.configs(admin, .brokerDefaults)
            #expect(defaults.keys.sorted() == ["min.insync.replicas"])
        }
    }

    @Test func aBadBrokerNameFailsWithoutBeingSent() async throws {
        try await AdminTests.withAdmin(brokers: 1, topics: ["t": 1]) { cluster, admin in
            let bad = ConfigResource(type: .broker, name: "not-a-number")
            let results = await admin.describeConfigs([bad, .topic("t")])
            guard case .failure(let error) = results[bad] else {
                Issue.record("a broker named by a non-number was described")
                return
            }
            #expect(error.code == .invalidRequest)
            #expect(throws: Never.self) { try #require(results[.topic("t")]).get() }
            #expect(cluster.requestCount(.describeConfigs) == 1)
        }
    }
}
