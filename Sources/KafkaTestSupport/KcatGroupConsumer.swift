import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A topic partition as named by ``KcatGroupConsumer``.
///
/// Test support only.
public struct KcatTopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)-\(partition)" }
}

/// A `kcat -G` consumer (librdkafka's balanced consumer) running in the background, as a member of a consumer group
/// for interop tests.
///
/// Runs `kcat -b <bootstrap> -u -f '%t %p %o %s\n' -X key=value… -G <group> <topics…>`. Standard output and standard
/// error are read on background threads as they arrive (`-u`: kcat does not buffer its output), so the records kcat
/// received so far and its current assignment can be inspected while it runs:
/// - ``records`` are parsed from the `-f` output, one line per record (`topic partition offset value`). Values are
///   read as UTF-8 text and must not contain newlines (use plain test values);
/// - ``assignment`` is tracked from kcat's rebalance messages on standard error (so do not pass `-q`), both the eager
///   form (`% Group g rebalanced (memberid …): assigned: t [0], t [1]` / `revoked: …`) and the cooperative one
///   (`% Group g rebalanced: incremental assignment of 2 partition(s) (…): t [0], t [1]` / `incremental revoke`).
///
/// ``stop(timeout:)`` sends SIGTERM: kcat then closes its consumer, which commits (with `enable.auto.commit`) and
/// leaves the group, and exits 0. ``kill()`` (and `deinit`) end it with SIGKILL if it still runs, so a failing test
/// does not leave a kcat process behind: call `kill()` in a `defer`.
///
/// Test support only.
public final class KcatGroupConsumer: @unchecked Sendable {
    /// One record as printed by kcat.
    public struct Record: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var value: String

