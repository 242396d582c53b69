import ArgumentParser
import KafkaCLISupport
import KafkaNetwork

/// `kafka-console-consumer`: prints the records of topics, as Kafka's `kafka-console-consumer.sh`.
@main
struct ConsoleConsumer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-console-consumer",
        abstract: "Read records from Kafka topics and print them on standard output.",
        discussion: """
            With --topic or --include the consumer joins a group (--group, or a random \
            console-consumer-NNNNN group that commits nothing) and starts where the group committed, else \
            at the end (at the beginning with --from-beginning). With --partition it reads that partition \
            of --topic alone, from --offset (earliest, latest (default) or a number).

            Output (Kafka's DefaultMessageFormatter) is controlled by --property: print.timestamp, \
            print.partition, print.offset, print.headers, print.key, print.value (true|false), \
            key.separator (TAB), line.separator (newline), headers.separator (,), null.literal (null); \
            columns come in that order, e.g. 'CreateTime:1700000000000<TAB>Partition:0<TAB>Offset:5<TAB>key<TAB>value'. \
            --format takes a kcat-style pattern instead: %t topic, %p partition, %o offset, %k key, \
            %s value, %h headers (name=value,...), %T timestamp, %K / %S key / value length, %%, and the \
            escapes \\n \\r \\t \\\\ (a null key or value prints as nothing). --json prints one JSON object \
            per record: topic, partition, offset, timestamp, timestampType, key, value, headers \
            ([{"key":...,"value":...}]); a key or value that is not valid UTF-8 is base64 with \
            "keyEncoding"/"valueEncoding":"base64" beside it; null stays null.

            It stops after --max-messages records, after --timeout-ms without a record, or on SIGINT / \
            SIGTERM; then it commits what it printed (with --group), leaves the group, prints 'Processed a \
            total of N messages' on standard error and exits 0. Errors exit 1, bad arguments 2.

            Shell completion: kafka-console-consumer --generate-completion-script bash (or zsh, fish) prints a completion \
            script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion)

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: ConsoleConsumerOptions

    func run() async throws {
        try await ConsoleConsumerTool.run(options, connection: connection)
    }
}
