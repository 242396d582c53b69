import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-topics`: this project's version of Apache Kafka's `bin/kafka-topics.sh`
/// (`org.apache.kafka.tools.TopicCommand`), with the same flags and output.
///
/// ```
/// kafka-topics --bootstrap-server localhost:9092 --create --topic orders --partitions 6 --replication-factor 3
/// kafka-topics --bootstrap-server localhost:9092 --describe --topic 'orders.*'
/// ```
@main
struct KafkaTopics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-topics",
        abstract: "Create, delete, describe, or change a topic (as Apache Kafka's kafka-topics.sh).",
        discussion: """
            Give exactly one action: --create, --list, --describe, --alter or --delete.

            --topic names the topic to create; with the other actions it is a regular expression that \
            must match whole topic names (a comma separates alternatives, as in Kafka: 'a,b' is 'a|b'). \
            Without --topic, --list and --describe cover every topic.

            --describe prints Kafka's format: per topic a line with its id, partition count, replication \
            factor and config overrides, then a tab-indented line per partition with its leader, \
            replicas and in-sync replicas. The --under-replicated-partitions, --unavailable-partitions, \
            --under-min-isr-partitions and --at-min-isr-partitions filters print only the matching \
            partition lines; --topics-with-overrides prints only the topic lines of topics with \
            overrides.

            Exit status: 0 on success, 1 when the operation failed (the reason on standard error), 2 for \
            a usage error.

            Examples (with KAFKA_BOOTSTRAP_SERVERS=localhost:9092 set):
              kafka-topics --create --topic orders --partitions 6 \\
                --replication-factor 3 --config retention.ms=86400000
              kafka-topics --list --exclude-internal
              kafka-topics --describe --topic 'orders|payments'
              kafka-topics --alter --topic orders --partitions 12
              kafka-topics --delete --topic 'tmp-.*' --if-exists

            Shell completion: kafka-topics --generate-completion-script bash (or zsh, fish) prints a completion \
            script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: KafkaTopicsOptions

    func run() async throws {
        try await connection.withAdmin(label: "kafka-topics") { admin in
            try await TopicsTool(admin: admin, options: options).run()
        }
    }
}
