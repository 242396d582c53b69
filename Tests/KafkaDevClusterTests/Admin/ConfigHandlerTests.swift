import KafkaProtocol
import Testing

@testable import KafkaDevCluster

/// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs through ``HandlerHarness``.
@Suite(.timeLimit(.minutes(5))) struct ConfigHandlerTests {
    static func harnessWithTopic(_ overrides: [String: String] = [:]) -> HandlerHarness {
        var harness = HandlerHarness()
        harness.state.createTopic("cfg", partitions: 1, replicationFactor: 1, configs: overrides)
        return harness
    }

    static func describe(
        _ type: Int8 = 2, _ name: String = "cfg", keys: [String]? = nil, synonyms: Bool = false,
        documentation: Bool = false
    ) -> DescribeConfigsRequest {
        DescribeConfigsRequest(
            resources: [.init(resourceType: type, resourceName: name, configurationKeys: keys)],
            includeSynonyms: synonyms, includeDocumentation: documentation)
    }

    @Test func describeDefaultsAndOverridesAtVersionFour() throws {
        var harness = Self.harnessWithTopic(["retention.ms": "1000"])
        let response = try harness.respond(
            DescribeConfigsHandler.self, Self.describe(synonyms: true, documentation: true), version: 4)
        let result = try #require(response.results.first)
        #expect(result.errorCode == 0)
        #expect(result.configs.count == TopicConfigs.all.count)
        let retention = try #require(result.configs.first { $0.name == "retention.ms" })
        #expect(retention.value == "1000")
        #expect(retention.configSource == DevConfigSource.dynamicTopicConfig.rawValue)
        #expect(retention.synonyms.map(\.source) == [1, 5])
        #expect(retention.synonyms.last?.name == "log.retention.ms")
        #expect(retention.configType == DevConfigType.long.rawValue)
        #expect(retention.documentation?.isEmpty == false)
        let segment = try #require(result.configs.first { $0.name == "segment.bytes" })
        #expect(segment.value == "1073741824")
        #expect(segment.configSource == DevConfigSource.defaultConfig.rawValue)
        #expect(segment.readOnly == false && segment.isSensitive == false)
    }

    @Test func describeAtVersionZeroUsesIsDefaultAndFiltersKeys() throws {
        var harness = Self.harnessWithTopic(["cleanup.policy": "compact"])
        let response = try harness.respond(
            DescribeConfigsHandler.self, Self.describe(keys: ["cleanup.policy", "min.insync.replicas", "nope"]),
            version: 0)
        let configs = try #require(response.results.first?.configs)
        #expect(configs.map(\.name) == ["cleanup.policy", "min.insync.replicas"])
        #expect(configs.map(\.isDefault) == [false, true])
        #expect(configs.map(\.value) == ["compact", "1"])
    }

    @Test func describeErrorsAndBrokers() throws {
        var harness = Self.harnessWithTopic()
        let request = DescribeConfigsRequest(resources: [
            .init(resourceType: 2, resourceName: "missing", configurationKeys: nil),
            .init(
                resourceType: 4, resourceName: "1",
                configurationKeys: ["num.partitions", "node.id", "message.max.bytes"]),
            .init(resourceType: 4, resourceName: "2", configurationKeys: nil),
            .init(resourceType: 8, resourceName: "1", configurationKeys: nil),
            .init(resourceType: 3, resourceName: "g", configurationKeys: nil),
        ])
        let response = try harness.respond(DescribeConfigsHandler.self, request, version: 1, broker: 1)
        #expect(
            response.results.map(\.errorCode) == [
                KafkaErrorCode.unknownTopicOrPartition.rawValue, 0, KafkaErrorCode.invalidRequest.rawValue, 0,
                KafkaErrorCode.invalidRequest.rawValue,
            ])
        let broker = response.results[1].configs
        #expect(broker.map(\.name) == ["message.max.bytes", "node.id", "num.partitions"])
        #expect(broker.map(\.value) == ["1048588", "1", "1"])
        #expect(broker.first { $0.name == "node.id" }?.readOnly == true)
        #expect(response.results[3].configs.first?.name == "root")
    }

    @Test func alterConfigsReplacesOverrides() throws {
        var harness = Self.harnessWithTopic(["retention.ms": "1000", "cleanup.policy": "compact"])
        let request = AlterConfigsRequest(resources: [
            .init(resourceType: 2, resourceName: "cfg", configs: [.init(name: "max.message.bytes", value: "2048")])
        ])
        let response = try harness.respond(AlterConfigsHandler.self, request, version: 0)
        #expect(response.responses.map(\.errorCode) == [0])
        #expect(harness.state.topics["cfg"]?.configs == ["max.message.bytes": "2048"])

        let bad = AlterConfigsRequest(resources: [
            .init(resourceType: 2, resourceName: "cfg", configs: [.init(name: "message.timestamp.type", value: "Now")]),
            .init(resourceType: 2, resourceName: "missing", configs: []),
        ])
        let badResponse = try harness.respond(AlterConfigsHandler.self, bad, version: 2)
        #expect(
            badResponse.responses.map(\.errorCode) == [
                KafkaErrorCode.invalidConfig.rawValue, KafkaErrorCode.unknownTopicOrPartition.rawValue,
            ])
        #expect(badResponse.responses.first?.errorMessage?.contains("CreateTime") == true)

        let dry = AlterConfigsRequest(
            resources: [.init(resourceType: 2, resourceName: "cfg", configs: [])], validateOnly: true)
        #expect(try harness.respond(AlterConfigsHandler.self, dry).responses.map(\.errorCode) == [0])
        #expect(harness.state.topics["cfg"]?.configs == ["max.message.bytes": "2048"])
    }

    @Test func alterBrokerConfigs() throws {
        var harness = HandlerHarness()
        let request = AlterConfigsRequest(resources: [
            .init(resourceType: 4, resourceName: "1", configs: [.init(name: "message.max.bytes", value: "5000")]),
            .init(resourceType: 4, resourceName: "", configs: [.init(name: "num.partitions", value: "5")]),
        ])
        let response = try harness.respond(AlterConfigsHandler.self, request, broker: 1)
        #expect(response.responses.map(\.errorCode) == [0, KafkaErrorCode.invalidRequest.rawValue])
        #expect(harness.state.brokerConfigs[1] == ["message.max.bytes": "5000"])
        let described = try harness.respond(
            DescribeConfigsHandler.self, Self.describe(4, "1", keys: ["message.max.bytes"], synonyms: true), broker: 1)
        let entry = try #require(described.results.first?.configs.first)
        #expect(entry.value == "5000")
        #expect(entry.configSource == DevConfigSource.dynamicBrokerConfig.rawValue)
    }

    static func incremental(_ updates: [(String, Int8, String?)], validateOnly: Bool = false)
        -> IncrementalAlterConfigsRequest
    {
        IncrementalAlterConfigsRequest(
            resources: [
                .init(
                    resourceType: 2, resourceName: "cfg",
                    configs: updates.map { .init(name: $0.0, configOperation: $0.1, value: $0.2) })
            ], validateOnly: validateOnly)
    }

    @Test func incrementalSetDeleteAppendSubtract() throws {
        var harness = Self.harnessWithTopic(["retention.ms": "1000"])
        var response = try harness.respond(
            IncrementalAlterConfigsHandler.self,
            Self.incremental([("segment.ms", 0, "5000"), ("retention.ms", 1, nil), ("cleanup.policy", 2, "compact")]),
            version: 0)
        #expect(response.responses.map(\.errorCode) == [0])
        #expect(harness.state.topics["cfg"]?.configs == ["segment.ms": "5000", "cleanup.policy": "delete,compact"])

        response = try harness.respond(
            IncrementalAlterConfigsHandler.self, Self.incremental([("cleanup.policy", 3, "delete")]), version: 1)
        #expect(response.responses.map(\.errorCode) == [0])
        #expect(harness.state.topics["cfg"]?.configs["cleanup.policy"] == "compact")
        #expect(harness.state.topicConfig("cfg", "cleanup.policy") == "compact")
        #expect(harness.state.topicConfig("cfg", "max.message.bytes") == "1048588")
    }

    @Test func incrementalErrorsChangeNothing() throws {
        var harness = Self.harnessWithTopic(["retention.ms": "1000"])
        let cases: [([(String, Int8, String?)], KafkaErrorCode)] = [
            ([("retention.ms", 2, "5")], .invalidConfig),
            ([("segment.ms", 0, "0")], .invalidConfig),
            ([("unknown.config", 0, "1")], .invalidConfig),
            ([("retention.ms", 0, nil)], .invalidRequest),
            ([("retention.ms", 7, "1")], .invalidRequest),
            ([("retention.ms", 0, "1"), ("retention.ms", 1, nil)], .invalidRequest),
            ([("segment.ms", 0, "77"), ("cleanup.policy", 2, "bogus")], .invalidConfig),
        ]
        for (updates, expected) in cases {
            let response = try harness.respond(IncrementalAlterConfigsHandler.self, Self.incremental(updates))
            #expect(response.responses.first?.errorCode == expected.rawValue, "\(updates)")
            #expect(response.responses.first?.errorMessage != nil)
        }
        let dry = try harness.respond(
            IncrementalAlterConfigsHandler.self, Self.incremental([("retention.ms", 0, "5")], validateOnly: true))
        #expect(dry.responses.first?.errorCode == 0)
        #expect(harness.state.topics["cfg"]?.configs == ["retention.ms": "1000"])
    }

    @Test func catalogueValidation() {
        #expect((try? TopicConfigs.validate(name: "preallocate", value: " TRUE ").get()) == "true")
        #expect((try? TopicConfigs.validate(name: "min.cleanable.dirty.ratio", value: "1.5").get()) == nil)
        #expect((try? TopicConfigs.validate(name: "compression.type", value: "zstd").get()) == "zstd")
        #expect((try? TopicConfigs.validate(name: "max.message.bytes", value: "99999999999").get()) == nil)
        #expect(TopicConfigs.all.map(\.name) == TopicConfigs.all.map(\.name).sorted())
        for definition in TopicConfigs.all {
            if let value = definition.defaultValue {
                #expect((try? definition.validate(value).get()) != nil, "default of \(definition.name)")
            }
        }
    }
}
