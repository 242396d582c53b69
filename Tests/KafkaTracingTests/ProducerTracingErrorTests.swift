import InMemoryTracing
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing
import Tracing

/// A send that fails ends its span with the error: before the record is handed over (refused at once, or after
/// waiting for metadata) and after (the broker's error).
@Suite("Tracing of failed sends on the dev cluster", .timeLimit(.minutes(5)))
struct ProducerTracingErrorTests {
    let topic = TracingTests.topic

    @Test func aRecordTooLargeEndsItsSpanWithTheError() async throws {
        try await TracingTests.withCluster { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer, ["max.request.size": "1000"])
            let record = ProducerRecord(topic: topic, key: nil, value: [UInt8](repeating: 7, count: 2000))
            let error = await #expect(throws: KafkaProducerError.self) { try await producer.send(record) }
            await producer.close()
            #expect(error?.kind == .recordTooLarge)
            let span = try #require(TracingTests.spans(tracer, named: "send \(topic)").first)
            Self.expectFailed(span, errorType: "recordTooLarge")
        }
    }

    @Test func aTopicMissingPastMaxBlockEndsItsSpanWithTheError() async throws {
        try await TracingTests.withCluster(configure: { $0.autoCreateTopics = false }) { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer, ["max.block.ms": "300"])
            let error = await #expect(throws: KafkaProducerError.self) {
                try await producer.send(ProducerRecord(topic: "missing", key: "k", value: "v")) { _ in
                    Issue.record("a record never handed over has no completion")
                }
            }
            await producer.close()
            #expect(error?.kind == .unknownTopic)
            let span = try #require(TracingTests.spans(tracer, named: "send missing").first)
            Self.expectFailed(span, errorType: "unknownTopic")
            #expect(tracer.activeSpans.isEmpty)
        }
    }

    @Test func aBrokerErrorEndsTheSpanWithTheErrorAndThePartition() async throws {
        try await TracingTests.withCluster { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer, ["retries": "0"])
            _ = try await producer.partitions(for: topic)  // metadata first, so that the fault hits the produce
            cluster.failNext(.produce, count: 1, error: .invalidRecord)
            let error = await #expect(throws: KafkaProducerError.self) {
                try await producer.send(ProducerRecord(topic: topic, key: "k", value: "v"))
            }
            await producer.close()
            #expect(error?.kind == .broker(.invalidRecord))
            let span = try #require(TracingTests.spans(tracer, named: "send \(topic)").first)
            Self.expectFailed(span, errorType: "INVALID_RECORD")
            #expect(span.attributes.get("messaging.destination.partition.id") == .string("0"))
            #expect(span.attributes.get("messaging.kafka.offset") == nil)
        }
    }

    @Test func propertiesTurnTracingOn() throws {
        let producer = try KafkaProducerConfiguration(properties: [
            "bootstrap.servers": "localhost:9092", "tracing.enable": "true",
        ])
        #expect(producer.enableTracing)
        #expect(!KafkaProducerConfiguration(client: producer.client).enableTracing)
        let consumer = try KafkaConsumerConfiguration(properties: [
            "bootstrap.servers": "localhost:9092", "tracing.enable": "true",
        ])
        #expect(consumer.enableTracing)
        #expect(!KafkaConsumerConfiguration(client: consumer.client).enableTracing)
        #expect(throws: KafkaConfigurationError.self) {
            try KafkaProducerConfiguration(properties: ["bootstrap.servers": "localhost:9092", "tracing.enable": "on"])
        }
    }

    /// The span ended with one recorded error, an error status and `error.type`.
    static func expectFailed(_ span: FinishedInMemorySpan, errorType: String) {
        #expect(span.kind == .producer)
        #expect(span.errors.count == 1)
        #expect(span.status?.code == .error)
        #expect(span.attributes.get("error.type") == .string(errorType))
    }
}
