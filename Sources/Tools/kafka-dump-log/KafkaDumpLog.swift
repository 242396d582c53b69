import ArgumentParser
import KafkaCLISupport
import KafkaNetwork

/// `kafka-dump-log`: this project's version of Apache Kafka's `bin/kafka-dump-log.sh` (`DumpLogSegments`): the
/// contents of a broker's segment files on disk.
///
/// ```
/// kafka-dump-log --files /var/lib/kafka/orders-0/00000000000000000000.log --deep-iteration --print-data-log
/// ```
@main
struct KafkaDumpLog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-dump-log",
        abstract: "Print the contents of Kafka log segment files (as Apache Kafka's kafka-dump-log.sh).",
        discussion: """
            Reads the files named by --files from disk (no broker is contacted): .log segments (a line per \
            batch; with --deep-iteration a line per record, and with --print-data-log its key and value), \
            .index and .timeindex files (their entries, checked against the segment's .log), .txnindex \
            files (aborted transactions) and .snapshot files (producer state). The output follows Kafka \
            2.3's kafka-dump-log.sh. Problems found (index entries that disagree with the log, offsets \
            that do not follow each other) are reported on standard error after every file, as Kafka does.

            A corrupt or truncated file is reported (an "error:" line for a batch that cannot be read, \
            "Found N invalid bytes at the end of ..." for a cut-off batch) and the dump goes on.

            Exit status: 0 when every file was read whole, 1 when a file could not be read or held \
            something that could not be decoded (the reason on standard error), 2 for a usage error.

            Shell completion: kafka-dump-log --generate-completion-script bash (or zsh, fish) prints a \
            completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var options: DumpLogOptions

    func run() async throws {
        try DumpLogTool(options: options).run(
            emit: { print($0) },
            report: { KafkaTool.printError($0) })
    }
}
