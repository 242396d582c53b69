import ArgumentParser
import KafkaCLISupport
import KafkaNetwork

/// `kafka-console-producer`: one record per line of standard input, as Kafka's `kafka-console-producer.sh`.
@main
struct ConsoleProducer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-console-producer",
        abstract: "Read lines from standard input and send each as a record to a Kafka topic.",
        discussion: """
            Each line is one record (the value; with --property parse.key=true 'key<TAB>value'; with \
            parse.headers=true 'h1:v1,h2:v2<TAB>...'). Reader properties, as Kafka's LineMessageReader: \
            parse.key=false, key.separator=<TAB>, parse.headers=false, headers.delimiter=<TAB>, \
            headers.separator=',', headers.key.separator=':', null.marker=<unset> (a key, value or header \
            value equal to it is sent as null), ignore.error=false (a missing separator then gives a null \
            key / no headers instead of an error).

            A line that cannot be parsed or a record that cannot be delivered is reported on standard \
            error with its line number; the other lines are still sent. At end of input (or on SIGINT / \
            SIGTERM) every record is flushed before exit. Exit status: 0 when every line was delivered, \
            1 when any failed, 2 for bad arguments.

            Shell completion: kafka-console-producer --generate-completion-script bash (or zsh, fish) prints a completion \
            script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion)

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: ConsoleProducerOptions

    func run() async throws {
        try await ConsoleProducerTool.run(options, connection: connection)
    }
}
