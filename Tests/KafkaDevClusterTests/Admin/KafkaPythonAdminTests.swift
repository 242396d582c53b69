import Foundation
import KafkaDevCluster
import KafkaTestSupport
import Testing

/// Runs `Tools/interop/kafka-python-admin-check.py` (the PyPI `kafka-python` admin client) against
/// a 3-broker dev cluster. Needs `python3` with kafka-python
/// (`python3 -m pip install -r Tools/interop/requirements-kafka-python.txt`); without it the test
/// records an issue saying so instead of passing silently.
@Suite(.serialized, .timeLimit(.minutes(5))) struct KafkaPythonAdminTests {
    /// The package root (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs a process; returns its exit status and combined output.
    static func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Read while it runs so that a full pipe cannot block the child.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            return (-1, String(decoding: data, as: UTF8.self) + "\n(timed out)")
        }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func kafkaPythonAdminClientWorks() async throws {
        let probe = try await runOffThePool { try Self.run(["python3", "-c", "import kafka"]) }
        guard probe.status == 0 else {
            Issue.record(
                """
                kafka-python is not installed, so the cross-check could not run. Install it with \
                `python3 -m pip install -r Tools/interop/requirements-kafka-python.txt`. \(probe.output)
                """)
            return
        }
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 3
        let cluster = try await DevCluster(configuration: configuration)
        let script = Self.packageRoot.appendingPathComponent("Tools/interop/kafka-python-admin-check.py").path
        let bootstrap = cluster.bootstrapServers
        let result: (status: Int32, output: String)
        do {
            result = try await runOffThePool { try Self.run(["python3", script, bootstrap]) }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
        print(result.output)
        #expect(result.status == 0, "kafka-python admin check failed:\n\(result.output)")
    }
}
