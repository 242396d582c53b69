import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

@testable import KafkaDevCluster

/// Batches and requests for the produce-side tests.
enum ProduceTestSupport {
    /// A v2 batch of `count` records with timestamps `timestamp`, `timestamp + 1`, ...
    static func batch(
        count: Int = 1, timestamp: Int64 = 1_000, producerID: Int64 = -1, epoch: Int16 = -1, sequence: Int32 = -1,
        transactional: Bool = false, control: Bool = false, valueSize: Int = 3
    ) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(
            producerId: producerID, producerEpoch: epoch, baseSequence: sequence, isTransactional: transactional,
            isControlBatch: control)
        for i in 0..<count {
            try builder.append(
                key: nil, value: ByteBuffer(repeating: UInt8(truncatingIfNeeded: i), count: valueSize),
                timestamp: timestamp + Int64(i))
        }
        return try builder.finish()
    }

    /// Recomputes the CRC32C of the batch at the start of `buffer` after a test edited it.
    static func resign(_ buffer: inout ByteBuffer) {
        let crc = buffer.withUnsafeReadableBytes { raw in CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[21...]))
        }
        buffer.setInteger(crc, at: buffer.readerIndex + 17)
    }

    /// A produce request for one partition.
    static func request(
        topic: String = "t", partition: Int32 = 0, records: ByteBuffer?, acks: Int16 = -1
    ) -> ProduceRequest {
        ProduceRequest(
            acks: acks, timeoutMs: 1000,
            topicData: [
                ProduceRequest.TopicProduceData(
                    name: topic,
                    partitionData: [ProduceRequest.PartitionProduceData(index: partition, records: records)])
            ])
    }

    /// A harness of three brokers with topic `t` (partition 0 led by broker 1, 1 by broker 2).
    static func harness(
        partitions: Int32 = 2, configs: [String: String] = [:],
        configure: (inout DevClusterConfiguration) -> Void = { _ in }
    ) -> HandlerHarness {
        var harness = HandlerHarness(brokers: 3, configure: configure)
        harness.state.createTopic("t", partitions: partitions, replicationFactor: 1, configs: configs)
        return harness
    }

    /// Produces `records` to `t-partition` at `version`; the partition's entry of the answer.
    static func produce(
        _ harness: inout HandlerHarness, _ records: ByteBuffer?, version: Int16 = 11, partition: Int32 = 0,
        broker: Int32 = 1, acks: Int16 = -1
    ) throws -> ProduceResponse.PartitionProduceResponse {
        let response = try harness.respond(
            ProduceHandler.self, request(partition: partition, records: records, acks: acks), version: version,
            broker: broker)
        return try #require(response.responses.first?.partitionResponses.first)
    }

    /// The batches stored in a partition, decoded (CRC checked).
    static func stored(_ harness: HandlerHarness, partition: Int32 = 0) throws -> [RecordBatch] {
        let log = try #require(harness.state.partition("t", partition)?.log)
        return try log.batches.map { try RecordBatch(decoding: $0.bytes) }
    }
}

