import KafkaDevCluster
import KafkaProtocol
import Testing

@Suite(.timeLimit(.minutes(5))) struct DevClusterSmokeTests {
    @Test func startsAndStops() async throws {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 3
        let cluster = try await DevCluster(configuration: configuration)
        #expect(cluster.brokers.count == 3)
        #expect(cluster.bootstrapServers.split(separator: ",").count == 3)
        await cluster.shutdown()
    }
}
