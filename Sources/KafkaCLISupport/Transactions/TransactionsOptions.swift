package import ArgumentParser
package import KafkaAdmin
package import KafkaNetwork

/// `kafka-transactions list`: Apache Kafka's `ListTransactionsCommand` flags, with the ListTransactions filters the
/// Java client's `ListTransactionsOptions` offers.
package struct ListTransactionsOptions: ParsableArguments {
    @Option(
        name: .customLong("duration-filter"), parsing: .unconditional,
        help: ArgumentHelp(
            "Only transactions running longer than this many milliseconds (< 0: every transaction; needs Kafka 3.8).",
            valueName: "ms"))
    package var durationFilter: Int64?

    @Option(
        name: .customLong("states"),
        help: ArgumentHelp(
            "Only transactional ids in these states, as Ongoing,PrepareCommit,... (case-insensitive).",
            valueName: "states"))
    package var states: String?

    @Option(
        name: .customLong("producer-ids"),
        help: ArgumentHelp("Only transactional ids whose producer id is one of these, as 1,2,3.", valueName: "ids"))
    package var producerIDs: String?

    @Flag(name: .customLong("json"), help: "Print a JSON array in place of the table.")
    package var json = false

    package init() {}

    package func validate() throws {
        _ = try stateFilter()
        _ = try producerIDFilter()
    }

    /// The `--states` filter (nil: every state).
    ///
    /// - Throws: `ValidationError` naming a state the coordinator does not know.
    package func stateFilter() throws -> Set<TransactionState>? {
        guard let states else { return nil }
        var result = Set<TransactionState>()
        for name in states.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let state = TransactionState.named(name) else {
                throw ValidationError(
                    "--states: '\(name)' is not a transaction state (one of "
                        + TransactionState.known.map(\.rawValue).joined(separator: ", ") + ")")
            }
            result.insert(state)
        }
        return result
    }

    /// The `--producer-ids` filter (nil: every producer).
    ///
    /// - Throws: `ValidationError` naming an entry that is not a producer id.
    package func producerIDFilter() throws -> Set<Int64>? {
        guard let producerIDs else { return nil }
        var result = Set<Int64>()
        for part in producerIDs.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !part.isEmpty {
            guard let id = Int64(part), id >= 0 else {
                throw ValidationError("--producer-ids: '\(part)' is not a producer id")
            }
            result.insert(id)
        }
        return result
    }

    /// The duration filter to send: nil when absent or negative (every transaction), as Kafka's option.
    package var minimumDurationMs: Int64? { durationFilter.flatMap { $0 >= 0 ? $0 : nil } }
}

/// `kafka-transactions describe`: Apache Kafka's `DescribeTransactionsCommand` flags.
package struct DescribeTransactionOptions: ParsableArguments {
    @Option(name: .customLong("transactional-id"), help: ArgumentHelp("The transactional id.", valueName: "id"))
    package var transactionalID: String

    @Flag(name: .customLong("json"), help: "Print a JSON array in place of the table.")
    package var json = false

    package init() {}
}

/// `kafka-transactions describe-producers`: Apache Kafka's `DescribeProducersCommand` flags.
package struct DescribeProducersOptions: ParsableArguments {
    @Option(
        name: .customLong("broker-id"),
        help: ArgumentHelp("Ask this broker's replica instead of the leader.", valueName: "id"))
    package var brokerID: Int32?

    @Option(name: .customLong("topic"), help: ArgumentHelp("The topic.", valueName: "topic"))
    package var topic: String

    @Option(name: .customLong("partition"), help: ArgumentHelp("The partition number.", valueName: "partition"))
    package var partition: Int32

    @Flag(name: .customLong("json"), help: "Print a JSON array in place of the table.")
    package var json = false

    package init() {}

    /// The partition to describe.
    package var topicPartition: TopicPartitionKey { TopicPartitionKey(topic: topic, partition: partition) }
}