@Suite(.timeLimit(.minutes(5))) struct ProduceTests {
    typealias S = ProduceTestSupport

    @Test(arguments: [Int16(0), 2, 11])
    func appendsBatchesWithOffsets(version: Int16) throws {
        var harness = S.harness()
        let first = try S.produce(&harness, S.batch(count: 3), version: version)
        #expect(first.errorCode == 0)
        #expect(first.baseOffset == 0)
        let second = try S.produce(&harness, S.batch(count: 2, timestamp: 5_000), version: version)
        #expect(second.errorCode == 0)
        #expect(second.baseOffset == 3)
        #expect(second.logAppendTimeMs == -1)
        #expect(second.logStartOffset == (version >= 5 ? 0 : -1))
        let batches = try S.stored(harness)
        #expect(batches.map(\.baseOffset) == [0, 3])
        #expect(batches.map(\.recordCount) == [3, 2])
        #expect(batches.map(\.partitionLeaderEpoch) == [0, 0])
        #expect(try batches[1].records().collect().map(\.offset) == [3, 4])
        #expect(harness.state.partition("t", 0)?.log.highWatermark == 5)
    }

    @Test func severalBatchesBeforeV3AreAppendedTogether() throws {
        var harness = S.harness()
        var records = try S.batch(count: 2)
        var second = try S.batch(count: 1)
        records.writeBuffer(&second)
        let answer = try S.produce(&harness, records, version: 2)
        #expect(answer.errorCode == 0)
        #expect(answer.baseOffset == 0)
        #expect(try S.stored(harness).map(\.baseOffset) == [0, 2])

        // A corrupt second batch: nothing of the request is appended.
        var bad = try S.batch(count: 1)
        var corrupt = try S.batch(count: 1)
        corrupt.setInteger(UInt8(0xFF), at: corrupt.writerIndex - 1)
        bad.writeBuffer(&corrupt)
        let refused = try S.produce(&harness, bad, version: 2)
        #expect(refused.errorCode == KafkaErrorCode.corruptMessage.rawValue)
        #expect(harness.state.partition("t", 0)?.log.highWatermark == 3)
    }

    @Test func v3AndLaterNeedExactlyOneBatch() throws {
        var harness = S.harness()
        var records = try S.batch(count: 2)
        var second = try S.batch(count: 1)
        records.writeBuffer(&second)
        let answer = try S.produce(&harness, records, version: 11)
        #expect(answer.errorCode == KafkaErrorCode.invalidRecord.rawValue)
        #expect(answer.errorMessage?.contains("exactly one record batch") == true)
        #expect(answer.baseOffset == -1)
        let empty = try S.produce(&harness, ByteBuffer(), version: 3)
        #expect(empty.errorCode == KafkaErrorCode.invalidRecord.rawValue)
        let null = try S.produce(&harness, nil, version: 11)
        #expect(null.errorCode == KafkaErrorCode.invalidRecord.rawValue)
        // Before v3 an empty partition is a successful no-op, as in Kafka.
        let legacyEmpty = try S.produce(&harness, ByteBuffer(), version: 0)
        #expect(legacyEmpty.errorCode == 0)
        #expect(legacyEmpty.baseOffset == -1)
        // A truncated batch is no batch at all.
        let whole = try S.batch(count: 2)
        let truncated = whole.getSlice(at: 0, length: whole.readableBytes - 1)
        let cut = try S.produce(&harness, truncated, version: 11)
        #expect(cut.errorCode == KafkaErrorCode.invalidRecord.rawValue)
        #expect(harness.state.partition("t", 0)?.log.highWatermark == 0)
    }

    @Test(arguments: [Int16(0), 11])
    func rejectsCorruptBatches(version: Int16) throws {
        var harness = S.harness()
        var records = try S.batch(count: 2)
        records.setInteger(UInt8(0x42), at: records.writerIndex - 2)
        let answer = try S.produce(&harness, records, version: version)
        #expect(answer.errorCode == KafkaErrorCode.corruptMessage.rawValue)
        #expect(answer.baseOffset == -1)
        #expect(answer.errorMessage?.contains("is corrupt") == (version >= 8 ? true : nil))
        #expect(harness.state.partition("t", 0)?.log.batches.isEmpty == true)

        var tiny = ByteBuffer()
        tiny.writeInteger(Int64(0))
        tiny.writeInteger(Int32(5))
        tiny.writeRepeatingByte(2, count: 5)
        #expect(try S.produce(&harness, tiny, version: version).errorCode == KafkaErrorCode.corruptMessage.rawValue)
    }

    @Test func rejectsInvalidBatchContents() throws {
        var harness = S.harness()
        let control = try S.produce(&harness, S.batch(control: true))
        #expect(control.errorCode == KafkaErrorCode.invalidRecord.rawValue)
        #expect(control.errorMessage?.contains("control records") == true)

        var offset = try S.batch()
        offset.setInteger(Int64(7), at: 0)
        #expect(try S.produce(&harness, offset).errorCode == KafkaErrorCode.invalidRecord.rawValue)

        var count = try S.batch(count: 2)
        count.setInteger(Int32(3), at: 57)
        S.resign(&count)
        #expect(try S.produce(&harness, count).errorCode == KafkaErrorCode.invalidRecord.rawValue)

        var zero = try S.batch(count: 1)
        zero.setInteger(Int32(0), at: 57)
        S.resign(&zero)
        #expect(try S.produce(&harness, zero).errorCode == KafkaErrorCode.invalidRecord.rawValue)

        let noSequence = try S.batch(producerID: 5, epoch: 0, sequence: -1)
        #expect(try S.produce(&harness, noSequence).errorCode == KafkaErrorCode.invalidRecord.rawValue)

        var zstd = try S.batch()
        zstd.setInteger(Int16(4), at: 21)
        S.resign(&zstd)
        let old = try S.produce(&harness, zstd, version: 6)
        #expect(old.errorCode == KafkaErrorCode.unsupportedCompressionType.rawValue)

        var codec = try S.batch()
        codec.setInteger(Int16(6), at: 21)
        S.resign(&codec)
        #expect(try S.produce(&harness, codec).errorCode == KafkaErrorCode.corruptMessage.rawValue)

        var magic = try S.batch()
        magic.setInteger(Int8(1), at: 16)
        #expect(try S.produce(&harness, magic, version: 11).errorCode == KafkaErrorCode.invalidRecord.rawValue)
        #expect(
            try S.produce(&harness, magic, version: 2).errorCode
                == KafkaErrorCode.unsupportedForMessageFormat.rawValue)
        #expect(harness.state.partition("t", 0)?.log.highWatermark == 0)
    }

    /// A transactional batch needs an open transaction that includes its partition (Kafka 3.6+ verification);
    /// storing one inside a transaction is tested in `TransactionHandlerTests`.
    @Test func transactionalBatchesWithoutATransactionAreRefused() throws {
        var harness = S.harness()
        let answer = try S.produce(
            &harness, S.batch(count: 2, producerID: 9, epoch: 0, sequence: 0, transactional: true))
        #expect(answer.errorCode == KafkaErrorCode.invalidProducerIdMapping.rawValue)
        #expect(try S.stored(harness).isEmpty)
    }

    @Test(arguments: [Int16(0), 11])
    func notLeaderAndUnknownPartitions(version: Int16) throws {
        var harness = S.harness()
        let response = try harness.respond(
            ProduceHandler.self, S.request(partition: 0, records: try S.batch()), version: version, broker: 2)
        let entry = try #require(response.responses.first?.partitionResponses.first)
        #expect(entry.errorCode == KafkaErrorCode.notLeaderOrFollower.rawValue)
        if version >= 10 {
            #expect(entry.currentLeader.leaderId == 1)
            #expect(entry.currentLeader.leaderEpoch == 0)
            #expect(response.nodeEndpoints.map(\.nodeId) == [1])
        }
        let unknown = try S.produce(&harness, try S.batch(), version: version, partition: 7)
        #expect(unknown.errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
        let missing = try harness.respond(
            ProduceHandler.self, S.request(topic: "nope", records: try S.batch()), version: version)
        #expect(
            missing.responses.first?.partitionResponses.first?.errorCode
                == KafkaErrorCode.unknownTopicOrPartition.rawValue)
        #expect(harness.state.topics["nope"] == nil)

        harness.state.withPartition("t", 1) { $0.leader = -1 }
        let leaderless = try S.produce(&harness, try S.batch(), version: version, partition: 1)
        #expect(leaderless.errorCode == KafkaErrorCode.leaderNotAvailable.rawValue)
    }

    @Test func acks() throws {
        var harness = S.harness()
        let batch = try S.batch()
        guard case .noResponse = harness.reply(ProduceHandler.self, S.request(records: batch, acks: 0)) else {
            Issue.record("acks=0 must not answer")
            return
        }
        #expect(harness.state.partition("t", 0)?.log.highWatermark == 1)
        guard case .close = harness.reply(ProduceHandler.self, S.request(partition: 9, records: batch, acks: 0))
        else {
            Issue.record("acks=0 with an error closes the connection")
            return
        }
        for version in [Int16(0), 11] {
            let invalid = try S.produce(&harness, batch, version: version, acks: 2)
            #expect(invalid.errorCode == KafkaErrorCode.invalidRequiredAcks.rawValue)
        }
        #expect(try S.produce(&harness, batch, acks: 1).baseOffset == 1)
        #expect(harness.state.partition("t", 0)?.log.highWatermark == 2)
    }

    @Test(arguments: [Int16(2), 11])
    func logAppendTimeTopics(version: Int16) throws {
        var harness = S.harness(configs: ["message.timestamp.type": "LogAppendTime"])
        let answer = try S.produce(&harness, S.batch(count: 2, timestamp: 5), version: version)
        #expect(answer.errorCode == 0)
        #expect(answer.logAppendTimeMs == harness.now)
        let stored = try #require(try S.stored(harness).first)
        #expect(stored.timestampType == .logAppendTime)
        #expect(stored.maxTimestamp == harness.now)
    }

    @Test func messageTooLarge() throws {
        var harness = S.harness(configs: ["max.message.bytes": "100"])
        let small = try S.batch(count: 1, valueSize: 1)
        #expect(small.readableBytes <= 100)
        #expect(try S.produce(&harness, small).errorCode == 0)
        let big = try S.batch(count: 1, valueSize: 100)
        let answer = try S.produce(&harness, big)
        #expect(answer.errorCode == KafkaErrorCode.messageTooLarge.rawValue)
        #expect(answer.errorMessage?.contains("maximum configured value of 100") == true)

        var defaults = S.harness { $0.maxMessageBytes = 200 }
        #expect(try S.produce(&defaults, try S.batch(valueSize: 100)).errorCode == 0)
        let tooBig = try S.produce(&defaults, try S.batch(valueSize: 300), version: 0)
        #expect(tooBig.errorCode == KafkaErrorCode.messageTooLarge.rawValue)
    }

    @Test func minInSyncReplicasAndInternalTopics() throws {
        var harness = S.harness(configs: ["min.insync.replicas": "2"])
        let strict = try S.produce(&harness, try S.batch(), acks: -1)
        #expect(strict.errorCode == KafkaErrorCode.notEnoughReplicas.rawValue)
        #expect(try S.produce(&harness, try S.batch(), acks: 1).errorCode == 0)

        harness.state.createTopic("__internal", partitions: 1, replicationFactor: 1)
        harness.state.topics["__internal"]?.isInternal = true
        let response = try harness.respond(
            ProduceHandler.self, S.request(topic: "__internal", records: try S.batch()))
        #expect(
            response.responses.first?.partitionResponses.first?.errorCode
                == KafkaErrorCode.invalidTopicException.rawValue)
    }

    @Test(arguments: [Int16(0), 11])
    func errorResponseCoversEveryPartition(version: Int16) throws {
        var request = S.request(records: nil)
        request.topicData.append(
            ProduceRequest.TopicProduceData(
                name: "u", partitionData: [.init(index: 0, records: nil), .init(index: 1, records: nil)]))
        let harness = S.harness()
        let response = ProduceHandler.errorResponse(
            to: request, error: .notLeaderOrFollower, context: harness.context(version: version))
        let decoded = try HandlerHarness.roundTrip(response, version: version)
        let codes = decoded.responses.flatMap(\.partitionResponses).map(\.errorCode)
        #expect(codes == Array(repeating: KafkaErrorCode.notLeaderOrFollower.rawValue, count: 3))
        #expect(decoded.responses.map(\.name) == ["t", "u"])
    }

    @Test func garbageNeverCrashes() throws {
        var harness = S.harness()
        var generator = SystemRandomNumberGenerator()
        let valid = try S.batch(count: 3)
        for round in 0..<400 {
            var bytes = valid
            for _ in 0..<(1 + round % 4) {
                let at = Int.random(in: 0..<bytes.readableBytes, using: &generator)
                bytes.setInteger(UInt8.random(in: 0...255, using: &generator), at: at)
            }
            if round % 3 == 0, let cut = bytes.getSlice(at: 0, length: Int.random(in: 0..<bytes.readableBytes)) {
                bytes = cut
            }
            for version in [Int16(0), 11] {
                _ = ProduceHandler.handle(
                    S.request(records: bytes), in: &harness.state, context: harness.context(version: version))
            }
        }
        // Whatever was accepted reads back as valid batches.
        #expect(throws: Never.self) { try S.stored(harness) }
    }
}

