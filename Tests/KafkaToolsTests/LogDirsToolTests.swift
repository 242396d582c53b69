import Foundation
import KafkaAdmin
import KafkaDevCluster
import KafkaProducer
import Testing

/// `kafka-log-dirs` run as a user runs it, against a three-broker dev cluster.
@Suite(.timeLimit(.minutes(3))) struct LogDirsToolTests {
    /// The `partitions` of each broker's one log directory in the tool's JSON, by broker id.
    static func replicas(_ output: String) throws -> [Int: [String: Int]] {
        let line = try #require(output.split(separator: "\n").last)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(document["version"] as? Int == 1)
        var result: [Int: [String: Int]] = [:]
        for broker in document["brokers"] as? [[String: Any]] ?? [] {
            let id = try #require(broker["broker"] as? Int)
            let directories = try #require(broker["logDirs"] as? [[String: Any]])
            #expect(directories.count == 1)
            #expect(directories.first?["error"] is NSNull)
            var sizes: [String: Int] = [:]
            for partition in directories.first?["partitions"] as? [[String: Any]] ?? [] {
                sizes[partition["partition"] as? String ?? "?"] = partition["size"] as? Int
                #expect(partition["offsetLag"] as? Int == 0)
                #expect(partition["isFuture"] as? Bool == false)
            }
            result[id] = sizes
        }
        return result
    }

    @Test func describesEachBrokersReplicasWithTheirSizes() async throws {
        try await withDevCluster(brokers: 3) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            _ = try await admin.createTopics([
                NewTopic(name: "orders", replicaAssignment: [0: [1, 2], 1: [2, 3]]),
                NewTopic(name: "other", replicaAssignment: [0: [3]]),
            ])
            await admin.close()
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(properties: ["bootstrap.servers": cluster.bootstrapServers]))
            _ = try await producer.send(ProducerRecord(topic: "orders", partition: 0, key: "k", value: "a value"))
            await producer.close()

            let all = try await ToolRunner.run(
                "kafka-log-dirs", ["--bootstrap-server", cluster.bootstrapServers, "--describe"])
            #expect(all.status == 0, "\(all.stderr)")
            let lines = all.stdout.split(separator: "\n")
            #expect(lines.first == "Querying brokers for log directories information")
            #expect(lines.dropFirst().first == "Received log directory information from brokers 1,2,3")
            let replicas = try Self.replicas(all.stdout)
            #expect(Set(replicas[1]?.keys ?? [:].keys) == ["orders-0"])
            #expect(Set(replicas[2]?.keys ?? [:].keys) == ["orders-0", "orders-1"])
            #expect(Set(replicas[3]?.keys ?? [:].keys) == ["orders-1", "other-0"])
            #expect((replicas[1]?["orders-0"] ?? 0) > 0, "the written record has a size")
            #expect(replicas[3]?["orders-1"] == 0)

            let filtered = try await ToolRunner.run(
                "kafka-log-dirs",
                [
                    "--bootstrap-server", cluster.bootstrapServers, "--describe", "--broker-list", "3", "--topic-list",
                    "other",
                ])
            #expect(filtered.status == 0, "\(filtered.stderr)")
            #expect(try Self.replicas(filtered.stdout).mapValues { Set($0.keys) } == [3: ["other-0"]])
        }
    }

    @Test func unknownBrokersAndAMissingDescribeAreRefused() async throws {
        try await withDevCluster(brokers: 2) { cluster in
            let unknown = try await ToolRunner.run(
                "kafka-log-dirs",
                ["--bootstrap-server", cluster.bootstrapServers, "--describe", "--broker-list", "1,7"])
            #expect(unknown.status == 1)
            #expect(
                unknown.stderr
                    == "kafka-log-dirs: ERROR: The given brokers do not exist from --broker-list: 7. Current existent "
                    + "brokers: 1,2\n")
            #expect(unknown.stdout == "")
            let noAction = try await ToolRunner.run("kafka-log-dirs", ["--bootstrap-server", cluster.bootstrapServers])
            #expect(noAction.status == 2)
            #expect(noAction.stderr.contains("describe"))
        }
    }
}
