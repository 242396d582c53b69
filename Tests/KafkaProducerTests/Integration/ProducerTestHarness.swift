import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import KafkaTestSupport
import MetricsTestKit
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// One record a test sent, and the outcome the producer reported for it.
struct SentRecord: Sendable {
    var index: Int
    var record: ProducerRecord
    var result: Result<RecordMetadata, KafkaProducerError>?
}

/// Collects the outcomes reported to completion handlers.
final class OutcomeCollector: Sendable {
    private let results = NIOLockedValueBox<[Int: Result<RecordMetadata, KafkaProducerError>]>([:])

    func handler(for index: Int) -> @Sendable (Result<RecordMetadata, KafkaProducerError>) -> Void {
        { result in
            self.results.withLockedValue { results in
                #expect(results[index] == nil, "record \(index) was completed twice")
                results[index] = result
            }
        }
    }

    var snapshot: [Int: Result<RecordMetadata, KafkaProducerError>] { results.withLockedValue { $0 } }
}

/// A mock cluster with one topic, and helpers to produce to it and read it back with kcat.
struct ProducerTestCluster {
    let cluster: MockKafkaCluster
    let topic: String
    let partitions: Int

    init(brokers: Int = 3, topic: String = "events", partitions: Int = 6, replicationFactor: Int = 3) throws {
        cluster = try MockKafkaCluster(brokers: brokers)
        try cluster.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor)
        self.topic = topic
        self.partitions = partitions
    }

    /// A producer on the mock; with `metrics`, its instruments (client id `mock-test`) report there, so that a
    /// fault test can assert that its fault fired (``faultsSeen(_:)``).
    func makeProducer(
        _ properties: [String: String] = [:], interceptors: [any ProducerInterceptor] = [],
        metrics: TestMetrics? = nil
    ) throws -> KafkaProducer {
        var all = [
            "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "2", "retry.backoff.ms": "20",
            "client.id": "mock-test",
        ]
        all.merge(properties) { _, new in new }
        return try KafkaProducer(
            configuration: try KafkaProducerConfiguration(properties: all), interceptors: interceptors,
            metricsFactory: metrics)
    }

    /// What the producer saw of the injected faults: batches retried and connections that could not be made.
    func faultsSeen(_ metrics: TestMetrics) -> (retries: Int64, refusedConnections: Int64) {
        let dimensions = [("client_id", "mock-test")]
        let retries = (try? metrics.expectCounter("kafka_producer_batch_retries_total", dimensions).totalValue) ?? 0
        let refused =
            (try? metrics.expectCounter("kafka_client_connection_failures_total", dimensions).totalValue) ?? 0
        return (retries, refused)
    }

    /// Record `index`: value `r-<index>`, keyed (`key-<index % 50>`) when `keyed`, with two headers on every third.
    func record(_ index: Int, keyed: Bool) -> ProducerRecord {
        var headers: [RecordHeader] = []
        if index % 3 == 0 {
            headers = [
                RecordHeader(key: "trace", value: ByteBuffer(string: "t\(index)")),
                RecordHeader(key: "empty", value: nil),
            ]
        }
        return ProducerRecord(
            topic: topic, key: keyed ? "key-\(index % 50)" : nil, value: "r-\(index)", headers: headers)
    }

    /// Sends `records` in order from one task with completion handlers, then flushes.
    func produce(_ records: [ProducerRecord], with producer: KafkaProducer) async throws -> [SentRecord] {
        let collector = OutcomeCollector()
        for (index, record) in records.enumerated() {
            try await producer.send(record, completion: collector.handler(for: index))
        }
        await producer.flush()
        let results = collector.snapshot
        return records.enumerated().map { SentRecord(index: $0.offset, record: $0.element, result: results[$0.offset]) }
    }

    /// Sends `records` in order with completion handlers, running `actions[index]` just before record `index` and
    /// pausing a millisecond every 20 records so that faults land while batches are in flight; then flushes.
    func produce(
        _ records: [ProducerRecord], with producer: KafkaProducer,
        actions: [Int: @Sendable () async throws -> Void]
    ) async throws -> [SentRecord] {
        let collector = OutcomeCollector()
        for (index, record) in records.enumerated() {
            if let action = actions[index] { try await action() }
            if index % 20 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            try await producer.send(record, completion: collector.handler(for: index))
        }
        await producer.flush()
        let results = collector.snapshot
        return records.enumerated().map { SentRecord(index: $0.offset, record: $0.element, result: results[$0.offset]) }
    }

    /// The partitions broker `node` leads, from the producer's metadata.
    func partitions(ledBy node: Int32, producer: KafkaProducer) async throws -> [Int32] {
        try await producer.partitions(for: topic).filter { $0.leader == node }.map(\.partition)
    }

    func readBack() async throws -> [KcatRecord] {
        try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: topic)
    }
}

