import ArgumentParser
import Foundation
import KafkaCLISupport
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `kafka-mock-cluster`: runs librdkafka's in-process mock cluster as a standalone process, for
/// benchmarks and manual tests.
///
/// The cluster is ``MockKafkaCluster`` from `KafkaTestSupport`: N brokers on loopback ports that speak
/// the real Kafka protocol, with data kept in memory. It is a test double, never a broker to deploy.
///
/// Once the brokers listen and the topics exist, the tool prints `bootstrap.servers=127.0.0.1:port,…`
/// on standard output and, with `--bootstrap-file`, writes the bare list to that file, atomically, so a
/// script can wait for the file to appear. It then runs until SIGINT or SIGTERM, removes the bootstrap
/// file, tears the cluster down and exits 0.
///
/// ```
/// kafka-mock-cluster --brokers 3 --topic perf:6 --topic other:1:3 --bootstrap-file /tmp/mockbs
/// ```
@main
struct KafkaMockCluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-mock-cluster",
        abstract: "Run librdkafka's mock Kafka cluster (for tests and benchmarks; not a broker).",
        discussion: """
            Starts librdkafka's in-process mock cluster: brokers on 127.0.0.1 ports that speak the \
            Kafka protocol and keep everything in memory. It is a test double for benchmarks and \
            manual tests, NOT a Kafka broker: nothing is persisted, and its behaviour only \
            approximates a real cluster. ListOffsets is limited to v0-v2 (librdkafka 2.0.2's mock \
            answers later versions malformed).

            When ready it prints 'bootstrap.servers=127.0.0.1:PORT,...' on standard output and, with \
            --bootstrap-file, writes the bare bootstrap list to that file (atomically). It then runs \
            until SIGINT or SIGTERM, removes the bootstrap file, and exits 0. If the cluster cannot \
            be started it prints one line on standard error and exits 1.

            Example:
              kafka-mock-cluster --brokers 3 --topic perf:6 --topic other:1:3 --bootstrap-file /tmp/mockbs
              kcat -b "$(cat /tmp/mockbs)" -L

            Shell completion: kafka-mock-cluster --generate-completion-script bash (or zsh, fish) prints a completion \
            script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    @Option(help: "Number of mock brokers (1-64); broker ids are 1 through N.")
    var brokers: Int = 1

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "A topic to create; repeatable. Replication defaults to 1 and must not exceed --brokers.",
            valueName: "name:partitions[:replication]"
        ),
        transform: { try TopicSpec(parsing: $0, example: "perf") }
    )
    var topics: [TopicSpec] = []

    @Option(
        help: ArgumentHelp(
            "Write the bootstrap list to this file once the cluster is ready (removed on exit).",
            valueName: "path"
        )
    )
    var bootstrapFile: String?

    func validate() throws {
        guard (1...64).contains(brokers) else {
            throw ValidationError("--brokers must be between 1 and 64, not \(brokers).")
        }
        var seen = Set<String>()
        for topic in topics {
            guard topic.replicationFactor <= brokers else {
                throw ValidationError(
                    "Topic '\(topic.name)' has replication factor \(topic.replicationFactor) "
                        + "but the cluster has only \(brokers) broker(s)."
                )
            }
            guard seen.insert(topic.name).inserted else {
                throw ValidationError("Topic '\(topic.name)' is given more than once.")
            }
        }
    }

    func run() throws {
        // Block the shutdown signals before librdkafka starts its threads, which inherit the mask, so
        // that SIGINT and SIGTERM stay pending until `sigwait` below takes them on this thread.
        var shutdownSignals = sigset_t()
        sigemptyset(&shutdownSignals)
        sigaddset(&shutdownSignals, SIGINT)
        sigaddset(&shutdownSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &shutdownSignals, nil)

        let cluster: MockKafkaCluster
        let bootstrap: String
        do {
            cluster = try MockKafkaCluster(brokers: brokers)
            // librdkafka 2.0.2's mock writes 4 stray bytes per partition into ListOffsets v4+ answers, which
            // consumers rightly refuse; v0–v2 are well formed.
            try cluster.setSupportedVersions(.listOffsets, min: 0, max: 2)
            for topic in topics {
                try cluster.createTopic(
                    topic.name,
                    partitions: topic.partitions,
                    replicationFactor: topic.replicationFactor
                )
            }
            bootstrap = cluster.bootstrapServers
            guard !bootstrap.isEmpty else {
                throw ToolError("the mock cluster reported no bootstrap servers")
            }
            if let bootstrapFile {
                do {
                    try (bootstrap + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
                } catch {
                    throw ToolError(
                        "cannot write bootstrap file \(bootstrapFile): \(error.localizedDescription)"
                    )
                }
            }
        } catch {
            Self.writeLine("kafka-mock-cluster: failed to start the mock cluster: \(error)", to: .standardError)
            throw ExitCode.failure
        }

        // FileHandle writes are unbuffered, so the line is visible to a reading pipe immediately.
        Self.writeLine("bootstrap.servers=\(bootstrap)", to: .standardOutput)

        var received: Int32 = 0
        while sigwait(&shutdownSignals, &received) != 0 {}

        if let bootstrapFile {
            try? FileManager.default.removeItem(atPath: bootstrapFile)
        }
        withExtendedLifetime(cluster) {}
    }

    /// Writes `line` and a newline to `handle`, unbuffered.
    private static func writeLine(_ line: String, to handle: FileHandle) {
        handle.write(Data((line + "\n").utf8))
    }
}
