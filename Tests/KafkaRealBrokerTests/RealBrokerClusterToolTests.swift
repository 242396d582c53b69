import Foundation
import KafkaTestSupport
import Testing

/// `kafka-broker-api-versions` beside Kafka's `kafka-broker-api-versions.sh` on the real broker.
@Suite("Real broker: broker API versions compared with Kafka's script", .timeLimit(.minutes(5)))
struct RealBrokerClusterToolTests {
    /// The API lines of the tools' text, by API key: `Produce(0): 0 to 7 [usable: 7]` → (0, "0 to 7", "7").
    static func apis(_ output: String) -> [Int: (range: String, usable: String?)] {
        var apis: [Int: (String, String?)] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("\t") {
            var text = line.dropFirst()
            if text.hasSuffix(",") { text = text.dropLast() }
            guard let open = text.firstIndex(of: "("), let close = text.firstIndex(of: ")"),
                let key = Int(text[text.index(after: open)..<close]),
                let colon = text.range(of: "): ")
            else { continue }
            let rest = text[colon.upperBound...]
            let range = rest.split(separator: "[").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            let usable = rest.range(of: "[usable: ").map { String(rest[$0.upperBound...].dropLast()) }
            apis[key] = (range, usable)
        }
        return apis
    }

    @Test("every API Kafka's script lists has the same versions in ours, and the same usable version")
    func apiVersionsMatch() async throws {
        let broker = try await RealKafkaBroker.shared()
        let ours = try await RealBroker.runOurs(
            "kafka-broker-api-versions", ["--bootstrap-server", broker.bootstrapServers])
        #expect(ours.status == 0, "\(ours.stderr)")
        let kafka = try await broker.runTool(
            "kafka-broker-api-versions.sh", ["--bootstrap-server", broker.bootstrapServers])
        #expect(kafka.status == 0, "\(kafka.stderr)")
        // The broker's node line is the same.
        #expect(
            ours.stdout.split(separator: "\n").first == kafka.stdout.split(separator: "\n").first,
            "ours:\n\(ours.stdout)\nKafka's:\n\(kafka.stdout)")
        let kafkaAPIs = Self.apis(kafka.stdout)
        let ourAPIs = Self.apis(ours.stdout)
        #expect(kafkaAPIs.count >= 40, "\(kafka.stdout)")
        for (key, theirs) in kafkaAPIs {
            let mine = try #require(ourAPIs[key], "API \(key) missing from ours:\n\(ours.stdout)")
            #expect(mine.range == theirs.range, "API \(key)")
            // Kafka 2.3's client knows the inter-broker APIs (4–7), which ours never sends.
            if mine.usable != nil || ![4, 5, 6, 7].contains(key) {
                #expect(mine.usable == theirs.usable, "API \(key)")
            }
        }
    }
}

/// `kafka-log-dirs` beside Kafka's `kafka-log-dirs.sh` on the real broker.
@Suite("Real broker: log directories compared with Kafka's script", .timeLimit(.minutes(5)))
struct RealBrokerLogDirsToolTests {
    /// `partition -> size` of the JSON line of either tool, and the log directories' paths.
    static func replicas(_ output: String) throws -> (paths: [String], sizes: [String: Int]) {
        let line = try #require(output.split(separator: "\n").last)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        var paths: [String] = []
        var sizes: [String: Int] = [:]
        for broker in document["brokers"] as? [[String: Any]] ?? [] {
            for directory in broker["logDirs"] as? [[String: Any]] ?? [] {
                paths.append(directory["logDir"] as? String ?? "?")
                for partition in directory["partitions"] as? [[String: Any]] ?? [] {
                    sizes[partition["partition"] as? String ?? "?"] = partition["size"] as? Int
                }
            }
        }
        return (paths.sorted(), sizes)
    }

    @Test("kafka-log-dirs --describe --topic-list shows the directories and replica sizes kafka-log-dirs.sh shows")
    func logDirsMatch() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("logdirs")
        try await RealBroker.createTopic(topic, partitions: 2, on: broker)
        let arguments = ["--bootstrap-server", broker.bootstrapServers, "--describe", "--topic-list", topic]
        let ours = try await RealBroker.runOurs("kafka-log-dirs", arguments)
        #expect(ours.status == 0, "\(ours.stderr)")
        let kafka = try await broker.runTool("kafka-log-dirs.sh", arguments)
        #expect(kafka.status == 0, "\(kafka.stderr)")
        #expect(
            ours.stdout.split(separator: "\n").prefix(2) == kafka.stdout.split(separator: "\n").prefix(2),
            "ours:\n\(ours.stdout)\nKafka's:\n\(kafka.stdout)")
        let mine = try Self.replicas(ours.stdout)
        let theirs = try Self.replicas(kafka.stdout)
        #expect(mine.paths == theirs.paths)
        #expect(mine.sizes == theirs.sizes)
        #expect(Set(mine.sizes.keys) == ["\(topic)-0", "\(topic)-1"])
    }
}
