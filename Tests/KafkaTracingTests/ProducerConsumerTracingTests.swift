import InMemoryTracing
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing
import Tracing

/// Tracing end to end on the dev cluster: the producer's `send` spans, their context in the record headers, the
/// consumer's `process` spans in the producer's trace, and the application's spans continuing it.
@Suite("Tracing across producer and consumer on the dev cluster", .timeLimit(.minutes(5)))
struct ProducerConsumerTracingTests {
    let topic = TracingTests.topic

    @Test func recordSentInASpanIsProcessedInASpanOfTheSameTrace() async throws {
        try await TracingTests.withCluster { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer)
            let metadata = try await tracer.withSpan("checkout") { _ in
                try await producer.send(ProducerRecord(topic: topic, key: "order-1", value: "hello"))
            }
            await producer.close()

            let checkout = try #require(TracingTests.spans(tracer, named: "checkout").first)
            let send = try #require(TracingTests.spans(tracer, named: "send \(topic)").first)
            #expect(send.kind == .producer)
            #expect(send.traceID == checkout.traceID)
            #expect(send.parentSpanID == checkout.spanID)
            #expect(send.errors.isEmpty)
            #expect(send.status == nil)
            let sent = send.attributes
            #expect(sent.get("messaging.system") == .string("kafka"))
            #expect(sent.get("messaging.destination.name") == .string(topic))
            #expect(sent.get("messaging.destination.partition.id") == .string(String(metadata.partition)))
            #expect(sent.get("messaging.kafka.offset") == .int64(metadata.offset))
            #expect(sent.get("messaging.operation.type") == .string("send"))
            #expect(sent.get("messaging.operation.name") == .string("send"))
            #expect(sent.get("messaging.client.id") == .string("traced-producer"))
            #expect(sent.get("messaging.kafka.message.key") == .string("order-1"))
            #expect(sent.get("messaging.message.body.size") == .int64(5))
            #expect(sent.get("messaging.kafka.message.tombstone") == nil)

            let consumer = try TracingTests.consumer(cluster, tracer: tracer)
            let record = try await withTimeout(.seconds(60)) { () -> ConsumerRecord? in
                for try await record in consumer.records {
                    let context = try #require(record.serviceContext)
                    tracer.withSpan("handle order", context: context) { _ in }
                    return record
                }
                return nil
            }
            await consumer.close()
            let consumed = try #require(record)
            #expect(String(buffer: try #require(consumed.value)) == "hello")
            #expect(try TracingTests.headerKeys(consumed).contains(InMemoryTracer.traceIDKey))

            // The loop was left: its iterator ended the record's span.
            let process = try #require(TracingTests.spans(tracer, named: "process \(topic)").first)
            #expect(process.kind == .consumer)
            #expect(process.traceID == checkout.traceID)
            #expect(process.parentSpanID == send.spanID)
            let processed = process.attributes
            #expect(processed.get("messaging.system") == .string("kafka"))
            #expect(processed.get("messaging.destination.name") == .string(topic))
            #expect(processed.get("messaging.destination.partition.id") == .string("0"))
            #expect(processed.get("messaging.kafka.offset") == .int64(consumed.offset))
            #expect(processed.get("messaging.consumer.group.name") == .string("traced-group"))
            #expect(processed.get("messaging.client.id") == .string("traced-consumer"))
            #expect(processed.get("messaging.operation.type") == .string("process"))
            #expect(processed.get("messaging.operation.name") == .string("process"))
            #expect(processed.get("messaging.kafka.message.key") == .string("order-1"))
            #expect(processed.get("messaging.message.body.size") == .int64(5))

            let handle = try #require(TracingTests.spans(tracer, named: "handle order").first)
            #expect(handle.traceID == checkout.traceID)
            #expect(handle.parentSpanID == process.spanID)
            #expect(tracer.activeSpans.isEmpty)
        }
    }

    @Test func aRecordsSpanEndsWhenTheLoopAsksForTheNextRecord() async throws {
        try await TracingTests.withCluster { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer)
            for index in 0..<2 { try await producer.send(ProducerRecord(topic: topic, key: nil, value: "v\(index)")) }
            await producer.close()
            let consumer = try TracingTests.consumer(cluster, tracer: tracer)
            let observed = try await withTimeout(.seconds(60)) { () -> [(open: Int, finished: Int)] in
                var observed: [(open: Int, finished: Int)] = []
                for try await _ in consumer.records {
                    observed.append(
                        (
                            tracer.activeSpans.filter { $0.operationName == "process \(topic)" }.count,
                            TracingTests.spans(tracer, named: "process \(topic)").count
                        ))
                    if observed.count == 2 { break }
                }
                return observed
            }
            await consumer.close()
            // While the body runs, its record's span is open and the previous record's has ended.
            #expect(observed.map(\.open) == [1, 1])
            #expect(observed.map(\.finished) == [0, 1])
            #expect(TracingTests.spans(tracer, named: "process \(topic)").count == 2)
        }
    }

    @Test func batchesRunOneSpanPerRecordEndedWhenTheNextBatchIsAskedFor() async throws {
        try await TracingTests.withCluster { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer)
            for index in 0..<3 {
                _ = try await tracer.withSpan("request \(index)") { _ in
                    try await producer.send(ProducerRecord(topic: topic, key: nil, value: "v\(index)"))
                }
            }
            await producer.close()
            let sends = TracingTests.spans(tracer, named: "send \(topic)")
            #expect(sends.count == 3)

            let consumer = try TracingTests.consumer(cluster, tracer: tracer)
            let (records, openWhileHeld) = try await withTimeout(.seconds(60)) {
                () -> ([ConsumerRecord], Int) in
                var records: [ConsumerRecord] = []
                var openWhileHeld = 0
                for try await batch in consumer.batches {
                    openWhileHeld = max(openWhileHeld, tracer.activeSpans.count)
                    records += batch
                    if records.count == 3 { break }
                }
                return (records, openWhileHeld)
            }
            await consumer.close()
            #expect(records.count == 3)
            #expect(openWhileHeld >= 1)  // a batch's spans are open while the application holds it
            #expect(tracer.activeSpans.isEmpty)
            let processes = TracingTests.spans(tracer, named: "process \(topic)")
            #expect(processes.count == 3)
            for (index, record) in records.enumerated() {
                let request = try #require(TracingTests.spans(tracer, named: "request \(index)").first)
                let send = try #require(sends.first { $0.parentSpanID == request.spanID })
                let process = try #require(
                    processes.first { $0.attributes.get("messaging.kafka.offset") == .int64(record.offset) })
                #expect(process.traceID == request.traceID)
                #expect(process.parentSpanID == send.spanID)
                #expect(record.serviceContext?.inMemorySpanContext?.spanID == process.spanID)
                #expect(process.attributes.get("messaging.kafka.message.key") == nil)  // a null key
            }
        }
    }

    @Test func pollExposesTheRecordsContextWithoutSpansOfItsOwn() async throws {
        try await TracingTests.withCluster { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer)
            _ = try await tracer.withSpan("request") { _ in
                try await producer.send(ProducerRecord(topic: topic, key: "k", value: nil))
            }
            await producer.close()
            let send = try #require(TracingTests.spans(tracer, named: "send \(topic)").first)
            #expect(send.attributes.get("messaging.kafka.message.tombstone") == .bool(true))
            #expect(send.attributes.get("messaging.message.body.size") == nil)

            let consumer = try TracingTests.consumer(cluster, tracer: tracer)
            let records = try await TracingTests.poll(consumer, count: 1)
            await consumer.close()
            let record = try #require(records.first)
            let context = try #require(record.serviceContext)
            #expect(context.inMemorySpanContext?.traceID == send.traceID)
            #expect(context.inMemorySpanContext?.spanID == send.spanID)
            #expect(TracingTests.spans(tracer, named: "process \(topic)").isEmpty)
        }
    }

    @Test func withTracingOffNothingIsInjectedAndNoSpanStarts() async throws {
        try await TracingTests.withCluster { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer, tracing: false)
            _ = try await tracer.withSpan("request") { _ in
                try await producer.send(ProducerRecord(topic: topic, key: "k", value: "v"))
            }
            await producer.close()
            let consumer = try TracingTests.consumer(cluster, tracer: tracer, tracing: false)
            let record = try await withTimeout(.seconds(60)) { () -> ConsumerRecord? in
                for try await record in consumer.records { return record }
                return nil
            }
            await consumer.close()
            let consumed = try #require(record)
            #expect(consumed.headers.isEmpty)
            #expect(consumed.serviceContext == nil)
            #expect(tracer.performedContextInjections.isEmpty)
            #expect(tracer.performedContextExtractions.isEmpty)
            #expect(tracer.finishedSpans.map(\.operationName) == ["request"])
            #expect(tracer.activeSpans.isEmpty)
        }
    }

    @Test func aConsumerWithTracingOnProcessesUntracedRecordsInTheIteratingTasksTrace() async throws {
        try await TracingTests.withCluster { cluster in
            let tracer = InMemoryTracer()
            let producer = try TracingTests.producer(cluster, tracer: tracer, tracing: false)
            try await producer.send(ProducerRecord(topic: topic, key: "k", value: "v"))
            await producer.close()
            let consumer = try TracingTests.consumer(cluster, tracer: tracer)
            try await tracer.withSpan("consume loop") { _ in
                for try await _ in consumer.records { break }
            }
            await consumer.close()
            let loop = try #require(TracingTests.spans(tracer, named: "consume loop").first)
            let process = try #require(TracingTests.spans(tracer, named: "process \(topic)").first)
            #expect(process.traceID == loop.traceID)
            #expect(process.parentSpanID == loop.spanID)
        }
    }
}
