import Foundation
import KafkaDevCluster
import Testing

/// Runs this package's command-line tools as a user does (they are built next to the test bundle by
/// `swift build --build-tests`).
enum ToolRunner {
    struct Outcome: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

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

    /// Runs the program at `path` as ``run(_:_:stdin:environment:timeout:)`` runs a tool.
    static func runProgram(
        _ path: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> Outcome {
        let tool = URL(fileURLWithPath: path).lastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        // Read by a thread each, with blocking reads: `readabilityHandler` (a dispatch source per pipe, torn down
        // while the descriptor closes) crashed libdispatch's event loop once in CI ("Bad pointer dereference" in
        // `_dispatch_event_loop_drain`).
        try process.run()
        let stdoutReader = PipeReader(output.fileHandleForReading)
        let stderrReader = PipeReader(errors.fileHandleForReading)
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            process.interrupt()
            try await Task.sleep(for: .milliseconds(500))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            Issue.record("\(tool) \(arguments) did not finish within \(timeout)")
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let stdoutData = try await stdoutReader.data()
        let stderrData = try await stderrReader.data()
        return Outcome(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }
}

/// Reads a pipe to its end on a thread of its own (blocking reads, no dispatch source).
final class PipeReader: Sendable {
    private let state = Locked((data: Data(), done: false))

    init(_ handle: FileHandle) {
        let state = state
        let thread = Thread {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                state.withLock { $0.data.append(chunk) }
            }
            state.withLock { $0.done = true }
        }
        thread.start()
    }

    /// What was read so far.
    var snapshot: Data { state.withLock { $0.data } }

    /// Everything read, once the writer closed the pipe (the process and its copies of the descriptor are gone).
    func data() async throws -> Data {
        while true {
            if let data = state.withLock({ $0.done ? $0.data : nil }) { return data }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// A value behind a lock, for the pipe handlers.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
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
