package import ArgumentParser
import CKafkaToolMalloc
package import KafkaAdmin
import KafkaNetwork
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What every command-line tool of this package shares: Kafka's exit codes (0 ok, 1 error, 2 usage),
/// one-line errors on standard error, `--bootstrap-server` with `KAFKA_BOOTSTRAP_SERVERS` as fallback,
/// and `--command-config FILE` for the security properties.
package enum KafkaTool {
    /// Runs `Command` as the process's main: usage errors print the usage message and exit 2; other
    /// errors print one line (`<tool>: <message>`) and exit 1; `ExitCode`s pass through.
    package static func main<Command: AsyncParsableCommand>(_ command: Command.Type) async {
        _ = mallocArenaLimit
        do {
            var parsed = try Command.parseAsRoot()
            if var asyncCommand = parsed as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try parsed.run()
            }
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let code = Command.exitCode(for: error)
            if code == .validationFailure {
                // Unknown options, missing values, failed validation: the usage message, exit 2.
                writeStandardError(Command.fullMessage(for: error) + "\n")
                exit(2)
            }
            if code == .success {
                Command.exit(withError: error)  // --help, --version
            }
            printError("\(Command.configuration.commandName ?? "kafka"): \(oneLine(error))")
            exit(1)
        }
    }

    /// The malloc arena limit the tool runs with (set before `main` by `CKafkaToolMalloc`); 0 when none was set.
    /// Read in `main` so that the constructor's object file is always linked.
    static var mallocArenaLimit: Int { Int(kafka_tool_malloc_arena_limit()) }

    /// The running tool's name (the executable's file name), as errors and warnings are prefixed with it.
    package static var toolName: String {
        CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "kafka"
    }

    /// Writes `message` and a newline to standard error.
    package static func printError(_ message: String) {
        writeStandardError(message + "\n")
    }

    /// Writes `text` to standard error (unbuffered, whole: short writes are continued).
    package static func writeStandardError(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return 0 }
                return write(STDERR_FILENO, base + offset, raw.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// The error's description on one line.
    package static func oneLine(_ error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// Client properties from `--command-config FILE` (if any), then `bootstrap.servers` from
    /// `bootstrapServer`, else from the file, else from `KAFKA_BOOTSTRAP_SERVERS`.
    ///
    /// Java-only settings (``JavaOnlyProperties``) are dropped with a warning on standard error, except those
    /// named in `keeping` (the tool's own client uses them).
    ///
    /// - Throws: `ValidationError` when no bootstrap server is known; the file's parse errors.
    package static func clientProperties(
        bootstrapServer: String?, commandConfig: String?, extra: [String: String] = [:], keeping: Set<String> = []
    ) throws -> [String: String] {
        var properties: [String: String] = [:]
        if let commandConfig { properties = try PropertiesFile.load(path: commandConfig) }
        properties.merge(extra) { _, new in new }
        if let bootstrapServer, !bootstrapServer.isEmpty {
            properties["bootstrap.servers"] = bootstrapServer
        }
        let (kept, warnings) = JavaOnlyProperties.strip(properties, keeping: keeping)
        for warning in warnings { printError("\(toolName): \(warning)") }
        properties = kept
        if properties["bootstrap.servers", default: ""].isEmpty {
            guard let fromEnvironment = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"],
                !fromEnvironment.isEmpty
            else {
                throw ValidationError(
                    "Missing required option '--bootstrap-server' (or the environment variable KAFKA_BOOTSTRAP_SERVERS)"
                )
            }
            properties["bootstrap.servers"] = fromEnvironment
        }
        return properties
    }

    /// `k=v` pairs (as `--config`, `--property`, `--producer-property` take them).
    ///
    /// - Throws: `ValidationError` naming `option` for an entry without `=`.
    package static func keyValues(_ entries: [String], option: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("\(option) expects key=value, not '\(entry)'")
            }
            result[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return result
    }
}

/// The options every tool takes to reach the cluster.
package struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("bootstrap-server"),
        help: ArgumentHelp(
            "The Kafka server(s) to connect to, host:port[,host:port] (default: $KAFKA_BOOTSTRAP_SERVERS).",
            valueName: "server(s)"))
    package var bootstrapServer: String?

    @Option(
        name: .customLong("command-config"),
        help: ArgumentHelp(
            "A Java properties file with client settings (security.protocol, sasl.*, ssl.*, ...).",
            valueName: "file"))
    package var commandConfig: String?

    package init() {}

    /// The client properties these options name (see
    /// ``KafkaTool/clientProperties(bootstrapServer:commandConfig:extra:keeping:)``).
    package func clientProperties(extra: [String: String] = [:], keeping: Set<String> = []) throws -> [String: String] {
        try KafkaTool.clientProperties(
            bootstrapServer: bootstrapServer, commandConfig: commandConfig, extra: extra, keeping: keeping)
    }
}

extension ConnectionOptions {
    /// Runs `body` with an admin client for these options (its log quiet: the tools report failures themselves) and
    /// closes the client afterwards, also when `body` throws.
    package func withAdmin(
        label: String, extra: [String: String] = [:], _ body: (KafkaAdminClient) async throws -> Void
    ) async throws {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let admin = try KafkaAdminClient(properties: try clientProperties(extra: extra), logger: logger)
        do {
            try await body(admin)
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
    }
}