/// Checks what kcat read against what was sent: every acknowledged record exactly once, records of a partition in
/// send order, keyed records on murmur2's partition, keys, values and headers intact, and each acknowledged
/// record at the partition and offset the producer reported. Send order is checked among records whose indexes
/// share `index / 1000` (one sending task each).
func verifyReadBack(
    sent: [SentRecord], read: [KcatRecord], partitions: Int, expectOffsets: Bool = true, checkOrder: Bool = true,
    allowDuplicates: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
) {
    var byValue: [String: KcatRecord] = [:]
    for record in read {
        let value = record.value.map { String(decoding: $0, as: UTF8.self) } ?? "<null>"
        if allowDuplicates, byValue[value] != nil { continue }  // keep the first copy
        #expect(byValue[value] == nil, "\(value) was written twice", sourceLocation: sourceLocation)
        byValue[value] = record
    }
    var lastIndex: [PartitionDomain: Int] = [:]
    for sentRecord in sent.sorted(by: { $0.index < $1.index }) {
        guard case .success(let metadata) = sentRecord.result else {
            Issue.record(
                "record \(sentRecord.index) was not acknowledged: \(String(describing: sentRecord.result))",
                sourceLocation: sourceLocation)
            continue
        }
        let value = String(buffer: sentRecord.record.value ?? ByteBuffer())
        guard let found = byValue[value] else {
            Issue.record("\(value) is missing from the topic", sourceLocation: sourceLocation)
            continue
        }
        #expect(found.partition == metadata.partition, sourceLocation: sourceLocation)
        if expectOffsets {
            #expect(found.offset == metadata.offset, "offset of \(value)", sourceLocation: sourceLocation)
        }
        if let key = sentRecord.record.key {
            let keyBytes = Array(key.readableBytesView)
            #expect(found.key == keyBytes, sourceLocation: sourceLocation)
            #expect(
                found.partition == Int32(Murmur2.partition(forKey: keyBytes, partitionCount: partitions)),
                "\(value) is not on murmur2's partition", sourceLocation: sourceLocation)
        } else {
            #expect(found.key == nil, sourceLocation: sourceLocation)
        }
        let expectedHeaders = sentRecord.record.headers.map {
            KcatHeader(key: $0.key, value: $0.value.map { Array($0.readableBytesView) })
        }
        #expect(found.headers == expectedHeaders, "headers of \(value)", sourceLocation: sourceLocation)
        let domain = PartitionDomain(partition: found.partition, sender: sentRecord.index / 1000)
        if checkOrder, let previous = lastIndex[domain] {
            #expect(
                byValue["r-\(previous)"].map { $0.offset < found.offset } == true,
                "r-\(previous) (offset \(byValue["r-\(previous)"]?.offset ?? -1)) and \(value) (offset \(found.offset)) are out of order in partition \(found.partition)",
                sourceLocation: sourceLocation)
        }
        lastIndex[domain] = sentRecord.index
    }
    // With repeats allowed (librdkafka's mock appends a resent produce again), the distinct records must match.
    let distinct = allowDuplicates ? byValue.count : read.count
    #expect(
        distinct == sent.count,
        "kcat read \(read.count) records (\(byValue.count) distinct), \(sent.count) were sent",
        sourceLocation: sourceLocation)
}

struct PartitionDomain: Hashable {
    var partition: Int32
    var sender: Int
}
