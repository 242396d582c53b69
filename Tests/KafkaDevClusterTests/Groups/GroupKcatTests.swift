import KafkaProtocol
import KafkaTestSupport
import Testing

@testable import KafkaDevCluster

/// librdkafka's balanced consumer (`kcat -G`) against a real dev cluster over sockets.
@Suite(.enabled(if: Kcat.runsTests, "kcat is not installed"), .timeLimit(.minutes(5)))
struct GroupKcatTests {
    @Test(.timeLimit(.minutes(1))) func kcatBalancedConsumerReachesStable() async throws {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 3
        configuration.topics = ["kcat-group-topic": 3]
        let cluster = try await DevCluster(configuration: configuration)
        // Started with SIGTERM unblocked (test threads block it, and children inherit the mask), so that
        // stop() ends it; it is killed if it does not exit.
        let kcat = try KcatGroupConsumer(
            bootstrap: cluster.bootstrapServers, group: "kcat-group", topics: ["kcat-group-topic"],
            properties: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"])
        defer { kcat.kill() }
        let group = await waitForStableGroup(cluster)
        _ = await kcat.stop()
        await cluster.shutdown()

        let stable = try #require(group, "the kcat group never became Stable with an assigned member")
        #expect(stable.protocolType == "consumer")
        #expect(stable.generationID >= 1)
        let member = try #require(stable.members.first)
        #expect(member.clientHost.hasPrefix("/127.0.0.1"))
        #expect(member.clientID == "rdkafka")
        // The assignment is a ConsumerProtocolAssignment naming all three partitions of the topic.
        var assignment = member.assignment
        let readVersion = assignment.readInteger(as: Int16.self)
        let version = try #require(readVersion)
        let decoded = try ConsumerProtocolAssignment(from: &assignment, version: min(version, 3))
        #expect(decoded.assignedPartitions.first?.topic == "kcat-group-topic")
        #expect(decoded.assignedPartitions.first?.partitions.sorted() == [0, 1, 2])
    }

    /// The group once it is Stable with one member holding an assignment (nil after 20 s).
    private func waitForStableGroup(_ cluster: DevCluster) async -> ClassicGroup? {
        for _ in 0..<200 {
            let group = cluster.core.state.withLockedValue { $0.cluster.groups.groups["kcat-group"] }
            if let group, group.state == .stable, group.members.count == 1,
                (group.members.first?.assignment.readableBytes ?? 0) > 0
            {
                return group
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }
}
