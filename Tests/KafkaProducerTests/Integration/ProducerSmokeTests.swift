import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

@Suite("Producer against the mock cluster", .timeLimit(.minutes(5)))
struct ProducerSmokeTests {
    @Test func awaitedSendsGetConsecutiveOffsetsPerPartition() async throws {
        let cluster = try MockKafkaCluster(brokers: 3)
        try cluster.createTopic("smoke", partitions: 3, replicationFactor: 1)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(properties: [
                "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "1",
            ]))
        var offsets: [Int32: [Int64]] = [:]
        for index in 0..<30 {
            let metadata = try await producer.send(
                ProducerRecord(topic: "smoke", partition: Int32(index % 3), key: "k\(index)", value: "v\(index)"))
            #expect(metadata.topic == "smoke")
            #expect(metadata.partition == Int32(index % 3))
            offsets[metadata.partition, default: []].append(metadata.offset)
        }
        await producer.close()
        for partition in 0..<Int32(3) {
            #expect(offsets[partition] == Array(0..<10))
        }
    }
}
