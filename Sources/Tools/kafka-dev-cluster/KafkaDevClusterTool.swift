import ArgumentParser
import Foundation
import KafkaCLISupport
import KafkaDevCluster
import KafkaNetwork

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `kafka-dev-cluster`: a Kafka-compatible development cluster in one process.
///
/// Starts N brokers on loopback ports (by default one broker on 127.0.0.1:9092), prints
/// `bootstrap.servers=…` once every broker listens, and runs until SIGINT or SIGTERM. A development
/// and test tool — never a broker for production.
@main
struct KafkaDevClusterTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-dev-cluster",
        abstract: "Run a Kafka-compatible development cluster in this process (not for production).",
        discussion: """
            Starts --brokers brokers on --host, ports --port, --port+1, ... (0 picks free ports). They \
            speak the Kafka protocol: topics, produce and fetch, offsets, consumer groups, configs. \
            Data lives in memory unless --data-dir is given. It is a development and test tool, NOT a \
            production broker: there is no replication, no durability guarantee, and authorization (--authorizer) \
            is for trying ACLs out.

            When ready it prints 'bootstrap.servers=HOST:PORT,...' on standard output and, with \
            --bootstrap-file, writes the bare list to that file (atomically). It runs until SIGINT or \
            SIGTERM, then removes the bootstrap file and exits 0. If it cannot start it prints one \
            line on standard error and exits 1; bad arguments exit 2.

            Examples:
              kafka-dev-cluster
              kafka-dev-cluster --brokers 3 --port 19092 --topic orders:6 --bootstrap-file /tmp/bs
              kcat -b 127.0.0.1:9092 -L

            Shell completion: kafka-dev-cluster --generate-completion-script bash (or zsh, fish) prints a completion \
            script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    @Option(help: "Number of brokers (1-64); node ids are 1 through N.")
    var brokers: Int = 1

    @Option(help: "Address to listen on and advertise.")
    var host: String = "127.0.0.1"

    @Option(help: "Port of the first broker; the others use the next ports. 0 picks free ports.")
    var port: Int = 9092

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp("A topic to create at start; repeatable.", valueName: "name:partitions[:replication]"),
        transform: { try TopicSpec(parsing: $0, maxPartitions: 100_000, maxReplicationFactor: 64) })
    var topics: [TopicSpec] = []

    @Option(help: "Partitions of auto-created topics (Kafka's num.partitions).")
    var partitions: Int32 = 1

    @Flag(help: "Do not create topics on Metadata requests (auto.create.topics.enable=false).")
    var noAutoCreateTopics = false

    @Option(
        help: ArgumentHelp(
            "Keep topics, logs and committed offsets in this directory (loaded at start, saved while running "
                + "and at exit) instead of only in memory.", valueName: "path"))
    var dataDir: String?

    @Option(
        help: ArgumentHelp("Write the bootstrap list to this file once ready (removed on exit).", valueName: "path"))
    var bootstrapFile: String?

    @Option(
        name: .customLong("sasl-mechanism"),
        help: ArgumentHelp(
            "Require SASL with this mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, or OAUTHBEARER with Kafka's "
                + "unsecured tokens); repeatable."))
    var saslMechanisms: [String] = []

    @Option(
        name: .customLong("user"),
        help: ArgumentHelp("A SASL user; repeatable.", valueName: "name:password"))
    var users: [String] = []

    @Option(
        name: .customLong("connections-max-reauth-ms"),
        help: ArgumentHelp(
            "End SASL sessions after this many milliseconds (Kafka's connections.max.reauth.ms): clients must "
                + "re-authenticate. 0: never.", valueName: "ms"))
    var connectionsMaxReauthMs: Int64 = 0

    @Flag(
        help: ArgumentHelp(
            "Run an ACL authorizer (Kafka's authorizer.class.name): the ACL APIs store ACLs and every request is "
                + "checked against them; principals are User:<SASL user>, User:ANONYMOUS without SASL."))
    var authorizer = false

    @Option(
        name: .customLong("super-user"),
        help: ArgumentHelp(
            "A principal allowed everything with --authorizer (Kafka's super.users); repeatable.",
            valueName: "User:name"))
    var superUsers: [String] = []

    @Flag(
        name: .customLong("allow-everyone-if-no-acl-found"),
        help: "With --authorizer, open resources that no ACL applies to (Kafka's allow.everyone.if.no.acl.found).")
    var allowEveryoneIfNoACLFound = false

    @Option(help: ArgumentHelp("Serve TLS with this PEM certificate chain (needs --tls-key).", valueName: "path"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "path"))
    var tlsKey: String?

    /// Runs the command; usage errors exit 2 (as Kafka's tools), failures 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = fullMessage(for: error)
                FileHandle.standardError.write(Data((message + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    func validate() throws {
        guard (1...64).contains(brokers) else {
            throw ValidationError("--brokers must be between 1 and 64, not \(brokers).")
        }
        guard (0...65535).contains(port), port == 0 || port + brokers - 1 <= 65535 else {
            throw ValidationError("--port \(port) leaves no room for \(brokers) broker(s).")
        }
        guard partitions > 0 else { throw ValidationError("--partitions must be positive.") }
        var seen = Set<String>()
        for topic in topics {
            guard topic.replicationFactor <= brokers else {
                throw ValidationError(
                    "Topic '\(topic.name)' has replication factor \(topic.replicationFactor) "
                        + "but the cluster has only \(brokers) broker(s).")
            }
            guard seen.insert(topic.name).inserted else {
                throw ValidationError("Topic '\(topic.name)' is given more than once.")
            }
        }
        for user in users where !user.contains(":") {
            throw ValidationError("--user expects name:password, not '\(user)'.")
        }
        for mechanism in saslMechanisms
        where !["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"].contains(mechanism) {
            throw ValidationError("Unsupported SASL mechanism '\(mechanism)'.")
        }
        guard connectionsMaxReauthMs >= 0 else {
            throw ValidationError("--connections-max-reauth-ms must not be negative.")
        }
        if !authorizer, !superUsers.isEmpty || allowEveryoneIfNoACLFound {
            throw ValidationError("--super-user and --allow-everyone-if-no-acl-found need --authorizer.")
        }
        for principal in superUsers where principal.split(separator: ":", maxSplits: 1).count != 2 {
            throw ValidationError("--super-user expects principalType:name (User:admin), not '\(principal)'.")
        }
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together.")
        }
    }

    func run() async throws {
        let signals = await ShutdownSignals()
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = brokers
        configuration.host = host
        configuration.port = port
        configuration.defaultPartitions = partitions
        configuration.autoCreateTopics = !noAutoCreateTopics
        configuration.dataDirectory = dataDir
        configuration.saslMechanisms = saslMechanisms
        if authorizer {
            configuration.authorizer = DevClusterConfiguration.Authorizer(
                superUsers: Set(superUsers), allowEveryoneIfNoACLFound: allowEveryoneIfNoACLFound)
        }
        if connectionsMaxReauthMs > 0 { configuration.connectionsMaxReauth = .milliseconds(connectionsMaxReauthMs) }
        for user in users {
            let parts = user.split(separator: ":", maxSplits: 1)
            configuration.users[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let cluster: DevCluster
        do {
            if let tlsCert, let tlsKey {
                configuration.tls = try DevClusterConfiguration.tlsContext(
                    certificateChainFile: tlsCert, privateKeyFile: tlsKey)
            }
            cluster = try await DevCluster(configuration: configuration)
            for topic in topics where !cluster.topicNames.contains(topic.name) {
                try cluster.createTopic(
                    topic.name, partitions: Int32(topic.partitions), replicationFactor: Int16(topic.replicationFactor))
            }
        } catch {
            Self.writeLine("kafka-dev-cluster: cannot start: \(error)", to: .standardError)
            throw ExitCode.failure
        }
        let bootstrap = cluster.bootstrapServers
        if let bootstrapFile {
            do {
                try (bootstrap + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
            } catch {
                Self.writeLine(
                    "kafka-dev-cluster: cannot write \(bootstrapFile): \(error.localizedDescription)",
                    to: .standardError)
                await cluster.shutdown()
                throw ExitCode.failure
            }
        }
        Self.writeLine("bootstrap.servers=\(bootstrap)", to: .standardOutput)
        await signals.wait()
        if let bootstrapFile { try? FileManager.default.removeItem(atPath: bootstrapFile) }
        await cluster.shutdown()
    }

    /// Writes `line` and a newline to `handle`, unbuffered.
    static func writeLine(_ line: String, to handle: FileHandle) {
        handle.write(Data((line + "\n").utf8))
    }
}
