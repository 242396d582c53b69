import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import Testing

/// The flags of `kafka-transactions`' commands and Kafka's messages for the combinations it refuses.
@Suite struct TransactionsOptionsTests {
    let partition = TopicPartitionKey(topic: "orders", partition: 2)

    @Test("abort names the transaction by start offset, or by producer id, epoch and coordinator epoch")
    func abortTargets() throws {
        let byOffset = try AbortTransactionOptions.parse([
            "--topic", "orders", "--partition", "2", "--start-offset", "40",
        ])
        #expect(try byOffset.target() == .startOffset(40))
        let bySpec = try AbortTransactionOptions.parse([
            "--topic", "orders", "--partition", "2", "--producer-id", "7", "--producer-epoch", "3",
            "--coordinator-epoch", "5",
        ])
        #expect(
            try bySpec.target()
                == .spec(
                    AbortTransactionSpec(partition: partition, producerID: 7, producerEpoch: 3, coordinatorEpoch: 5)))
        // A coordinator epoch of -1 (no marker yet, as describe-producers shows it) is sent as 0, as Kafka does.
        let negative = try AbortTransactionOptions.parse([
            "--topic", "orders", "--partition", "2", "--producer-id", "7", "--producer-epoch", "3",
            "--coordinator-epoch", "-1",
        ])
        #expect(
            try negative.target()
                == .spec(
                    AbortTransactionSpec(partition: partition, producerID: 7, producerEpoch: 3, coordinatorEpoch: 0)))
        // Both forms: the producer id wins, as in Kafka (the start offset is only used without one).
        let both = try AbortTransactionOptions.parse([
            "--topic", "orders", "--partition", "2", "--start-offset", "40", "--producer-id", "7", "--producer-epoch",
            "3", "--coordinator-epoch", "5",
        ])
        #expect(try both.target() == (try bySpec.target()))
    }

    @Test("abort without a complete transaction name fails with Kafka's messages")
    func abortRefusals() throws {
        let none = try AbortTransactionOptions.parse(["--topic", "orders", "--partition", "2"])
        #expect(
            throws: ToolError(
                "The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) "
                    + "or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)")
        ) {
            try none.target()
        }
        let noEpoch = try AbortTransactionOptions.parse([
            "--topic", "orders", "--partition", "2", "--producer-id", "7", "--coordinator-epoch", "5",
        ])
        #expect(throws: ToolError("Missing required argument --producer-epoch")) { try noEpoch.target() }
        let noCoordinatorEpoch = try AbortTransactionOptions.parse([
            "--topic", "orders", "--partition", "2", "--producer-id", "7", "--producer-epoch", "3",
        ])
        #expect(throws: ToolError("Missing required argument --coordinator-epoch")) { try noCoordinatorEpoch.target() }
        #expect(throws: (any Error).self) { try AbortTransactionOptions.parse(["--partition", "2"]) }
        #expect(throws: (any Error).self) {
            try AbortTransactionOptions.parse(["--topic", "t", "--partition", "2", "--producer-epoch", "40000"])
        }
    }

    @Test("find-hanging needs --topic or --broker-id, and --topic with --partition")
    func findHangingScope() throws {
        #expect(
            throws: ToolError(
                "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search")
        ) {
            try FindHangingOptions.parse([]).checkScope()
        }
        #expect(throws: ToolError("The --partition argument requires --topic to be provided")) {
            try FindHangingOptions.parse(["--broker-id", "1", "--partition", "0"]).checkScope()
        }
        let byBroker = try FindHangingOptions.parse(["--broker-id", "1"])
        try byBroker.checkScope()
        #expect(byBroker.maxTransactionTimeoutMs == 15 * 60_000)
        let byTopic = try FindHangingOptions.parse([
            "--topic", "orders", "--partition", "0", "--max-transaction-timeout", "2", "--json",
        ])
        try byTopic.checkScope()
        #expect(byTopic.maxTransactionTimeoutMs == 120_000)
        #expect(byTopic.json)
    }

    @Test("list filters: states by name in any case, producer ids, a negative duration meaning none")
    func listFilters() throws {
        let options = try ListTransactionsOptions.parse([
            "--states", "ongoing,PrepareAbort", "--producer-ids", "1, 2", "--duration-filter", "5000",
        ])
        #expect(try options.stateFilter() == [.ongoing, .prepareAbort])
        #expect(try options.producerIDFilter() == [1, 2])
        #expect(options.minimumDurationMs == 5000)
        let plain = try ListTransactionsOptions.parse(["--duration-filter", "-1"])
        #expect(try plain.stateFilter() == nil)
        #expect(try plain.producerIDFilter() == nil)
        #expect(plain.minimumDurationMs == nil)
        #expect(throws: (any Error).self) { try ListTransactionsOptions.parse(["--states", "Running"]) }
        #expect(throws: (any Error).self) { try ListTransactionsOptions.parse(["--producer-ids", "x"]) }
    }

    @Test("describe and describe-producers require their flags")
    func requiredFlags() throws {
        #expect(throws: (any Error).self) { try DescribeTransactionOptions.parse([]) }
        #expect(try DescribeTransactionOptions.parse(["--transactional-id", "tx"]).transactionalID == "tx")
        #expect(throws: (any Error).self) { try DescribeProducersOptions.parse(["--topic", "t"]) }
        let producers = try DescribeProducersOptions.parse(["--topic", "t", "--partition", "3", "--broker-id", "2"])
        #expect(producers.topicPartition == TopicPartitionKey(topic: "t", partition: 3))
        #expect(producers.brokerID == 2)
    }
}
