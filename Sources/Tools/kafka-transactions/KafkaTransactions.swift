import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-transactions`: this project's version of Apache Kafka's `bin/kafka-transactions.sh`
/// (`TransactionsCommand`), with the same subcommands, flags and tables.
///
/// ```
/// kafka-transactions --bootstrap-server localhost:9092 list
/// kafka-transactions --bootstrap-server localhost:9092 find-hanging --broker-id 1
/// kafka-transactions --bootstrap-server localhost:9092 abort --topic orders --partition 0 --start-offset 42
/// ```
@main
struct KafkaTransactions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-transactions",
        abstract: "Analyze the transactional state of producers in the cluster; detect and abort hanging "
            + "transactions (as Apache Kafka's kafka-transactions.sh).",
        discussion: """
            --bootstrap-server and --command-config may come before or after the command. The tables are \
            Kafka's: one line per row, each cell padded to its column and followed by a tab. list, describe, \
            describe-producers and find-hanging take --json for a JSON array in place of the table.

            A broker too old for an API (ListTransactions and DescribeProducers need Kafka 2.8, \
            DescribeTransactions Kafka 3.0) is reported in one line naming the API and the broker's versions. \
            abort with --producer-id, --producer-epoch and --coordinator-epoch needs only WriteTxnMarkers, \
            which every broker since Kafka 0.11 has.

            Exit status: 0 on success, 1 on an error (Kafka's message on standard error), 2 for a usage error.

            Shell completion: kafka-transactions --generate-completion-script bash (or zsh, fish) prints a \
            completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion,
        subcommands: [
            ListCommand.self, DescribeCommand.self, DescribeProducersCommand.self, AbortCommand.self,
            FindHangingCommand.self,
        ]
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        throw ValidationError(
            "Missing command: one of list, describe, describe-producers, abort, find-hanging")
    }
}

extension KafkaTransactions {
    /// Runs `body` with a transactions tool on an admin client for the connection options.
    func withTool(_ body: (TransactionsTool) async throws -> Void) async throws {
        try await connection.withAdmin(label: "kafka-transactions") { admin in
            try await body(TransactionsTool(admin: admin))
        }
    }
}

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List transactions.")

    @ParentCommand var parent: KafkaTransactions
    @OptionGroup var options: ListTransactionsOptions

    func run() async throws {
        try await parent.withTool { try await $0.list(options) }
    }
}

struct DescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe", abstract: "Describe the state of an active transactional-id.")

    @ParentCommand var parent: KafkaTransactions
    @OptionGroup var options: DescribeTransactionOptions

    func run() async throws {
        try await parent.withTool { try await $0.describe(options) }
    }
}

struct DescribeProducersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe-producers", abstract: "Describe the states of active producers for a topic partition.")

    @ParentCommand var parent: KafkaTransactions
    @OptionGroup var options: DescribeProducersOptions

    func run() async throws {
        try await parent.withTool { try await $0.describeProducers(options) }
    }
}

struct AbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort", abstract: "Abort a hanging transaction (requires administrative privileges).",
        discussion: "Name the transaction with --start-offset (brokers with DescribeProducers, Kafka 2.8 and "
            + "later), or with --producer-id, --producer-epoch and --coordinator-epoch (any broker).")

    @ParentCommand var parent: KafkaTransactions
    @OptionGroup var options: AbortTransactionOptions

    func run() async throws {
        _ = try options.target()
        try await parent.withTool { try await $0.abort(options) }
    }
}

struct FindHangingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find-hanging", abstract: "Find hanging transactions.")

    @ParentCommand var parent: KafkaTransactions
    @OptionGroup var options: FindHangingOptions

    func run() async throws {
        try options.checkScope()
        try await parent.withTool { try await $0.findHanging(options) }
    }
}
