import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

@Suite struct DescribeLogDirsTests {
    typealias S = ProduceTestSupport

    @Test(
        "one directory with every replica of the broker, sized as the partition log, at v0 and v4",
        arguments: [Int16(0), 4])
    func describesTheBrokersReplicas(version: Int16) throws {
        var harness = S.harness()
        _ = try S.produce(&harness, S.batch(count: 3))
        let size = try #require(harness.state.partition("t", 0)?.log.sizeInBytes)
        #expect(size > 0)
        let all = try harness.respond(
            DescribeLogDirsHandler.self, DescribeLogDirsRequest(topics: nil), version: version)
        let directory = try #require(all.results.first)
        #expect(all.results.count == 1)
        #expect(directory.logDir == "memory:/broker-1")
        let partition = try #require(
            directory.topics.first { $0.name == "t" }?.partitions.first { $0.partitionIndex == 0 })
        #expect(partition.partitionSize == Int64(size))
        #expect(partition.offsetLag == 0 && !partition.isFutureKey)

        // A listed partition only; one the broker has no replica of is left out.
        let one = try harness.respond(
            DescribeLogDirsHandler.self,
            DescribeLogDirsRequest(topics: [
                .init(topic: "t", partitions: [0]), .init(topic: "missing", partitions: [0]),
            ]),
            version: version)
        #expect(one.results.first?.topics.map(\.name) == ["t"])
        #expect(one.results.first?.topics.first?.partitions.map(\.partitionIndex) == [0])
        let elsewhere = try harness.respond(
            DescribeLogDirsHandler.self, DescribeLogDirsRequest(topics: nil), version: version, broker: 99)
        #expect(elsewhere.results.first?.topics.isEmpty == true)
    }
}
