import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import Testing

@Suite(.timeLimit(.minutes(5))) struct ProducerConfigurationTests {
    static let bootstrap = ["bootstrap.servers": "localhost:9092"]

    static func configuration(_ extra: [String: String]) throws -> KafkaProducerConfiguration {
        try KafkaProducerConfiguration(properties: bootstrap.merging(extra) { $1 })
    }

    @Test func javaDefaults() throws {
        let configuration = try Self.configuration([:])
        #expect(configuration.acks == .all)
        #expect(configuration.batchSize == 16_384)
        #expect(configuration.linger == .milliseconds(5))
        #expect(configuration.bufferMemory == 33_554_432)
        #expect(configuration.maxBlock == .seconds(60))
        #expect(configuration.maxRequestSize == 1_048_576)
        #expect(configuration.deliveryTimeout == .seconds(120))
        #expect(configuration.compression == .none)
        #expect(configuration.isIdempotent)
        #expect(configuration.client.bootstrapServers == [BrokerAddress(host: "localhost", port: 9092)])
        try configuration.validate()
    }

    @Test func producerAndClientPropertiesTogether() throws {
        let configuration = try Self.configuration([
            "acks": "1", "linger.ms": "20", "batch.size": "65536", "compression.type": "zstd",
            "compression.zstd.level": "6", "client.id": "orders-service", "request.timeout.ms": "15000",
            "max.block.ms": "500", "partitioner.ignore.keys": "true", "key.serializer": "org.apache.Foo",
        ])
        #expect(configuration.acks == .leader)
        #expect(configuration.acks.wireValue == 1)
        #expect(configuration.linger == .milliseconds(20))
        #expect(configuration.batchSize == 65_536)
        #expect(configuration.compression == .zstd)
        #expect(configuration.compressionLevel == 6)
        #expect(configuration.client.clientID == "orders-service")
        #expect(configuration.client.requestTimeout == .seconds(15))
        #expect(configuration.maxBlock == .milliseconds(500))
        #expect(configuration.partitionerIgnoreKeys)
    }

    @Test(arguments: [
        ("acks", "2"), ("linger.ms", "-1"), ("batch.size", "big"), ("compression.type", "brotli"),
        ("enable.idempotence", "maybe"), ("buffer.memory", "0"),
    ])
    func invalidValuesNameTheProperty(_ name: String, _ value: String) throws {
        let error = try #require(throws: KafkaConfigurationError.self) { try Self.configuration([name: value]) }
        #expect(error.property == name)
        #expect(error.message.contains(name))
        #expect(error.message.contains(value))
    }

    @Test func unknownPropertyIsAnError() throws {
        let error = try #require(throws: KafkaConfigurationError.self) { try Self.configuration(["lingr.ms": "5"]) }
        #expect(error.property == "lingr.ms")
    }

    @Test func idempotenceConflictsAsInJava() throws {
        // Left at its default, a conflicting setting silently turns idempotence off …
        let implicit = try Self.configuration(["acks": "1"])
        #expect(!implicit.isIdempotent)
        try implicit.validate()
        // … set explicitly, the conflict is an error naming the setting.
        let explicit = try Self.configuration(["acks": "1", "enable.idempotence": "true"])
        let error = try #require(throws: KafkaConfigurationError.self) { try explicit.validate() }
        #expect(error.property == "enable.idempotence")
        #expect(error.message.contains("acks"))
        let inFlight = try Self.configuration(["max.in.flight.requests.per.connection": "6"])
        #expect(!inFlight.isIdempotent)
        let transactional = try Self.configuration(["transactional.id": "t", "enable.idempotence": "false"])
        #expect(throws: KafkaConfigurationError.self) { try transactional.validate() }
    }

    @Test func deliveryTimeoutMustCoverLingerAndRequestTimeout() throws {
        let configuration = try Self.configuration([
            "delivery.timeout.ms": "1000", "linger.ms": "100", "request.timeout.ms": "30000",
        ])
        let error = try #require(throws: KafkaConfigurationError.self) { try configuration.validate() }
        #expect(error.property == "delivery.timeout.ms")
    }
}
