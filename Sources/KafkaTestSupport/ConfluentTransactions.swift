import Foundation

/// Runs `Tools/interop/confluent-transactions.py` (PyPI `confluent-kafka`, librdkafka's
/// transactional producer) against a cluster: committed and aborted transactions whose records
/// other tests read back (with kcat here, with this package's consumer elsewhere).
///
/// Needs `python3` with confluent-kafka (`python3 -m pip install -r
/// Tools/interop/requirements-confluent-kafka.txt`); see ``isAvailable``.
public enum ConfluentTransactions {
    /// What the script wrote, in produce order.
    public struct Result: Sendable, Decodable {
        /// (partition, value) of every record of a committed transaction.
        public var committed: [[Entry]]
        /// (partition, value) of every record of an aborted transaction.
        public var aborted: [[Entry]]
        /// (partition, value) of every record, committed or aborted.
        public var written: [[Entry]]
        /// The offset the first transaction committed for the group on partition 0 (7), as read back.
        public var groupOffset: Int64?

        enum CodingKeys: String, CodingKey {
            case committed, aborted, written
            case groupOffset = "group_offset"
        }

        /// A JSON array element: the partition number or the value.
        public enum Entry: Sendable, Decodable, Hashable {
            case partition(Int32)
            case value(String)

            public init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Int32.self) {
                    self = .partition(number)
                } else {
                    self = .value(try container.decode(String.self))
                }
            }
        }

        /// The values per partition, in produce order, of committed (true), aborted (false) or all
        /// (nil) records.
        public func values(committed: Bool?) -> [Int32: [String]] {
            var result: [Int32: [String]] = [:]
            let pairs = committed.map { $0 ? self.committed : aborted } ?? written
            for pair in pairs {
                guard pair.count == 2, case .partition(let partition) = pair[0], case .value(let value) = pair[1]
                else { continue }
                result[partition, default: []].append(value)
            }
            return result
        }
    }

    /// The failure of the script, with its output.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The package root (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The script's path.
    public static let script = packageRoot.appendingPathComponent("Tools/interop/confluent-transactions.py").path

    /// Whether `python3` can import `confluent_kafka` on this machine.
    public static let isAvailable: Bool = (try? run(["python3", "-c", "import confluent_kafka"]).status) == 0

    /// Whether a missing peer must fail the test instead of skipping it (CI installs it).
    public static let isRequired = ProcessInfo.processInfo.environment["CI"] != nil

    /// Runs the script against `bootstrap`, writing `transactions` transactions (even ones committed,
    /// odd ones aborted, 4 records each) to `topic`'s first `partitions` partitions; `topic` must exist.
    public static func write(
        bootstrap: String, topic: String, transactions: Int = 6, partitions: Int = 3,
        group: String = "confluent-transactions-group"
    ) async throws -> Result {
        let arguments = ["python3", script, bootstrap, topic, "\(transactions)", "\(partitions)", group]
        let (status, output, errors) = try await runOffThePool { try run(arguments) }
        guard status == 0 else {
            throw Failure(description: "confluent-transactions.py exited \(status):\n\(errors)\n\(output)")
        }
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw Failure(description: "confluent-transactions.py printed no result:\n\(errors)\n\(output)")
        }
        return try JSONDecoder().decode(Result.self, from: Data(line.utf8))
    }

    /// Runs a process; its exit status, standard output and standard error.
    static func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> (
        status: Int32, output: String, errors: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain stderr on another thread so that neither pipe can fill up and block the child.
        let errors = ErrorsBox()
        let drain = Thread { errors.set(err.fileHandleForReading.readDataToEndOfFile()) }
        drain.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            return (-1, String(decoding: data, as: UTF8.self), "(timed out)")
        }
        while !errors.isSet { Thread.sleep(forTimeInterval: 0.01) }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), errors.text)
    }

    /// Standard error collected by the drain thread.
    private final class ErrorsBox: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        func set(_ value: Data) { lock.withLock { data = value } }
        var isSet: Bool { lock.withLock { data != nil } }
        var text: String { lock.withLock { String(decoding: data ?? Data(), as: UTF8.self) } }
    }
}
