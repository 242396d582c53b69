import KafkaAdmin
import KafkaDevCluster

enum AdminTests {
    /// Runs `body` with a dev cluster of `brokers` brokers and an admin client for it.
    static func withAdmin(
        brokers: Int = 3, topics: [String: Int32] = [:], _ body: (DevCluster, KafkaAdminClient) async throws -> Void
    ) async throws {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = brokers
        configuration.topics = topics
        configuration.autoCreateTopics = false
        let cluster = try await DevCluster(configuration: configuration)
        let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
        do {
            try await body(cluster, admin)
        } catch {
            await admin.close()
            await cluster.shutdown()
            throw error
        }
        await admin.close()
        await cluster.shutdown()
    }
}
