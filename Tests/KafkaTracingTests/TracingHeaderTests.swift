import InMemoryTracing
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing
import Tracing

/// What the tracing writes into and reads from record headers.
@Suite("Tracing headers", .timeLimit(.minutes(5)))
struct TracingHeaderTests {
    let topic = TracingTests.topic

    @Test func aForwardedRecordCarriesItsNewSpanInPlaceOfTheFormerOne() async throws {
        try await TracingTests.withCluster { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer)
            let stale = [
                RecordHeader(key: InMemoryTracer.traceIDKey, value: ByteBuffer(string: "stale-trace")),
                RecordHeader(key: "order-id", value: ByteBuffer(string: "42")),
            ]
            try await producer.send(ProducerRecord(topic: topic, key: nil, value: "v", headers: stale))
            await producer.close()
            let send = try #require(TracingTests.spans(tracer, named: "send \(topic)").first)

            let consumer = try TracingTests.consumer(cluster, tracer: tracer, tracing: false)
            let record = try #require(try await TracingTests.poll(consumer, count: 1).first)
            await consumer.close()
            let headers = try record.headers.decoded()
            let traceIDs = headers.filter { $0.key == InMemoryTracer.traceIDKey }.compactMap(\.value)
            #expect(traceIDs.map { String(buffer: $0) } == [send.traceID])
            #expect(headers.contains(RecordHeader(key: "order-id", value: ByteBuffer(string: "42"))))
        }
    }

    @Test func keysAreAttributesOnlyAsUTF8Text() {
        #expect(MessagingAttributes.keyText(Array("order-é".utf8)) == "order-é")
        #expect(MessagingAttributes.keyText([UInt8]()) == "")
        #expect(MessagingAttributes.keyText([0x6B, 0xFF, 0x6B]) == nil)
        #expect(MessagingAttributes.keyText([0xC3]) == nil)  // a truncated two-byte sequence
    }
}
