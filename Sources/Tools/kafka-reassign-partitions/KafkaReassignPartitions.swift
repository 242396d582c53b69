import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-reassign-partitions`: this project's version of Apache Kafka's `bin/kafka-reassign-partitions.sh`
/// (`ReassignPartitionsCommand`), with the same flags and output.
///
/// ```
/// kafka-reassign-partitions --bootstrap-server localhost:9092 --generate --topics-to-move-json-file topics.json \
///     --broker-list 1,2,3
/// kafka-reassign-partitions --bootstrap-server localhost:9092 --execute --reassignment-json-file plan.json
/// kafka-reassign-partitions --bootstrap-server localhost:9092 --verify --reassignment-json-file plan.json
/// ```
@main
struct KafkaReassignPartitions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-reassign-partitions",
        abstract: "Move partitions between brokers (as Apache Kafka's kafka-reassign-partitions.sh).",
        discussion: """
            Exactly one action: --generate proposes a plan for the topics of --topics-to-move-json-file on \
            the brokers of --broker-list (printing the current and the proposed assignment as Kafka's JSON); \
            --execute starts the plan of --reassignment-json-file (printing the current assignment to roll \
            back with; --throttle limits replication to that many bytes/s until --verify clears it); \
            --verify reports each partition of the plan and, once no reassignment runs, clears the \
            throttles; --cancel stops the plan's reassignments in progress; --list lists every reassignment \
            in progress. Partition reassignment needs Kafka 2.4 or later (AlterPartitionReassignments, \
            ListPartitionReassignments); --generate works with any broker. --json prints a JSON array for \
            --list and --verify.

            Exit status: 0 on success, 1 when the action failed (the reason on standard error, partition \
            errors first on standard output as Kafka prints them), 2 for a usage error.

            Shell completion: kafka-reassign-partitions --generate-completion-script bash (or zsh, fish) \
            prints a completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: ReassignPartitionsOptions

    func run() async throws {
        try await connection.withAdmin(
            label: "kafka-reassign-partitions", extra: ["client.id": "reassign-partitions-tool"]
        ) {
            admin in
            try await ReassignPartitionsTool(admin: admin, options: options).run()
        }
    }
}
