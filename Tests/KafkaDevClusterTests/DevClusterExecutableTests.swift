import Foundation
import KafkaTestSupport
import Testing

/// The `kafka-dev-cluster` executable, as a user runs it (built next to the test bundle by
/// `swift build --build-tests`).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DevClusterExecutableTests {
    static func executable() throws -> URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        // On Linux the tests run from `<bin>/swift-kafkaPackageTests.xctest`; on macOS from inside the bundle.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("kafka-dev-cluster")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        Issue.record("kafka-dev-cluster is not built next to the tests; run `swift build --build-tests` first")
        throw CocoaError(.fileNoSuchFile)
    }

    /// Waits (polling; `waitUntilExit` spins off the main thread) for `process` to exit.
    static func waitForExit(_ process: Process, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !process.isRunning
    }

    @Test func printsTheBootstrapListServesKcatAndStopsOnSIGTERM() async throws {
        let file = NSTemporaryDirectory() + "dev-cluster-bs-\(UUID().uuidString)"
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = ["--brokers", "2", "--port", "0", "--topic", "cli:3", "--bootstrap-file", file]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: file) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let bootstrap = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(bootstrap.split(separator: ",").count == 2)
        let listing = try await Kcat.metadataListing(bootstrap: bootstrap)
        #expect(listing.contains("2 brokers:"))
        #expect(listing.contains("topic \"cli\" with 3 partitions:"))
        process.terminate()  // SIGTERM
        #expect(await Self.waitForExit(process))
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: file))
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed == "bootstrap.servers=\(bootstrap)\n")
    }

    @Test func badArgumentsExitWithTwoAndSayWhy() async throws {
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = ["--brokers", "0"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        #expect(await Self.waitForExit(process))
        #expect(process.terminationStatus == 2)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasPrefix("Error: --brokers must be between 1 and 64, not 0."))
    }

    @Test func aPortInUseFailsWithOneLineAndExitOne() async throws {
        let holder = Process()
        holder.executableURL = try Self.executable()
        let file = NSTemporaryDirectory() + "dev-cluster-bs-\(UUID().uuidString)"
        holder.arguments = ["--port", "0", "--bootstrap-file", file]
        holder.standardOutput = Pipe()
        try holder.run()
        defer { holder.terminate() }
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: file) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let taken = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try #require(taken.split(separator: ":").last.map(String.init))
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = ["--port", port]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        #expect(await Self.waitForExit(process))
        #expect(process.terminationStatus == 1)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.hasPrefix("kafka-dev-cluster: cannot start:"))
        #expect(text.split(separator: "\n").count == 1)
        holder.terminate()
        #expect(await Self.waitForExit(holder))
    }
}
