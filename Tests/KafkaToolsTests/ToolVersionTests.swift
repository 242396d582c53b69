import Foundation
import KafkaNetwork
import Testing

@Suite("Every tool answers --version", .timeLimit(.minutes(2)))
struct ToolVersionTests {
    static let tools = [
        "kafka-topics", "kafka-console-producer", "kafka-console-consumer", "kafka-consumer-groups",
        "kafka-producer-perf-test", "kafka-consumer-perf-test", "kafka-dev-cluster", "kafka-mock-cluster",
    ]

    @Test("--version prints the package's version and exits 0", arguments: tools)
    func version(tool: String) async throws {
        let outcome = try await ToolRunner.run(tool, ["--version"], timeout: .seconds(30))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(
            outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == KafkaClientConfiguration.packageVersion)
    }
}
