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
public final class KcatGroupConsumer: Sendable {
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

    /// The assignment as kcat's rebalance messages tell it.
    private struct Assignment {
        var partitions: Set<KcatTopicPartition> = []
        var rebalances = 0
    }

    /// The `-f` format: topic, partition, offset and value, one record per line.
    static let format = "%t %p %o %s\\n"

    /// The command line (executable first).
    public let commandLine: [String]
    private let child: ChildProcess

    /// Starts `kcat -G group topics…` against `bootstrap`, as a ``ChildProcess`` (reaped with `waitpid`, signals
    /// unblocked, so that ``stop(timeout:)``'s SIGTERM reaches it).
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
        do {
            child = try ChildProcess(executable, arguments)
        } catch {
            throw KcatError(kind: .launchFailed, arguments: commandLine, detail: "\(error)")
        }
        child.closeInput()
    }

    deinit {
        child.signal(SIGKILL)
    }

    // MARK: - What kcat received

    /// The records kcat printed so far, in the order it printed them.
    public var records: [Record] { stdoutLines.compactMap(Self.parseRecord) }

    /// Every complete line kcat printed on standard output so far.
    public var stdoutLines: [String] { child.stdoutLines.map(String.init) }

    /// Every line kcat printed on standard error so far (rebalances, end-of-partition notices, errors).
    public var stderrLines: [String] {
        child.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Standard error so far, as one text.
    public var stderr: String { child.stderr }

    private var rebalanceState: Assignment {
        stderrLines.reduce(into: Assignment()) { Self.applyRebalance($1, to: &$0) }
    }

    /// kcat's current assignment, from its rebalance messages.
    public var assignment: Set<KcatTopicPartition> { rebalanceState.partitions }

    /// How many rebalance messages (assignments and revocations) kcat printed so far.
    public var rebalanceCount: Int { rebalanceState.rebalances }

    /// Whether kcat still runs.
    public var isRunning: Bool { child.isRunning }

    /// How kcat ended; `nil` while it runs.
    public var exit: Exit? {
        child.exit.map { ended in ended.signal.map(Exit.signaled) ?? .exited(ended.status) }
    }

    // MARK: - Stopping

    /// Sends SIGTERM (kcat commits, leaves the group and exits), waits up to `timeout` for kcat to exit, then kills it
    /// with SIGKILL if needed. Returns how kcat ended, once its output is read to the end (or after a few more
    /// seconds). Calling it again returns the same result.
    @discardableResult
    public func stop(timeout: Duration = .seconds(15)) async -> Exit {
        child.signal(SIGTERM)
        _ = try? await child.wait(timeout: timeout)  // SIGKILL after `timeout`
        return exit ?? .signaled(SIGKILL)
    }

    /// Kills kcat with SIGKILL if it still runs, without waiting: for `defer` blocks, after a failure.
    public func kill() {
        child.signal(SIGKILL)
    }

    // MARK: - Reading and parsing

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
    private static func applyRebalance(_ line: String, to state: inout Assignment) {
        guard line.hasPrefix("% Group "), line.contains(" rebalanced") else { return }
        if let range = line.range(of: "): assigned: ") {
            // Eager: the whole new assignment.
            state.partitions = Set(parsePartitions(line[range.upperBound...]))
        } else if let range = line.range(of: "): revoked: ") {
            // Eager: everything is revoked (the partitions listed are the whole previous assignment).
            state.partitions.subtract(parsePartitions(line[range.upperBound...]))
        } else if line.contains("incremental assignment of"), let range = line.range(of: "): ", options: .backwards) {
            state.partitions.formUnion(parsePartitions(line[range.upperBound...]))
        } else if line.contains("incremental revoke of"), let range = line.range(of: "): ", options: .backwards) {
            state.partitions.subtract(parsePartitions(line[range.upperBound...]))
        } else {
            return
        }
        state.rebalances += 1
    }
}
