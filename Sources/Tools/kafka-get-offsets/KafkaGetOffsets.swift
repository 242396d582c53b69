import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-get-offsets`: this project's version of Apache Kafka's `bin/kafka-get-offsets.sh`
/// (`org.apache.kafka.tools.GetOffsetShell`), with the same flags and output.
///
/// ```
/// kafka-get-offsets --bootstrap-server localhost:9092 --topic orders --time -1
/// ```
@main
struct KafkaGetOffsets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-get-offsets",
        abstract: "Print partitions' offsets (as Apache Kafka's kafka-get-offsets.sh).",
        discussion: """
            Prints one line per partition, topic:partition:offset, ordered by the text topic-partition as \
            Kafka orders them. --time picks the offset: latest (-1, the default: the offset after the last \
            record), earliest (-2), max-timestamp (-3, the record with the largest timestamp; the broker \
            needs ListOffsets v7, Kafka 3.0), or a time in milliseconds since the epoch (the first record at \
            or after it; partitions with no such record are left out). Partitions whose lookup fails are \
            named on standard error and left out. --json prints a JSON array instead.

            Exit status: 0 on success, 1 when no partition matched or the lookup failed (the reason on \
            standard error), 2 for a usage error.

            Examples (with KAFKA_BOOTSTRAP_SERVERS=localhost:9092 set):
              kafka-get-offsets --topic orders
              kafka-get-offsets --topic-partitions 'orders:0-3,payments' --time earliest
              kafka-get-offsets --time 1700000000000 --exclude-internal-topics

            Shell completion: kafka-get-offsets --generate-completion-script bash (or zsh, fish) prints a \
            completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: GetOffsetsOptions

    func run() async throws {
        try await connection.withAdmin(label: "kafka-get-offsets", extra: ["client.id": "GetOffsetShell"]) { admin in
            try await GetOffsetsTool(admin: admin, options: options).run()
        }
    }
}