        public var topicPartition: KcatTopicPartition { KcatTopicPartition(topic: topic, partition: partition) }
    }

    /// How kcat ended.
    public enum Exit: Sendable, Hashable, CustomStringConvertible {
        /// kcat exited with this status.
        case exited(Int32)
        /// kcat was killed by this signal (after a ``stop(timeout:)`` that timed out, by SIGKILL).
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// What the reader threads and the termination handler share; never retains the consumer itself.
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var records: [Record] = []
        var stdoutLines: [String] = []
        var stderrLines: [String] = []
        var assignment: Set<KcatTopicPartition> = []
        var rebalances = 0
        var exit: Exit?
        var openPipes = 2
    }

    /// The `-f` format: topic, partition, offset and value, one record per line.
    static let format = "%t %p %o %s\\n"

    /// The command line (executable first).
    public let commandLine: [String]
    private let process: Process
    private let state = State()

    /// Starts `kcat -G group topics…` against `bootstrap`.
    ///
    /// - Parameters:
    ///   - bootstrap: The `bootstrap.servers` list.
    ///   - group: The consumer group id.
    ///   - topics: The topics to subscribe to.
    ///   - properties: librdkafka properties passed with `-X`, such as `partition.assignment.strategy`,
    ///     `auto.offset.reset`, `enable.auto.commit`.
    /// - Throws: ``KcatError`` when kcat is not installed or cannot be started.
    public init(bootstrap: String, group: String, topics: [String], properties: [String: String] = [:]) throws {
        guard let executable = Kcat.path else { throw KcatError(kind: .notInstalled) }
        let arguments =
            ["-b", bootstrap, "-u", "-f", Self.format] + Kcat.propertyArguments(properties) + ["-G", group] + topics
        commandLine = [executable] + arguments
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.terminationHandler = { [state] process in
            let exit: Exit =
                process.terminationReason == .uncaughtSignal
                ? .signaled(process.terminationStatus) : .exited(process.terminationStatus)
            state.lock.withLock { state.exit = exit }
        }
        if let error = Self.launch(process) {
            throw KcatError(kind: .launchFailed, arguments: commandLine, detail: "\(error)")
        }
        Self.readLines(from: stdoutPipe.fileHandleForReading, state: state) { state, line in
            state.stdoutLines.append(line)
            if let record = Self.parseRecord(line) { state.records.append(record) }
        }
        Self.readLines(from: stderrPipe.fileHandleForReading, state: state) { state, line in
            state.stderrLines.append(line)
            Self.applyRebalance(line, to: state)
        }
    }

    deinit {
        if process.isRunning { sendSignal(process.processIdentifier, SIGKILL) }
    }

    // MARK: - What kcat received

    /// The records kcat printed so far, in the order it printed them.
    public var records: [Record] { state.lock.withLock { state.records } }

    /// Every line kcat printed on standard output so far.
    public var stdoutLines: [String] { state.lock.withLock { state.stdoutLines } }

    /// Every line kcat printed on standard error so far (rebalances, end-of-partition notices, errors).
    public var stderrLines: [String] { state.lock.withLock { state.stderrLines } }

    /// Standard error so far, as one text.
    public var stderr: String { stderrLines.joined(separator: "\n") }

    /// kcat's current assignment, from its rebalance messages.
    public var assignment: Set<KcatTopicPartition> { state.lock.withLock { state.assignment } }

    /// How many rebalance messages (assignments and revocations) kcat printed so far.
    public var rebalanceCount: Int { state.lock.withLock { state.rebalances } }

    /// Whether kcat still runs.
    public var isRunning: Bool { state.lock.withLock { state.exit == nil } }

    /// How kcat ended; `nil` while it runs.
    public var exit: Exit? { state.lock.withLock { state.exit } }

    // MARK: - Stopping

    /// Sends SIGTERM (kcat commits, leaves the group and exits), waits up to `timeout` for kcat to exit, then kills it
    /// with SIGKILL if needed. Returns how kcat ended, once its output is read to the end (or after a few more
    /// seconds). Calling it again returns the same result.
    @discardableResult
    public func stop(timeout: Duration = .seconds(15)) async -> Exit {
        if isRunning { process.terminate() }
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if isRunning {
            sendSignal(process.processIdentifier, SIGKILL)
            while isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        }
        // Let the readers take the last lines (the pipes close when kcat exits).
        let readDeadline = ContinuousClock.now + .seconds(5)
        while state.lock.withLock({ state.openPipes > 0 }), ContinuousClock.now < readDeadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exit ?? .signaled(SIGKILL)
    }

    /// Kills kcat with SIGKILL if it still runs, without waiting: for `defer` blocks, after a failure.
    public func kill() {
        if isRunning { sendSignal(process.processIdentifier, SIGKILL) }
    }

    /// Runs `process` from a thread of its own on which SIGTERM and SIGINT are not blocked.
    ///
    /// A child inherits the signal mask of the thread that spawns it, and the threads of a test process (Dispatch's
    /// and Swift concurrency's) block most signals: spawned from one of them, kcat would never see the SIGTERM of
    /// ``stop(timeout:)`` (it stays pending) and would have to be killed, without committing or leaving the group.
    private static func launch(_ process: Process) -> (any Error)? {
        final class Outcome: @unchecked Sendable {
            var error: (any Error)?
        }
        let outcome = Outcome()
        let launched = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGTERM)
            sigaddset(&signals, SIGINT)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            do {
                try process.run()
            } catch {
                outcome.error = error
            }
            launched.signal()
        }
        launched.wait()
        return outcome.error
    }

    // MARK: - Reading and parsing

    /// Reads `handle` to its end on a thread of its own, handing each complete line to `handle` under the lock.
    private static func readLines(
        from handle: FileHandle, state: State, _ body: @escaping @Sendable (State, String) -> Void
    ) {
        Thread.detachNewThread {
            var pending = Data()
            func deliver(_ bytes: Data) {
                let line = String(decoding: bytes, as: UTF8.self)
                state.lock.withLock { body(state, line) }
            }
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    deliver(pending[pending.startIndex..<newline])
                    pending = Data(pending[(newline + 1)...])
                }
            }
            if !pending.isEmpty { deliver(pending) }
            try? handle.close()
            state.lock.withLock { state.openPipes -= 1 }
        }
    }

    /// Parses `topic partition offset value`.
    static func parseRecord(_ line: String) -> Record? {
        let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3, !fields[0].isEmpty, let partition = Int32(fields[1]), let offset = Int64(fields[2])
        else { return nil }
        return Record(
            topic: String(fields[0]), partition: partition, offset: offset,
            value: fields.count == 4 ? String(fields[3]) : "")
    }

    /// Parses the partition list of a rebalance message: `t [0], t [1], u [3]`.
    static func parsePartitions(_ text: Substring) -> [KcatTopicPartition] {
        text.split(separator: ",").compactMap { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let open = trimmed.lastIndex(of: "["), trimmed.hasSuffix("]"),
                let partition = Int32(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            else { return nil }
            let topic = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            return topic.isEmpty ? nil : KcatTopicPartition(topic: topic, partition: partition)
        }
    }

    /// Updates the assignment from one line of kcat's standard error, if it is a rebalance message.
    private static func applyRebalance(_ line: String, to state: State) {
        guard line.hasPrefix("% Group "), line.contains(" rebalanced") else { return }
        if let range = line.range(of: "): assigned: ") {
            // Eager: the whole new assignment.
            state.assignment = Set(parsePartitions(line[range.upperBound...]))
        } else if let range = line.range(of: "): revoked: ") {
            // Eager: everything is revoked (the partitions listed are the whole previous assignment).
            state.assignment.subtract(parsePartitions(line[range.upperBound...]))
        } else if line.contains("incremental assignment of"), let range = line.range(of: "): ", options: .backwards) {
            state.assignment.formUnion(parsePartitions(line[range.upperBound...]))
        } else if line.contains("incremental revoke of"), let range = line.range(of: "): ", options: .backwards) {
            state.assignment.subtract(parsePartitions(line[range.upperBound...]))
        } else {
            return
        }
        state.rebalances += 1
    }
}

/// `kill(2)`, under a name that does not clash with ``KcatGroupConsumer/kill()``.
private func sendSignal(_ pid: pid_t, _ signal: Int32) {
    _ = kill(pid, signal)
}
