import Foundation
import KafkaDevCluster
import KafkaProtocol
import Testing

/// `kafka-broker-api-versions` run as a user runs it, against dev clusters acting as other Kafka releases.
@Suite(.timeLimit(.minutes(3))) struct BrokerAPIVersionsToolTests {
    @Test func printsEveryBrokersAPIsWithTheVersionThisClientWouldUse() async throws {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 3
        // Produce as an older broker, Fetch as a broker newer than every version this client has.
        configuration.apiVersions = [.produce: 3...5, .fetch: 30...31]
        try await DevCluster.withRunning(configuration) { cluster in
            let outcome = try await ToolRunner.run(
                "kafka-broker-api-versions", ["--bootstrap-server", cluster.bootstrapServers])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let blocks = outcome.stdout.components(separatedBy: "\n)\n").filter { !$0.isEmpty }
            #expect(blocks.count == 3, "\(outcome.stdout)")
            for (broker, block) in zip(cluster.brokers, blocks) {
                let lines = block.split(separator: "\n").map(String.init)
                #expect(
                    lines.first == "\(broker.host):\(broker.port) (id: \(broker.nodeID) rack: null) -> (", "\(block)")
                #expect(lines.contains("\tProduce(0): 3 to 5 [usable: 5],"))
                #expect(lines.contains("\tFetch(1): 30 to 31 [unusable: node too new],"))
                #expect(lines.contains { $0.hasPrefix("\tApiVersions(18): 0 to ") && $0.hasSuffix("],") })
                // Every API line but the last ends with a comma.
                let apiLines = lines.dropFirst()
                #expect(apiLines.dropLast().allSatisfy { $0.hasPrefix("\t") && $0.hasSuffix(",") })
                #expect(apiLines.last?.hasSuffix(",") == false)
            }

            let json = try await ToolRunner.run(
                "kafka-broker-api-versions", ["--bootstrap-server", cluster.bootstrapServers, "--json"])
            let brokers = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
            #expect(brokers?.count == 3)
            let produce = (brokers?.first?["apis"] as? [[String: Any]])?.first { $0["apiKey"] as? Int == 0 }
            #expect(produce?["usableVersion"] as? Int == 5)
            #expect(produce?["maxVersion"] as? Int == 5)
        }
    }

    @Test func anUnreachableClusterFailsInOneLine() async throws {
        let properties = FileManager.default.temporaryDirectory.appendingPathComponent("short-\(UUID()).properties")
        defer { try? FileManager.default.removeItem(at: properties) }
        try Data("request.timeout.ms=3000\n".utf8).write(to: properties)
        let outcome = try await ToolRunner.run(
            "kafka-broker-api-versions",
            ["--bootstrap-server", "127.0.0.1:1", "--command-config", properties.path], timeout: .seconds(60))
        #expect(outcome.status == 1)
        #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.hasPrefix("kafka-broker-api-versions: "))
        #expect(outcome.stderr.contains("NETWORK_EXCEPTION"), "\(outcome.stderr)")
    }
}
