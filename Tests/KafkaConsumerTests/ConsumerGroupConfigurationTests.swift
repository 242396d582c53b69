import KafkaConsumer
import KafkaNetwork
import Testing

@Suite(.timeLimit(.minutes(5))) struct ConsumerGroupConfigurationTests {
    let base = ["bootstrap.servers": "localhost:9092"]

    func configuration(_ extra: [String: String]) throws -> KafkaConsumerConfiguration {
        try KafkaConsumerConfiguration(properties: base.merging(extra) { $1 })
    }

    @Test func groupSettingsUseJavaNamesAndDefaults() throws {
        let defaults = try configuration([:])
        #expect(defaults.sessionTimeout == .seconds(45) && defaults.heartbeatInterval == .seconds(3))
        #expect(defaults.maxPollInterval == .seconds(300) && defaults.enableAutoCommit)
        #expect(defaults.autoCommitInterval == .seconds(5))
        #expect(defaults.assignors.map(\.name) == ["range", "cooperative-sticky"])

        let custom = try configuration([
            "group.id": "g", "group.instance.id": "i-1", "session.timeout.ms": "10000",
            "heartbeat.interval.ms": "500", "max.poll.interval.ms": "60000", "enable.auto.commit": "false",
            "auto.commit.interval.ms": "250", "client.rack": "r1",
            "partition.assignment.strategy":
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor, roundrobin,sticky",
        ])
        #expect(custom.groupInstanceId == "i-1" && custom.clientRack == "r1")
        #expect(custom.sessionTimeout == .seconds(10) && custom.heartbeatInterval == .milliseconds(500))
        #expect(custom.maxPollInterval == .seconds(60) && !custom.enableAutoCommit)
        #expect(custom.autoCommitInterval == .milliseconds(250))
        #expect(custom.assignors.map(\.name) == ["cooperative-sticky", "roundrobin", "sticky"])
    }

    @Test(arguments: [
        ["partition.assignment.strategy": "fancy"],
        ["partition.assignment.strategy": " , "],
        ["session.timeout.ms": "0"],
        ["heartbeat.interval.ms": "-5"],
        ["enable.auto.commit": "maybe"],
    ])
    func invalidGroupSettingsNameTheProperty(_ extra: [String: String]) throws {
        let name = try #require(extra.keys.first)
        #expect {
            try configuration(extra)
        } throws: { error in
            "\(error)".contains(name)
        }
    }

    @Test func heartbeatMustBeShorterThanTheSession() throws {
        let configuration = try configuration(["session.timeout.ms": "6000", "heartbeat.interval.ms": "6000"])
        #expect {
            try configuration.validate()
        } throws: { error in
            "\(error)".contains("heartbeat.interval.ms") && "\(error)".contains("session.timeout.ms")
        }
    }
}