/// `kafka-transactions abort`: Apache Kafka's `AbortTransactionCommand` flags. The transaction is named either by
/// its start offset (the producer is then looked up with DescribeProducers, Kafka 2.8+) or by its producer id, epoch
/// and coordinator epoch (any broker: WriteTxnMarkers only).
package struct AbortTransactionOptions: ParsableArguments {
    @Option(name: .customLong("topic"), help: ArgumentHelp("The topic.", valueName: "topic"))
    package var topic: String

    @Option(name: .customLong("partition"), help: ArgumentHelp("The partition number.", valueName: "partition"))
    package var partition: Int32

    @Option(
        name: .customLong("start-offset"),
        help: ArgumentHelp(
            "The start offset of the transaction to abort (brokers with DescribeProducers).",
            valueName: "offset"))
    package var startOffset: Int64?

    @Option(
        name: .customLong("producer-id"),
        help: ArgumentHelp(
            "The producer id (with --producer-epoch and --coordinator-epoch; older brokers).",
            valueName: "id"))
    package var producerID: Int64?

    @Option(name: .customLong("producer-epoch"), help: ArgumentHelp("The producer epoch.", valueName: "epoch"))
    package var producerEpoch: Int16?

    @Option(
        name: .customLong("coordinator-epoch"), parsing: .unconditional,
        help: ArgumentHelp(
            "The coordinator epoch (-1, as describe-producers shows it before a marker, is sent as 0).",
            valueName: "epoch"))
    package var coordinatorEpoch: Int32?

    package init() {}

    /// The partition of the transaction.
    package var topicPartition: TopicPartitionKey { TopicPartitionKey(topic: topic, partition: partition) }

    /// How the transaction is named: by start offset, or by a complete spec.
    package enum Target: Equatable, Sendable {
        /// The open transaction starting at this offset.
        case startOffset(Int64)
        /// This producer's transaction.
        case spec(AbortTransactionSpec)
    }

    /// The transaction the flags name. A negative coordinator epoch (a producer without markers yet, as
    /// DescribeProducers reports it) becomes 0, as Kafka's tool does.
    ///
    /// - Throws: ``ToolError`` with Kafka's messages when neither form is complete.
    package func target() throws -> Target {
        if let startOffset, producerID == nil { return .startOffset(startOffset) }
        guard let producerID else {
            throw ToolError(
                "The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or "
                    + "above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)")
        }
        guard let producerEpoch else { throw ToolError("Missing required argument --producer-epoch") }
        guard let coordinatorEpoch else { throw ToolError("Missing required argument --coordinator-epoch") }
        return .spec(
            AbortTransactionSpec(
                partition: topicPartition, producerID: producerID, producerEpoch: producerEpoch,
                coordinatorEpoch: max(coordinatorEpoch, 0)))
    }
}

/// `kafka-transactions find-hanging`: Apache Kafka's `FindHangingTransactionsCommand` flags.
package struct FindHangingOptions: ParsableArguments {
    @Option(
        name: .customLong("broker-id"),
        help: ArgumentHelp("Search the replicas of this broker.", valueName: "id"))
    package var brokerID: Int32?

    @Option(
        name: .customLong("max-transaction-timeout"),
        help: ArgumentHelp(
            "The largest transaction timeout in minutes: only transactions open longer are candidates.",
            valueName: "minutes"))
    package var maxTransactionTimeout: Int32 = 15

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp("Only this topic (required with --partition).", valueName: "topic"))
    package var topic: String?

    @Option(name: .customLong("partition"), help: ArgumentHelp("Only this partition.", valueName: "partition"))
    package var partition: Int32?

    @Flag(name: .customLong("json"), help: "Print a JSON array in place of the table.")
    package var json = false

    package init() {}

    /// Checks the scope of the search.
    ///
    /// - Throws: ``ToolError`` with Kafka's messages: neither `--topic` nor `--broker-id`; `--partition` without
    ///   `--topic`.
    package func checkScope() throws {
        if topic == nil && brokerID == nil {
            throw ToolError(
                "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search")
        }
        if partition != nil && topic == nil {
            throw ToolError("The --partition argument requires --topic to be provided")
        }
    }

    /// `--max-transaction-timeout` in milliseconds.
    package var maxTransactionTimeoutMs: Int64 { Int64(maxTransactionTimeout) * 60_000 }
}
