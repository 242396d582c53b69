import Foundation
import KafkaNetwork
import Testing

@Suite("Every tool answers --version and documents its completion script", .timeLimit(.minutes(2)))
struct ToolVersionTests {
    static let tools = [
        "kafka-topics", "kafka-console-producer", "kafka-console-consumer", "kafka-consumer-groups",
        "kafka-producer-perf-test", "kafka-consumer-perf-test", "kafka-dev-cluster", "kafka-mock-cluster",
        "kafka-get-offsets", "kafka-delete-records", "kafka-broker-api-versions", "kafka-log-dirs", "kafka-dump-log",
        "kafka-configs",
        "kafka-transactions",
        "kafka-reassign-partitions", "kafka-leader-election",
        "kafka-acls",
    ]

    @Test("--version prints the package's version and exits 0", arguments: tools)
    func version(tool: String) async throws {
        let outcome = try await ToolRunner.run(tool, ["--version"], timeout: .seconds(30))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(
            outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == KafkaClientConfiguration.packageVersion)
    }

    @Test("--help names the completion script, and the tool prints one for bash, zsh and fish", arguments: tools)
    func completionScript(tool: String) async throws {
        let help = try await ToolRunner.run(tool, ["--help"], timeout: .seconds(30))
        #expect(help.status == 0, "\(help.stderr)")
        // The help text is wrapped to the terminal's width: compare it with its whitespace collapsed.
        let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("\(tool) --generate-completion-script bash"), "\(help.stdout)")
        for (shell, marker) in [("bash", "complete -"), ("zsh", "#compdef \(tool)"), ("fish", "complete -c '\(tool)'")]
        {
            let script = try await ToolRunner.run(tool, ["--generate-completion-script", shell], timeout: .seconds(30))
            #expect(script.status == 0, "\(shell): \(script.stderr)")
            #expect(script.stdout.contains(marker), "\(tool) \(shell) completion lacks '\(marker)'")
        }
    }
}
