import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-log-dirs`: this project's version of Apache Kafka's `bin/kafka-log-dirs.sh` (`LogDirsCommand`), with the
/// same flags and output.
///
/// ```
/// kafka-log-dirs --bootstrap-server localhost:9092 --describe --broker-list 0,1 --topic-list orders
/// ```
@main
struct KafkaLogDirs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-log-dirs",
        abstract: "Describe the brokers' log directories (as Apache Kafka's kafka-log-dirs.sh).",
        discussion: """
            Prints Kafka's two lines ("Querying brokers for log directories information", "Received log \
            directory information from brokers 0,1") and then Kafka's JSON document: per broker its log \
            directories, each with its error (null when online) and its replicas (partition, size in \
            bytes, offset lag, whether it is a future replica). The output is JSON already, so there is \
            no --json.

            Exit status: 0 on success, 1 when a --broker-list id is not a broker of the cluster or a \
            broker did not answer (the reason on standard error), 2 for a usage error.

            Shell completion: kafka-log-dirs --generate-completion-script bash (or zsh, fish) prints a \
            completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: LogDirsOptions

    func run() async throws {
        try await connection.withAdmin(label: "kafka-log-dirs") { admin in
            try await LogDirsTool(admin: admin, options: options).run()
        }
    }
}
