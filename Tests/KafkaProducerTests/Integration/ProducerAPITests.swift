import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Logging
import Metrics
import MetricsTestKit
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Testing

@testable import KafkaProducer

/// The producer's API on the mock cluster: bad input, flush, close, interceptors, metrics, the Service conformance
/// and the buffer.memory bound.
@Suite("Producer API", .serialized, .timeLimit(.minutes(5)))
struct ProducerAPITests {
    @Test func aRecordOverMaxRequestSizeFailsAloneAndNamesTheTopic() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["max.request.size": "2000", "linger.ms": "50"])
        let collector = OutcomeCollector()
        try await producer.send(test.record(0, keyed: false), completion: collector.handler(for: 0))
        await #expect {
            try await producer.send(ProducerRecord(topic: test.topic, value: ByteBuffer(repeating: 1, count: 5000)))
        } throws: { error in
            guard let error = error as? KafkaProducerError else { return false }
            return error.kind == .recordTooLarge && error.topic == test.topic && "\(error)".contains("events")
        }
        try await producer.send(test.record(1, keyed: false), completion: collector.handler(for: 1))
        await producer.close()
        let results = collector.snapshot
        #expect(results.count == 2)
        #expect(results.values.allSatisfy { (try? $0.get()) != nil })
        await #expect(try test.readBack().count == 2)
    }

    @Test func anUnknownTopicFailsAfterMaxBlockNamingIt() async throws {
        // librdkafka's mock cluster creates any topic asked for; a dev cluster without auto-creation answers
        // UNKNOWN_TOPIC_OR_PARTITION.
        var brokerConfiguration = DevClusterConfiguration()
        brokerConfiguration.autoCreateTopics = false
        let broker = try await DevCluster(configuration: brokerConfiguration)
        let producer = try KafkaProducer(
            configuration: try KafkaProducerConfiguration(properties: [
                "bootstrap.servers": broker.bootstrapServers, "max.block.ms": "300", "retry.backoff.ms": "20",
            ]))
        await #expect {
            try await producer.send(ProducerRecord(topic: "", value: ByteBuffer(string: "x")))
        } throws: { ($0 as? KafkaProducerError)?.kind == .invalidRecord }
        let start = ContinuousClock.now
        await #expect {
            try await producer.send(ProducerRecord(topic: "no-such-topic", value: ByteBuffer(string: "x")))
        } throws: { error in
            guard let error = error as? KafkaProducerError else { return false }
            return error.kind == .unknownTopic && error.topic == "no-such-topic"
                && "\(error)".contains("no-such-topic") && "\(error)".contains("300 ms")
        }
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(300) && waited < .seconds(20))
        await producer.close()
        await broker.shutdown()
    }

    @Test func anExplicitPartitionOutOfRangeIsRejected() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer()
        await #expect {
            try await producer.send(ProducerRecord(topic: test.topic, partition: 6, value: ByteBuffer()))
        } throws: { error in
            guard let error = error as? KafkaProducerError else { return false }
            return error.kind == .invalidPartition && error.topic == test.topic
        }
        await producer.close()
    }

    @Test func aClosedProducerRejectsSends() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer()
        try await producer.send(test.record(0, keyed: true))
        await producer.close()
        await producer.close()  // a second close returns at once
        await #expect {
            try await producer.send(test.record(1, keyed: true))
        } throws: { error in
            guard let error = error as? KafkaProducerError else { return false }
            return error.kind == .closed && error.topic == test.topic
        }
        await #expect(try test.readBack().count == 1)
    }

    @Test func flushDeliversLingeringRecordsAtOnce() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["linger.ms": "60000", "batch.size": "1000000"])
        let collector = OutcomeCollector()
        for index in 0..<50 {
            try await producer.send(test.record(index, keyed: false), completion: collector.handler(for: index))
        }
        #expect(collector.snapshot.isEmpty, "records were sent before linger.ms or a flush")
        let start = ContinuousClock.now
        await producer.flush()
        #expect(ContinuousClock.now - start < .seconds(30), "flushed, not sent at linger.ms")
        #expect(collector.snapshot.count == 50)
        await producer.close()
    }

    @Test func closeWithZeroTimeoutFailsWhatCannotBeDelivered() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["linger.ms": "60000", "batch.size": "1000000"])
        let collector = OutcomeCollector()
        for index in 0..<20 {
            try await producer.send(test.record(index, keyed: false), completion: collector.handler(for: index))
        }
        await producer.close(timeout: .zero)
        let results = collector.snapshot
        #expect(results.count == 20, "every record handed over gets an outcome")
        for result in results.values {
            guard case .failure(let error) = result else { continue }
            #expect(error.kind == .closed || error.kind == .deliveryTimedOut)
            #expect(error.topic == test.topic)
        }
    }

    @Test func interceptorsSeeAndChangeRecordsAndEveryOutcome() async throws {
        let test = try ProducerTestCluster()
        let interceptor = RecordingInterceptor()
        let producer = try test.makeProducer(["max.request.size": "2000"], interceptors: [interceptor])
        for index in 0..<10 { try await producer.send(test.record(index, keyed: true)) }
        _ = try? await producer.send(ProducerRecord(topic: test.topic, value: ByteBuffer(repeating: 0, count: 4000)))
        await producer.close()
        let state = interceptor.state.withLockedValue { $0 }
        #expect(state.sent == 11)
        #expect(state.acknowledged == 10)
        #expect(state.failed == 1)
        #expect(state.closed == 1)
        let read = try await test.readBack()
        #expect(read.count == 10)
        #expect(read.allSatisfy { $0.headers.contains(KcatHeader(key: "intercepted", value: Array("yes".utf8))) })
    }

    struct Order: Codable, Equatable {
        var id: String
        var total: Int
    }

    @Test func serializersRunOnTheCallersTaskAndFailClearly() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer()
        let orders = producer.serializing(keys: StringSerializer(), values: JSONSerializer<Order>())
        let sent = try await orders.send(topic: test.topic, key: "order-1", value: Order(id: "order-1", total: 12))
        let tombstone = try await orders.send(topic: test.topic, key: "order-1", value: nil)
        #expect(tombstone.partition == sent.partition)
        let numbers = producer.serializing(keys: StringSerializer(), values: IntegerSerializer<Int64>())
        try await numbers.send(topic: test.topic, partition: 0, key: nil, value: -1)
        let failing = producer.serializing(keys: StringSerializer(), values: FailingSerializer())
        await #expect {
            try await failing.send(topic: test.topic, key: "k", value: 1)
        } throws: { error in
            guard let error = error as? KafkaProducerError else { return false }
            return error.kind == .invalidRecord && error.topic == test.topic && "\(error)".contains("value")
        }
        await producer.close()
        let read = try await test.readBack()
        let keyed = read.filter { $0.key == Array("order-1".utf8) }.sorted { $0.offset < $1.offset }
        try #require(keyed.count == 2)
        let decoded = try JSONSerializer<Order>().deserialize(ByteBuffer(bytes: keyed[0].value ?? []), topic: "t")
        #expect(decoded == Order(id: "order-1", total: 12))
        #expect(keyed[1].value == nil)
        #expect(read.contains { $0.partition == 0 && $0.value == [UInt8](repeating: 0xFF, count: 8) })
    }

    @Test func metricsCountRecordsBytesAndBatches() async throws {
        let test = try ProducerTestCluster()
        let metrics = TestMetrics()
        let producer = try KafkaProducer(
            configuration: try KafkaProducerConfiguration(properties: [
                "bootstrap.servers": test.cluster.bootstrapServers, "client.id": "metrics-test",
            ]),
            metricsFactory: metrics)
        _ = try await test.produce((0..<100).map { test.record($0, keyed: true) }, with: producer)
        await producer.close()
        let sent = try metrics.expectCounter("kafka_producer_records_sent_total", [("client_id", "metrics-test")])
        #expect(sent.totalValue == 100)
        let bytes = try metrics.expectCounter("kafka_producer_bytes_sent_total", [("client_id", "metrics-test")])
        #expect(bytes.totalValue > 100 * 5)
        let batches = try metrics.expectRecorder("kafka_producer_batch_records", [("client_id", "metrics-test")])
        #expect(batches.values.reduce(0, +) == 100)
        let latency = try metrics.expectTimer("kafka_producer_record_latency", [("client_id", "metrics-test")])
        #expect(latency.values.count == batches.values.count, "one latency per acknowledged batch")
        #expect(latency.values.allSatisfy { $0 > 0 })
    }

    @Test func gracefulShutdownOfTheServiceGroupFlushes() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["linger.ms": "60000", "batch.size": "1000000"])
        let group = ServiceGroup(
            services: [producer], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let collector = OutcomeCollector()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for index in 0..<30 {
                try await producer.send(test.record(index, keyed: false), completion: collector.handler(for: index))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let results = collector.snapshot
        #expect(results.count == 30)
        #expect(results.values.allSatisfy { (try? $0.get()) != nil })
        await #expect(try test.readBack().count == 30)
    }

    @Test func bufferMemoryBoundsWhatIsQueuedAndSendWaitsInsteadOfFailing() async throws {
        let test = try ProducerTestCluster()
        for broker in Int32(1)...3 { try test.cluster.setRoundTripDelay(broker: broker, milliseconds: 50) }
        let bufferMemory = 256 * 1024
        let producer = try test.makeProducer([
            "buffer.memory": "\(bufferMemory)", "batch.size": "16384", "max.request.size": "65536",
            "max.block.ms": "60000", "acks": "1",
        ])
        let collector = OutcomeCollector()
        let value = ByteBuffer(repeating: 0x61, count: 1000)
        var highWater = 0
        var waited = Duration.zero
        for index in 0..<3000 {
            let start = ContinuousClock.now
            try await producer.send(
                ProducerRecord(topic: test.topic, value: value), completion: collector.handler(for: index))
            waited += ContinuousClock.now - start
            highWater = max(highWater, bufferMemory - producer.accumulator.pool.availableMemory)
        }
        await producer.flush()
        await producer.close()
        #expect(highWater <= bufferMemory)
        #expect(highWater > bufferMemory / 2, "the test should fill the buffer (high water \(highWater))")
        #expect(waited > .milliseconds(100), "send should have waited for memory (waited \(waited))")
        let results = collector.snapshot
        #expect(results.count == 3000)
        #expect(results.values.allSatisfy { (try? $0.get()) != nil }, "no record may fail early")
    }
}

/// A serializer that always fails.
struct FailingSerializer: KafkaSerializer {
    struct Failure: Error {}

    func serialize(_ value: Int, topic: String) throws -> ByteBuffer { throw Failure() }
}

/// Adds a header to every record and counts what it sees.
final class RecordingInterceptor: ProducerInterceptor {
    struct State {
        var sent = 0
        var acknowledged = 0
        var failed = 0
        var closed = 0
    }

    let state = NIOLockedValueBox(State())

    func onSend(_ record: ProducerRecord) throws -> ProducerRecord {
        state.withLockedValue { $0.sent += 1 }
        var record = record
        record.headers = [RecordHeader(key: "intercepted", value: ByteBuffer(string: "yes"))]
        return record
    }

    func onAcknowledgement(_ result: Result<RecordMetadata, KafkaProducerError>) {
        state.withLockedValue { state in
            switch result {
            case .success: state.acknowledged += 1
            case .failure: state.failed += 1
            }
        }
    }

    func close() {
        state.withLockedValue { $0.closed += 1 }
    }
}
