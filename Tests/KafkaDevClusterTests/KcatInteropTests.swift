import KafkaDevCluster
import KafkaTestSupport
import Testing

/// kcat (librdkafka), an independent client, against the dev cluster unchanged: produce with every
/// codec and idempotence, read everything back, keyed records on librdkafka's partitions.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct KcatInteropTests {
    static func start(topics: [String: Int32], brokers: Int = 3) async throws -> DevCluster {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = brokers
        configuration.topics = topics
        return try await DevCluster(configuration: configuration)
    }

    @Test(arguments: ["none", "gzip", "snappy", "lz4", "zstd"])
    func produceAndConsumeEveryCodec(codec: String) async throws {
        let cluster = try await Self.start(topics: ["codec": 3])
        defer { Task { await cluster.shutdown() } }
        let lines = (0..<500).map { "key-\($0 % 17):value \($0) with \(codec)" }
        try await Kcat.produce(
            bootstrap: cluster.bootstrapServers, topic: "codec", lines: lines, keyDelimiter: ":",
            extraProperties: ["compression.codec": codec, "enable.idempotence": "true", "linger.ms": "5"])
        let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "codec")
        #expect(records.count == lines.count)
        let values = Set(records.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } })
        #expect(values == Set(lines.map { String($0.split(separator: ":", maxSplits: 1)[1]) }))
        // Per partition: offsets are dense from 0, and each key stays on one partition in send order.
        for partition in Set(records.map(\.partition)) {
            let offsets = records.filter { $0.partition == partition }.map(\.offset)
            #expect(offsets == Array(0..<Int64(offsets.count)))
        }
        var partitionOfKey: [[UInt8]: Int32] = [:]
        for record in records {
            guard let key = record.key else { continue }
            #expect(partitionOfKey[key, default: record.partition] == record.partition)
            partitionOfKey[key] = record.partition
        }
        var hw: Int64 = 0
        for p in Int32(0)..<3 { hw += cluster.highWatermark(topic: "codec", partition: p) ?? 0 }
        #expect(hw == Int64(lines.count))
    }

    @Test func kcatListsMetadataOfEveryBroker() async throws {
        let cluster = try await Self.start(topics: ["listed": 4])
        defer { Task { await cluster.shutdown() } }
        let output = try await Kcat.metadataListing(bootstrap: cluster.bootstrapServers)
        #expect(output.contains("3 brokers:"))
        #expect(output.contains("topic \"listed\" with 4 partitions:"))
        for broker in cluster.brokers {
            #expect(output.contains("broker \(broker.nodeID) at \(broker.host):\(broker.port)"))
        }
    }
}
