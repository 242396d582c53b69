import Foundation
import KafkaDevCluster
import KafkaTestSupport
import Testing

/// Runs this package's command-line tools as a user does (they are built next to the test bundle by
/// `swift build --build-tests`).
enum ToolRunner {
    typealias Outcome = ChildProcess.Outcome

    static func executable(_ name: String) throws -> URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        Issue.record("\(name) is not built next to the tests; run `swift build --build-tests` first")
        throw CocoaError(.fileNoSuchFile)
    }

    /// Runs `tool` with `arguments` and `stdin`, waiting at most `timeout`; the process is killed after.
    static func run(
        _ tool: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> Outcome {
        try await runProgram(
            try executable(tool).path, arguments, stdin: stdin, environment: environment, timeout: timeout)
    }

    /// Runs the program at `path` as ``run(_:_:stdin:environment:timeout:)`` runs a tool; a program that does not
    /// finish in time is killed and recorded as an issue.
    static func runProgram(
        _ path: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> Outcome {
        do {
            return try await ChildProcess.run(
                path, arguments, stdin: stdin, environment: environment ?? [:], timeout: timeout)
        } catch let timedOut as ChildProcess.TimedOut {
            Issue.record("\(timedOut)")
            return Outcome(status: SIGKILL, stdout: timedOut.stdout, stderr: timedOut.stderr, signal: SIGKILL)
        }
    }
}

/// Runs `body` with a dev cluster of `brokers` brokers holding `topics`, with topic auto-creation off (so a missing
/// topic stays missing), and shuts it down afterwards, also when `body` throws. The one cluster helper of the
/// tool suites.
func withDevCluster(
    brokers: Int = 1, topics: [String: Int32] = [:], _ body: (DevCluster) async throws -> Void
) async throws {
    try await DevCluster.withRunning(brokers: brokers, topics: topics, configure: { $0.autoCreateTopics = false }, body)
}