/// Produce over sockets from librdkafka (kcat), with every compression codec.
@Suite(.serialized, .enabled(if: Kcat.runsTests, "kcat is not installed"), .timeLimit(.minutes(5)))
struct ProduceKcatTests {
    /// Runs `body` against a fresh three-broker cluster, shutting it down afterwards.
    static func withCluster(_ body: (DevCluster) async throws -> Void) async throws {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 3
        let cluster = try await DevCluster(configuration: configuration)
        do {
            try await body(cluster)
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    static func total(_ cluster: DevCluster, _ topic: String, partitions: Int32) -> Int64 {
        (0..<partitions).compactMap { cluster.highWatermark(topic: topic, partition: $0) }.reduce(0, +)
    }

    @Test func kcatProducesWithEveryCodec() async throws {
        try await Self.withCluster { cluster in
            try cluster.createTopic("kcat-produce", partitions: 3)
            var produced = 0
            for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
                let lines = (0..<25).map { "k\($0):\(codec)-line-\($0)" }
                try await Kcat.produce(
                    bootstrap: cluster.bootstrapServers, topic: "kcat-produce", lines: lines, keyDelimiter: ":",
                    extraProperties: ["compression.codec": codec, "linger.ms": "5"])
                produced += lines.count
                #expect(Self.total(cluster, "kcat-produce", partitions: 3) == Int64(produced), "after \(codec)")
            }
        }
    }

    @Test func kcatIdempotentProducer() async throws {
        try await Self.withCluster { cluster in
            try cluster.createTopic("kcat-idempotent", partitions: 2)
            let lines = (0..<40).map { "key\($0 % 7):value-\($0)" }
            try await Kcat.produce(
                bootstrap: cluster.bootstrapServers, topic: "kcat-idempotent", lines: lines, keyDelimiter: ":",
                extraProperties: ["enable.idempotence": "true", "compression.codec": "lz4"])
            #expect(Self.total(cluster, "kcat-idempotent", partitions: 2) == 40)
            #expect(cluster.requestCount(.initProducerId) >= 1)
        }
    }
}
