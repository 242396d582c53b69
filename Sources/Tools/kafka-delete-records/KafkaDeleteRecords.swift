import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-delete-records`: this project's version of Apache Kafka's `bin/kafka-delete-records.sh`
/// (`org.apache.kafka.tools.DeleteRecordsCommand`), with the same flags and output.
///
/// ```
/// kafka-delete-records --bootstrap-server localhost:9092 --offset-json-file offsets.json
/// ```
@main
struct KafkaDeleteRecords: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-delete-records",
        abstract: "Delete the records of partitions before given offsets (as Apache Kafka's kafka-delete-records.sh).",
        discussion: """
            Moves each listed partition's log start offset to the given offset: the records before it are \
            deleted (-1 deletes every record, up to the high watermark). The file is Kafka's format:

              {"partitions": [{"topic": "orders", "partition": 0, "offset": 42}], "version": 1}

            Prints Kafka's report: per partition its new low watermark, or the error. --json prints a JSON \
            array instead.

            Exit status: 0 when every partition's records were deleted, 1 otherwise (the reason on standard \
            error), 2 for a usage error.

            Shell completion: kafka-delete-records --generate-completion-script bash (or zsh, fish) prints a \
            completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: DeleteRecordsOptions

    func run() async throws {
        try await connection.withAdmin(label: "kafka-delete-records") { admin in
            try await DeleteRecordsTool(admin: admin, options: options).run()
        }
    }
}
