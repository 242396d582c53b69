import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

/// Records produced through librdkafka's mock cluster (3 brokers) and read back by kcat, an independent consumer.
@Suite("Producer read back by kcat", .serialized, .timeLimit(.minutes(5)))
struct ProducerReadBackTests {
    static let acksModes = ["0", "1", "all"]
    static let codecs = ["none", "gzip", "snappy", "lz4", "zstd"]

    @Test(arguments: acksModes, codecs)
    func everyAcksModeAndCodec(acks: String, codec: String) async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["acks": acks, "compression.type": codec])
        let records = (0..<400).map { test.record($0, keyed: $0 % 2 == 0) }
        let sent = try await test.produce(records, with: producer)
        await producer.close()
        await verifyReadBack(
            sent: sent, read: try test.readBack(), partitions: test.partitions, expectOffsets: acks != "0")
    }

    @Test func unkeyedRecordsFillBatchesOnFewPartitions() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["batch.size": "2048", "linger.ms": "50"])
        let sent = try await test.produce((0..<200).map { test.record($0, keyed: false) }, with: producer)
        await producer.close()
        let read = try await test.readBack()
        verifyReadBack(sent: sent, read: read, partitions: test.partitions)
        // The sticky partitioner switches partition once per batch (about 2 KB here), not once per record.
        var switches = 0
        let partitions = sent.compactMap { try? $0.result?.get().partition }
        for (previous, next) in zip(partitions, partitions.dropFirst()) where previous != next { switches += 1 }
        #expect(switches < 40, "\(switches) partition switches for 200 unkeyed records")
    }

    @Test func nullKeysValuesTimestampsAndExplicitPartitions() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["acks": "all"])
        let tombstone = try await producer.send(
            ProducerRecord(topic: test.topic, partition: 4, key: ByteBuffer(string: "gone"), value: nil))
        let emptyValue = try await producer.send(
            ProducerRecord(topic: test.topic, partition: 4, key: nil, value: ByteBuffer()))
        let given = try await producer.send(
            ProducerRecord(
                topic: test.topic, partition: 4, value: ByteBuffer(string: "t"), timestamp: 1_600_000_000_123))
        await producer.close()
        #expect(tombstone.partition == 4 && tombstone.offset == 0 && tombstone.serializedValueSize == -1)
        #expect(emptyValue.offset == 1 && emptyValue.serializedKeySize == -1 && emptyValue.serializedValueSize == 0)
        // (`given.timestamp` is not compared: librdkafka's mock answers every Produce with LogAppendTime 1234.)
        #expect(given.offset == 2)
        let read = try await test.readBack().sorted { $0.offset < $1.offset }
        try #require(read.count == 3)
        #expect(read[0].key == Array("gone".utf8) && read[0].value == nil)
        #expect(read[1].key == nil && read[1].value == [])
        #expect(read[2].timestamp == 1_600_000_000_123)
        #expect(read.allSatisfy { $0.partition == 4 })
    }

    @Test func concurrentSendersKeepEachSendersOrderPerPartition() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["acks": "all"])
        let results = try await withThrowingTaskGroup(of: [SentRecord].self) { group in
            for sender in 0..<4 {
                group.addTask {
                    var sent: [SentRecord] = []
                    for step in 0..<100 {
                        let index = sender * 1000 + step
                        let record = ProducerRecord(
                            topic: test.topic, key: "sender-\(sender)", value: "r-\(index)")
                        let metadata = try await producer.send(record)
                        sent.append(SentRecord(index: index, record: record, result: .success(metadata)))
                    }
                    return sent
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        await producer.close()
        await verifyReadBack(sent: results, read: try test.readBack(), partitions: test.partitions)
    }
}
