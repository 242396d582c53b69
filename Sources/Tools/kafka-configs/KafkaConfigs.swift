import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-configs`: this project's version of Apache Kafka's `bin/kafka-configs.sh` (`ConfigCommand`) with
/// `--bootstrap-server`, with the same flags and output.
///
/// ```
/// kafka-configs --bootstrap-server localhost:9092 --alter --entity-type topics --entity-name orders \
///     --add-config retention.ms=86400000,cleanup.policy=[compact,delete]
/// kafka-configs --bootstrap-server localhost:9092 --describe --entity-type topics --entity-name orders
/// ```
@main
struct KafkaConfigs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-configs",
        abstract: "Describe and alter the configs of topics, brokers, broker loggers, users and clients "
            + "(as Apache Kafka's kafka-configs.sh).",
        discussion: """
            Entities: --entity-type topics|brokers|broker-loggers|users|clients with --entity-name NAME or \
            --entity-default (brokers, users, clients), or the shorthands --topic, --broker, --broker-logger, \
            --user, --client, --broker-defaults, --user-defaults, --client-defaults. Users and clients may be \
            given together (the quotas of a user's clients).

            --describe prints Kafka's lines ("Dynamic configs for topic orders are:", then \
            "  key=value sensitive=false synonyms={...}"; "Quota configs for user-principal 'alice' are ..."; \
            "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192"); with --all \
            every config, not only the dynamic ones; with --json a JSON document instead.

            --alter takes --add-config 'k1=v1,k2=[v1,v2]' (brackets group values with commas) or \
            --add-config-file FILE, and --delete-config k1,k2. Users take quotas (producer_byte_rate, \
            consumer_byte_rate, request_percentage, controller_mutation_rate) or SCRAM credentials \
            ('SCRAM-SHA-256=[iterations=8192,password=secret]', --delete-config SCRAM-SHA-512); clients take \
            quotas. A broker without the quota or SCRAM APIs (before Kafka 2.6 / 2.7) is reported in one line.

            Exit status: 0 on success, 1 when the broker refuses a request or a config is invalid (the reason on \
            standard error), 2 for a usage error.

            Shell completion: kafka-configs --generate-completion-script bash (or zsh, fish) prints a \
            completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: ConfigsOptions

    func run() async throws {
        try await connection.withAdmin(label: "kafka-configs") { admin in
            try await ConfigsTool(admin: admin, options: options, arguments: CommandLine.arguments).run()
        }
    }
}
