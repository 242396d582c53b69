import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-broker-api-versions`: this project's version of Apache Kafka's `bin/kafka-broker-api-versions.sh`
/// (`BrokerApiVersionsCommand`), with the same flags and output.
///
/// ```
/// kafka-broker-api-versions --bootstrap-server localhost:9092
/// ```
@main
struct KafkaBrokerAPIVersions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-broker-api-versions",
        abstract: "Print the API versions every broker supports (as Apache Kafka's kafka-broker-api-versions.sh).",
        discussion: """
            For each broker: "host:port (id: N rack: R) -> (", then one line per API with the broker's \
            versions and the version this client would use ("Produce(0): 0 to 7 [usable: 7]"), "[unusable: \
            node too old]" or "[unusable: node too new]" when there is none, "UNSUPPORTED" for a client API \
            the broker does not have, and no note for an API this client never sends (inter-broker APIs). \
            --json prints a JSON array instead.

            Exit status: 0 on success, 1 when a broker did not answer (its line says "ERROR"), 2 for a \
            usage error.

            Shell completion: kafka-broker-api-versions --generate-completion-script bash (or zsh, fish) \
            prints a completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: BrokerAPIVersionsOptions

    func run() async throws {
        try await connection.withAdmin(label: "kafka-broker-api-versions") { admin in
            try await BrokerAPIVersionsTool(admin: admin, options: options).run()
        }
    }
}
