import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One record header as read back by ``Kcat/consume(bootstrap:topic:extraProperties:timeout:)``.
///
/// Test support only.
public struct KcatHeader: Sendable, Hashable {
    /// The header name.
    public var key: String
    /// The header value; `nil` for a null value.
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// One record as read back by ``Kcat/consume(bootstrap:topic:extraProperties:timeout:)``.
///
/// Keys and values are the exact bytes stored in the topic; `nil` means a null key or value, distinct from an empty
/// one. Test support only.
public struct KcatRecord: Sendable, Hashable {
    /// The topic the record was read from.
    public var topic: String
    /// The partition the record was read from.
    public var partition: Int32
    /// The record's offset in its partition.
    public var offset: Int64
    /// The key bytes; `nil` for a null key.
    public var key: [UInt8]?
    /// The value bytes; `nil` for a null value.
    public var value: [UInt8]?
    /// The record headers, in order. See ``Kcat`` for what survives kcat's header output.
    public var headers: [KcatHeader]
    /// The record timestamp in milliseconds since the epoch (-1 when the broker reported none).
    public var timestamp: Int64

    public init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [KcatHeader] = [],
        timestamp: Int64
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}

/// A failure running kcat.
public struct KcatError: Error, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// No kcat executable was found (see ``Kcat/path``).
        case notInstalled
        /// kcat exited with a non-zero status (or was killed by a signal).
        case nonZeroExit(Int32)
        /// kcat did not finish within the timeout and was killed.
        case timedOut
        /// kcat's output could not be parsed.
        case malformedOutput
        /// kcat could not be started, or its input could not be prepared.
        case launchFailed
    }

    /// What went wrong.
    public var kind: Kind
    /// The command line that was run (empty for ``Kind/notInstalled``).
    public var arguments: [String]
    /// kcat's standard error, if any was captured.
    public var stderr: String
    /// Extra detail.
    public var detail: String

    public init(kind: Kind, arguments: [String] = [], stderr: String = "", detail: String = "") {
        self.kind = kind
        self.arguments = arguments
        self.stderr = stderr
        self.detail = detail
    }

    private static func shellQuoted(_ argument: String) -> String {
        let plain = !argument.isEmpty && argument.allSatisfy { $0.isLetter || $0.isNumber || "-_.,:/=@+%".contains($0) }
        return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    public var description: String {
        var text: String
        switch kind {
        case .notInstalled:
            text =
                "kcat not found: set KCAT=/path/to/kcat or install it (apt-get install kcat, brew install kcat);"
                + " checked $KCAT, /usr/bin/kcat, /usr/local/bin/kcat, /opt/homebrew/bin/kcat and $PATH"
        case .nonZeroExit(let status):
            text = "kcat exited with status \(status)"
        case .timedOut:
            text = "kcat timed out and was killed"
        case .malformedOutput:
            text = "could not parse kcat output"
        case .launchFailed:
            text = "could not run kcat"
        }
        if !detail.isEmpty { text += ": \(detail)" }
        if !arguments.isEmpty { text += "\ncommand: \(arguments.map(Self.shellQuoted).joined(separator: " "))" }
        let trimmed = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { text += "\nstderr: \(trimmed)" }
        return text
    }
}

/// The `kcat` command-line tool (librdkafka-based), as an independent consumer and producer for integration tests.
///
/// Test support only: it checks what our producer wrote with a client that shares none of our code, and writes data
/// with a producer that is not ours. Every call runs one kcat process and waits for it on a thread of its own.
///
/// ## Output format and its limits
///
/// ``consume(bootstrap:topic:extraProperties:timeout:)`` does not use kcat's `-J` JSON output, which is not binary
/// safe and cannot tell a null key from an empty one. It asks for a length-prefixed format instead:
///
/// ```
/// %t %p %o %T %K %S\n%k%s%h\n
/// ```
///
/// `%K` and `%S` are the key and value lengths (-1 for null), so keys and values are exact, binary-safe and null is
/// distinct from empty. Headers have no length token: kcat prints them as `name=value,name2=value2` (a null value as
/// `NULL`, an empty one as nothing), with the value written by `printf("%.*s")`. So header parsing is best effort:
/// - a header value equal to the four bytes `NULL` reads back as null;
/// - a value is cut at its first NUL byte;
/// - a `,` followed by something containing `=` is taken as the start of the next header, and a name containing `=`
///   is split at its first `=`;
/// - a newline inside a header is tolerated unless it is followed by something that looks like a record line.
/// Check header values that contain `,`, `=`, NUL or newlines in a different way.
///
/// kcat also reads `$HOME/.config/kcat.conf` or `$KCAT_CONFIG`; keep those free of settings that change its output.
public enum Kcat {
    /// The kcat executable: `$KCAT` if set (and executable), else `/usr/bin/kcat`, `/usr/local/bin/kcat`,
    /// `/opt/homebrew/bin/kcat`, else the first `kcat` (or `kafkacat`) on `$PATH`; `nil` when none is found.
    /// Whether suites that need kcat run: when it is installed, and always under CI (the `CI` environment variable,
    /// set by `Tools/test.sh`), where a missing kcat must fail those suites rather than skip them.
    public static var runsTests: Bool { path != nil || TestPeers.isCI }

