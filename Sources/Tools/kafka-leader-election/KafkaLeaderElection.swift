import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-leader-election`: this project's version of Apache Kafka's `bin/kafka-leader-election.sh`
/// (`LeaderElectionCommand`), with the same flags and output.
///
/// ```
/// kafka-leader-election --bootstrap-server localhost:9092 --election-type preferred --all-topic-partitions
/// kafka-leader-election --bootstrap-server localhost:9092 --election-type unclean --topic orders --partition 0
/// ```
@main
struct KafkaLeaderElection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-leader-election",
        abstract: "Elect partition leaders (as Apache Kafka's kafka-leader-election.sh).",
        discussion: """
            --election-type PREFERRED moves leadership back to each partition's first replica when it is \
            alive and in sync; UNCLEAN gives a partition without a leader a live replica, also one out of \
            sync. The partitions: --topic with --partition, --path-to-json-file (Kafka's \
            {"partitions":[{"topic":…,"partition":…}]}) or --all-topic-partitions. Prints Kafka's lines \
            ("Successfully completed leader election (PREFERRED) for partitions …", "Valid replica already \
            elected for partitions …", one "Error completing leader election …" line per failure), or with \
            --json a JSON array. Uses ElectLeaders (Kafka 2.4 or later); preferred elections also work with \
            Kafka 2.2 and 2.3 (ElectPreferredLeaders). --admin.config is Kafka's name of --command-config.

            Exit status: 0 on success, 1 when a partition could not be elected or the election failed (the \
            reason on standard error), 2 for a usage error.

            Shell completion: kafka-leader-election --generate-completion-script bash (or zsh, fish) prints \
            a completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: LeaderElectionOptions

    func run() async throws {
        var connection = self.connection
        if connection.commandConfig == nil { connection.commandConfig = options.adminConfig }
        try await connection.withAdmin(label: "kafka-leader-election") { admin in
            try await LeaderElectionTool(admin: admin, options: options).run()
        }
    }
}