    public static var path: String? {
        let fileManager = FileManager.default
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["KCAT"], !explicit.isEmpty {
            return fileManager.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        for candidate in ["/usr/bin/kcat", "/usr/local/bin/kcat", "/opt/homebrew/bin/kcat"]
        where fileManager.isExecutableFile(atPath: candidate) {
            return candidate
        }
        let directories = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for name in ["kcat", "kafkacat"] {
            for directory in directories {
                let candidate = directory + "/" + name
                if fileManager.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// The `-f` format ``consume(bootstrap:topic:extraProperties:timeout:)`` asks kcat for.
    static let consumeFormat = "%t %p %o %T %K %S\\n%k%s%h\\n"

    /// Reads `topic` from the beginning to the current end of every partition and returns its records, in the order
    /// kcat delivered them (ordered within each partition, interleaved across partitions).
    ///
    /// Runs `kcat -C -b <bootstrap> -t <topic> -o beginning -e -q -f <format>` plus `-X key=value` for each of
    /// `extraProperties`. Keys and values are binary safe and distinguish null from empty; headers are best effort
    /// (see ``Kcat``).
    ///
    /// - Parameters:
    ///   - bootstrap: The `bootstrap.servers` list, such as ``MockKafkaCluster/bootstrapServers``.
    ///   - topic: The topic to read.
    ///   - extraProperties: librdkafka properties passed with `-X` (`topic.`-prefixed ones apply to the topic).
    ///   - timeout: How long kcat may run before it is killed and ``KcatError/Kind/timedOut`` is thrown.
    /// - Throws: ``KcatError`` when kcat is missing, exits non-zero (the error carries its stderr), times out, or
    ///   prints output that cannot be parsed.
    public static func consume(
        bootstrap: String, topic: String, extraProperties: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> [KcatRecord] {
        var arguments = ["-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", consumeFormat]
        arguments += propertyArguments(extraProperties)
        let output = try await run(arguments, input: nil, timeout: timeout)
        do {
            return try parseConsumeOutput(output)
        } catch var error as KcatError {
            error.arguments = [path ?? "kcat"] + arguments
            throw error
        }
    }

    /// Produces `lines` to `topic` with `kcat -P`, one record per line, read from standard input.
    ///
    /// With `keyDelimiter`, each line is split at the first occurrence of the delimiter into key and value
    /// (`"k:v"` has key `k`; `":v"` has an empty key; a line without the delimiter has a null key). Without it, every
    /// record has a null key. kcat quirks: **empty lines are skipped** (no record is produced for them), and lines
    /// must not contain a newline. Records go to partitions by librdkafka's default partitioner (keyed records by
    /// key hash; add `["topic.partitioner": …]` or use ``MockKafkaCluster`` topics with one partition to control it).
    ///
    /// - Parameters:
    ///   - bootstrap: The `bootstrap.servers` list.
    ///   - topic: The topic to write.
    ///   - lines: The records, one per line; must not contain `\n`.
    ///   - keyDelimiter: Splits each line into key and value (`-K`); `nil` for no keys.
    ///   - extraProperties: librdkafka properties passed with `-X`.
    ///   - timeout: How long kcat may run before it is killed and ``KcatError/Kind/timedOut`` is thrown.
    /// - Throws: ``KcatError`` when kcat is missing, exits non-zero (for example when delivery fails), or times out.
    public static func produce(
        bootstrap: String, topic: String, lines: [String], keyDelimiter: Character? = nil,
        extraProperties: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws {
        if let bad = lines.first(where: { $0.contains("\n") }) {
            throw KcatError(kind: .launchFailed, detail: "line contains a newline: \(bad.debugDescription)")
        }
        var arguments = ["-P", "-b", bootstrap, "-t", topic, "-q"]
        if let keyDelimiter {
            arguments += ["-K", try delimiterArgument(keyDelimiter)]
        }
        arguments += propertyArguments(extraProperties)
        var input = Data()
        for line in lines {
            input.append(contentsOf: Array(line.utf8))
            input.append(0x0A)
        }
        _ = try await run(arguments, input: input, timeout: timeout)
    }

    /// The text of `kcat -L` (metadata of every broker and topic, or with `topic` of that topic only: `-t topic`)
    /// for `bootstrap`.
    public static func metadataListing(
        bootstrap: String, topic: String? = nil, timeout: Duration = .seconds(30)
    ) async throws -> String {
        let arguments = ["-L", "-b", bootstrap] + (topic.map { ["-t", $0] } ?? [])
        return String(decoding: try await run(arguments, input: nil, timeout: timeout), as: UTF8.self)
    }

    // MARK: - Arguments

    static func propertyArguments(_ properties: [String: String]) -> [String] {
        properties.sorted { $0.key < $1.key }.flatMap { ["-X", "\($0.key)=\($0.value)"] }
    }

    /// kcat's `-K`/`-D` syntax: `\n`, `\t`, `\r`, `\xNN` escapes; anything else is taken literally.
    static func delimiterArgument(_ delimiter: Character) throws -> String {
        switch delimiter {
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\r": return "\\r"
        case "\\": return "\\x5c"
        default:
            guard !delimiter.utf8.isEmpty else {
                throw KcatError(kind: .launchFailed, detail: "empty key delimiter")
            }
            return String(delimiter)
        }
    }

    // MARK: - Parsing

    /// Parses the output of ``consumeFormat``.
    static func parseConsumeOutput(_ bytes: [UInt8]) throws -> [KcatRecord] {
        var records: [KcatRecord] = []
        var index = 0
        let end = bytes.count
        func malformed(_ what: String, at position: Int) -> KcatError {
            let context = String(decoding: bytes[position..<min(end, position + 80)], as: UTF8.self)
            return KcatError(
                kind: .malformedOutput, detail: "\(what) at byte \(position) of \(end): \(context.debugDescription)")
        }
        while index < end {
            guard let lineEnd = bytes[index...].firstIndex(of: 0x0A),
                let fields = parseRecordLine(bytes[index..<lineEnd])
            else {
                throw malformed("expected a record line", at: index)
            }
            var position = lineEnd + 1
            func take(_ length: Int64, _ what: String) throws -> [UInt8]? {
                guard length >= 0 else { return nil }
                guard length <= Int64(end - position) else { throw malformed("truncated \(what)", at: position) }
                let slice = Array(bytes[position..<position + Int(length)])
                position += Int(length)
                return slice
            }
            let key = try take(fields.keyLength, "key")
            let value = try take(fields.valueLength, "value")
            // Headers run to the record's terminating newline: the first newline followed by the end of the output or
            // by another record line (a newline inside a header value is followed by neither, usually).
            var headersEnd: Int?
            var search = position
            while let newline = bytes[search...].firstIndex(of: 0x0A) {
                let next = newline + 1
                if next == end {
                    headersEnd = newline
                    break
                }
                if let nextLineEnd = bytes[next...].firstIndex(of: 0x0A),
                    parseRecordLine(bytes[next..<nextLineEnd]) != nil
                {
                    headersEnd = newline
                    break
                }
                search = next
            }
            guard let headersEnd else { throw malformed("unterminated record", at: position) }
            let headers = parseHeaders(bytes[position..<headersEnd])
            records.append(
                KcatRecord(
                    topic: fields.topic, partition: fields.partition, offset: fields.offset, key: key, value: value,
                    headers: headers, timestamp: fields.timestamp))
            index = headersEnd + 1
        }
        return records
    }

    struct RecordLine {
        var topic: String
        var partition: Int32
        var offset: Int64
        var timestamp: Int64
        var keyLength: Int64
        var valueLength: Int64
    }

    /// Parses `topic partition offset timestamp keyLength valueLength`.
    static func parseRecordLine(_ line: ArraySlice<UInt8>) -> RecordLine? {
        let fields = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard fields.count == 6, !fields[0].isEmpty else { return nil }
        // Kafka topic names are [a-zA-Z0-9._-].
        let topicBytes = fields[0]
        guard
            topicBytes.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            })
        else { return nil }
        func integer(_ field: ArraySlice<UInt8>) -> Int64? {
            guard !field.isEmpty, field.count <= 20 else { return nil }
            return Int64(String(decoding: field, as: UTF8.self))
        }
        guard let partition = integer(fields[1]).flatMap({ Int32(exactly: $0) }),
            let offset = integer(fields[2]),
            let timestamp = integer(fields[3]),
            let keyLength = integer(fields[4]), keyLength >= -1,
            let valueLength = integer(fields[5]), valueLength >= -1
        else { return nil }
        return RecordLine(
            topic: String(decoding: topicBytes, as: UTF8.self), partition: partition, offset: offset,
            timestamp: timestamp, keyLength: keyLength, valueLength: valueLength)
    }

    /// Parses kcat's `%h` output, `name=value,name2=value2` (`NULL` for a null value). Best effort; see ``Kcat``.
    static func parseHeaders(_ text: ArraySlice<UInt8>) -> [KcatHeader] {
        guard !text.isEmpty else { return [] }
        // A comma-separated piece without '=' cannot start a header: it belongs to the previous value.
        var pieces: [ArraySlice<UInt8>] = []
        var start = text.startIndex
        for i in text.indices where text[i] == 0x2C {
            let candidate = text[(i + 1)..<text.endIndex]
            let nextComma = candidate.firstIndex(of: 0x2C) ?? candidate.endIndex
            if candidate[candidate.startIndex..<nextComma].contains(0x3D) {
                pieces.append(text[start..<i])
                start = i + 1
            }
        }
        pieces.append(text[start..<text.endIndex])
        return pieces.map { piece in
            guard let equals = piece.firstIndex(of: 0x3D) else {
                return KcatHeader(key: String(decoding: piece, as: UTF8.self), value: nil)
            }
            let name = String(decoding: piece[piece.startIndex..<equals], as: UTF8.self)
            let value = Array(piece[(equals + 1)..<piece.endIndex])
            return KcatHeader(key: name, value: value == Array("NULL".utf8) ? nil : value)
        }
    }

    // MARK: - Running kcat

    /// Runs kcat with `arguments` and `input` on standard input; returns its standard output.
    ///
    /// It runs as a ``ChildProcess`` (`posix_spawn`, reaped with `waitpid`): Foundation's `Process` sometimes missed
    /// kcat's exit when many programs ran at once, leaving a zombie and a test waiting for it forever.
    static func run(_ arguments: [String], input: Data?, timeout: Duration) async throws -> [UInt8] {
        guard let executable = path else { throw KcatError(kind: .notInstalled) }
        let commandLine = [executable] + arguments
        let child: ChildProcess
        do {
            child = try ChildProcess(executable, arguments)
        } catch {
            throw KcatError(kind: .launchFailed, arguments: commandLine, detail: "\(error)")
        }
        if let input {
            // A large input fills the pipe until kcat reads it: written off the cooperative pool.
            try? await runOffThePool { try child.write(input) }
        }
        child.closeInput()
        let outcome: ChildProcess.Outcome
        do {
            outcome = try await child.wait(timeout: timeout)
        } catch let error as ChildProcess.TimedOut {
            throw KcatError(
                kind: .timedOut, arguments: commandLine, stderr: error.stderr,
                detail: "no exit within \(timeout), \(error.stdout.utf8.count) bytes of output so far")
        }
        guard outcome.signal == nil, outcome.status == 0 else {
            let detail = outcome.signal.map { "killed by signal \($0)" } ?? ""
            throw KcatError(
                kind: .nonZeroExit(outcome.status), arguments: commandLine, stderr: outcome.stderr, detail: detail)
        }
        return outcome.stdoutBytes
    }
}
