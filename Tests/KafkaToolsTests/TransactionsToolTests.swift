import Foundation
import KafkaAdmin
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing

/// `kafka-transactions` run as a user runs it, against a three-broker dev cluster: a transactional producer left
/// open is listed, described and found by describe-producers; a transaction no coordinator lists (written without
/// partition verification) is found by find-hanging once older than --max-transaction-timeout; aborting both lets a
/// read_committed consumer read the records committed after them.
@Suite(.serialized, .timeLimit(.minutes(4))) struct TransactionsToolTests {
    static let topic = "txn-tool"

    /// The cells of a Kafka table's data rows (the header checked and left out), trimmed.
    static func rows(_ output: String, headers: [String], sourceLocation: SourceLocation = #_sourceLocation)
        -> [[String]]
    {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        func cells(_ line: Substring) -> [String] {
            line.split(separator: "\t", omittingEmptySubsequences: false).dropLast().map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        }
        #expect(lines.first.map(cells) == headers, "\(output)", sourceLocation: sourceLocation)
        #expect(lines.allSatisfy { $0.hasSuffix("\t") }, "\(output)", sourceLocation: sourceLocation)
        return lines.dropFirst().map(cells)
    }

    static func run(_ cluster: DevCluster, _ arguments: [String]) async throws -> ToolRunner.Outcome {
        try await ToolRunner.run("kafka-transactions", ["--bootstrap-server", cluster.bootstrapServers] + arguments)
    }

    static func producer(_ cluster: DevCluster, _ id: String) throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(properties: [
                "bootstrap.servers": cluster.bootstrapServers, "transactional.id": id,
                "transaction.timeout.ms": "900000", "linger.ms": "1",
            ]))
    }

    /// Writes one transactional record to the partition as `producerID` at `epoch`, without AddPartitionsToTxn: the
    /// way a hanging transaction comes about (the broker must not verify the partition).
    static func writeUnlisted(
        _ admin: KafkaAdminClient, partition: Int32, producerID: Int64, epoch: Int16, timestamp: Int64
    ) async throws {
        var builder = RecordBatchBuilder(
            producerId: producerID, producerEpoch: epoch, baseSequence: 0, isTransactional: true)
        try builder.append(key: nil, value: ByteBuffer(string: "lost-1"), timestamp: timestamp)
        let request = ProduceRequest(
            transactionalId: "lost-txn", acks: -1, timeoutMs: 5000,
            topicData: [.init(name: topic, partitionData: [.init(index: partition, records: try builder.finish())])])
        let response = try await admin.cluster.send(
            request, to: .leader(topic: topic, partition: partition), kind: .produce)
        #expect(response.responses.first?.partitionResponses.first?.errorCode == 0)
    }

    /// The values a read_committed consumer of partition 0 receives within `wait`.
    static func readCommitted(_ consumer: KafkaConsumer, wait: Duration) async throws -> [String] {
        var values: [String] = []
        let deadline = ContinuousClock.now + wait
        while ContinuousClock.now < deadline {
            for record in try await consumer.poll(timeout: .milliseconds(200)) {
                values.append(record.value.map { String(buffer: $0) } ?? "<null>")
            }
        }
        return values
    }

    @Test func listsDescribesFindsAndAbortsTransactions() async throws {
        try await withDevCluster(brokers: 3, topics: [Self.topic: 2]) { cluster in
            let admin = try KafkaAdminClient(properties: ["bootstrap.servers": cluster.bootstrapServers])
            let tenMinutesAgo = Int64(Date().timeIntervalSince1970 * 1000) - 600_000

            // A transaction left open on partition 0 (its record ten minutes old), then one committed after it.
            let open = try Self.producer(cluster, "open-txn")
            try await open.initTransactions()
            try open.beginTransaction()
            _ = try await open.send(
                ProducerRecord(topic: Self.topic, partition: 0, key: nil, value: "open-1", timestamp: tenMinutesAgo))
            await open.flush()
            let later = try Self.producer(cluster, "later-txn")
            try await later.initTransactions()
            try later.beginTransaction()
            _ = try await later.send(ProducerRecord(topic: Self.topic, partition: 0, key: nil, value: "later-1"))
            _ = try await later.send(ProducerRecord(topic: Self.topic, partition: 0, key: nil, value: "later-2"))
            try await later.commitTransaction()

            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(properties: [
                    "bootstrap.servers": cluster.bootstrapServers, "isolation.level": "read_committed",
                ]))
            try consumer.assign([TopicPartition(topic: Self.topic, partition: 0)])
            try consumer.seekToBeginning([TopicPartition(topic: Self.topic, partition: 0)])
            #expect(try await Self.readCommitted(consumer, wait: .seconds(2)) == [], "the open transaction blocks")

            // list: both transactional ids, with their coordinators; --states filters.
            let listed = try await Self.run(cluster, ["list"])
            #expect(listed.status == 0, "\(listed.stderr)")
            let listRows = Self.rows(
                listed.stdout, headers: ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"])
            let openDescription = try #require(try await admin.describeTransactions(["open-txn"])["open-txn"]?.get())
            #expect(
                listRows.contains([
                    "open-txn", "\(openDescription.coordinatorID)", "\(openDescription.producerID)", "Ongoing",
                ]), "\(listed.stdout)")
            #expect(listRows.contains { $0.first == "later-txn" && $0.last == "CompleteCommit" }, "\(listed.stdout)")
            #expect(listRows.count == 2)
            let ongoing = try await Self.run(cluster, ["list", "--states", "Ongoing", "--json"])
            #expect(ongoing.status == 0, "\(ongoing.stderr)")
            let ongoingJSON = try #require(
                try JSONSerialization.jsonObject(with: Data(ongoing.stdout.utf8)) as? [[String: Any]])
            #expect(ongoingJSON.map { $0["transactionalId"] as? String } == ["open-txn"])

            // describe: Ongoing with its partition, the connection options after the command as well.
            let described = try await ToolRunner.run(
                "kafka-transactions",
                ["describe", "--transactional-id", "open-txn", "--bootstrap-server", cluster.bootstrapServers])
            #expect(described.status == 0, "\(described.stderr)")
            let describeRow = try #require(
                Self.rows(
                    described.stdout,
                    headers: [
                        "CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
                        "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs",
                        "TopicPartitions",
                    ]
                ).first)
            #expect(
                describeRow[1...5] == [
                    "open-txn", "\(openDescription.producerID)", "\(openDescription.producerEpoch)", "Ongoing",
                    "900000",
                ])
            #expect(Int64(describeRow[6]) == openDescription.transactionStartTimeMs)
            #expect((Int64(describeRow[7]) ?? -1) >= 0)
            #expect(describeRow[8] == "\(Self.topic)-0")

            // describe-producers: the open transaction starts at offset 0; the committed producer has none.
            let producers = try await Self.run(
                cluster, ["describe-producers", "--topic", Self.topic, "--partition", "0"])
            #expect(producers.status == 0, "\(producers.stderr)")
            let producerRows = Self.rows(
                producers.stdout,
                headers: [
                    "ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp",
                    "CurrentTransactionStartOffset",
                ])
            let openRow = try #require(producerRows.first { $0[0] == "\(openDescription.producerID)" })
            #expect(
                openRow == [
                    "\(openDescription.producerID)", "\(openDescription.producerEpoch)", "-1", "0", "\(tenMinutesAgo)",
                    "0",
                ])
            let laterRow = try #require(producerRows.first { $0[0] != "\(openDescription.producerID)" })
            #expect(laterRow[2] == "0")
            #expect(laterRow[3] == "1")
            #expect(laterRow[5] == "None")

            // find-hanging: the open transaction is older than 5 minutes, but its coordinator lists the partition,
            // so it is not hanging.
            let hangingHeaders = [
                "Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset", "LastTimestamp",
                "Duration(min)",
            ]
            let notHanging = try await Self.run(
                cluster, ["find-hanging", "--topic", Self.topic, "--max-transaction-timeout", "5"])
            #expect(notHanging.status == 0, "\(notHanging.stderr)")
            #expect(Self.rows(notHanging.stdout, headers: hangingHeaders) == [])

            // A transaction no coordinator lists: written to partition 1 without AddPartitionsToTxn.
            let verification = await admin.incrementalAlterConfigs([
                .brokerDefaults: [.set(name: "transaction.partition.verification.enable", value: "false")]
            ])
            #expect(throws: Never.self) { try verification[.brokerDefaults]?.get() }
            let lost = try Self.producer(cluster, "lost-txn")
            try await lost.initTransactions()
            let lostDescription = try #require(try await admin.describeTransactions(["lost-txn"])["lost-txn"]?.get())
            try await Self.writeUnlisted(
                admin, partition: 1, producerID: lostDescription.producerID, epoch: lostDescription.producerEpoch,
                timestamp: tenMinutesAgo)

            let recent = try await Self.run(cluster, ["find-hanging", "--topic", Self.topic])
            #expect(recent.status == 0, "\(recent.stderr)")
            #expect(Self.rows(recent.stdout, headers: hangingHeaders) == [], "younger than the default 15 minutes")
            let expected = [
                Self.topic, "1", "\(lostDescription.producerID)", "\(lostDescription.producerEpoch)", "-1", "0",
                "\(tenMinutesAgo)",
            ]
            let found = try await Self.run(
                cluster, ["find-hanging", "--topic", Self.topic, "--max-transaction-timeout", "5"])
            #expect(found.status == 0, "\(found.stderr)")
            let foundRows = Self.rows(found.stdout, headers: hangingHeaders)
            #expect(foundRows.map { Array($0.prefix(7)) } == [expected])
            #expect(["10", "11"].contains(foundRows.first?.last ?? ""), "minutes since the record")
            let leader = try #require(cluster.leader(topic: Self.topic, partition: 1))
            let byBroker = try await Self.run(
                cluster, ["find-hanging", "--broker-id", "\(leader)", "--max-transaction-timeout", "5"])
            #expect(byBroker.status == 0, "\(byBroker.stderr)")
            #expect(Self.rows(byBroker.stdout, headers: hangingHeaders).map { Array($0.prefix(7)) } == [expected])

            // abort by start offset ends the hanging transaction.
            let abortLost = try await Self.run(
                cluster, ["abort", "--topic", Self.topic, "--partition", "1", "--start-offset", "0"])
            #expect(abortLost.status == 0, "\(abortLost.stderr)")
            #expect(abortLost.stdout == "")
            let afterAbort = try await Self.run(
                cluster, ["find-hanging", "--topic", Self.topic, "--max-transaction-timeout", "5", "--json"])
            #expect(afterAbort.status == 0, "\(afterAbort.stderr)")
            let afterAbortJSON = try JSONSerialization.jsonObject(with: Data(afterAbort.stdout.utf8)) as? [Any]
            #expect(afterAbortJSON?.isEmpty == true, "\(afterAbort.stdout)")

            // abort by producer id, epoch and coordinator epoch ends the open one on partition 0: the consumer reads
            // the records committed after it, and never the aborted one.
            let noSuchOffset = try await Self.run(
                cluster, ["abort", "--topic", Self.topic, "--partition", "0", "--start-offset", "99"])
            #expect(noSuchOffset.status == 1)
            #expect(
                noSuchOffset.stderr
                    == "kafka-transactions: Could not find any open transactions starting at offset 99 on partition "
                    + "\(Self.topic)-0\n")
            let abortOpen = try await Self.run(
                cluster,
                [
                    "abort", "--topic", Self.topic, "--partition", "0", "--producer-id",
                    "\(openDescription.producerID)",
                    "--producer-epoch", "\(openDescription.producerEpoch)", "--coordinator-epoch", "-1",
                ])
            #expect(abortOpen.status == 0, "\(abortOpen.stderr)")
            #expect(try await Self.readCommitted(consumer, wait: .seconds(2)) == ["later-1", "later-2"])
            await consumer.close()

            // The coordinator is not told, as in Kafka: it still has the transaction open with the partition.
            let stillOpen = try #require(try await admin.describeTransactions(["open-txn"])["open-txn"]?.get())
            #expect(stillOpen.state == .ongoing)
            #expect(stillOpen.topicPartitions == [TopicPartitionKey(topic: Self.topic, partition: 0)])
            let producersAfter = try await Self.run(
                cluster, ["describe-producers", "--topic", Self.topic, "--partition", "0", "--json"])
            let producersJSON = try #require(
                try JSONSerialization.jsonObject(with: Data(producersAfter.stdout.utf8)) as? [[String: Any]])
            let openAfter = try #require(
                producersJSON.first { ($0["producerId"] as? Int).map(Int64.init) == openDescription.producerID })
            #expect(openAfter["currentTransactionStartOffset"] is NSNull)
            #expect(openAfter["coordinatorEpoch"] as? Int == 0)

            await open.close()
            await later.close()
            await lost.close()
            await admin.close()
        }
    }

    @Test func refusalsUseKafkasMessages() async throws {
        try await withDevCluster(brokers: 1, topics: [Self.topic: 1]) { cluster in
            let unknown = try await Self.run(cluster, ["describe", "--transactional-id", "nope"])
            #expect(unknown.status == 1)
            #expect(
                unknown.stderr.hasPrefix(
                    "kafka-transactions: Failed to describe transaction state of transactional-id `nope`: "))
            #expect(unknown.stderr.contains("TRANSACTIONAL_ID_NOT_FOUND"), "\(unknown.stderr)")
            #expect(unknown.stderr.split(separator: "\n").count == 1)

            let noScope = try await Self.run(cluster, ["find-hanging"])
            #expect(noScope.status == 1)
            #expect(
                noScope.stderr
                    == "kafka-transactions: The `find-hanging` command requires either --topic or --broker-id to "
                    + "limit the scope of the search\n")
            let noTarget = try await Self.run(cluster, ["abort", "--topic", Self.topic, "--partition", "0"])
            #expect(noTarget.status == 1)
            #expect(noTarget.stderr.contains("must be identified either with --start-offset"))
            let noPartition = try await Self.run(cluster, ["describe-producers", "--topic", Self.topic])
            #expect(noPartition.status == 2)
            let missingPartition = try await Self.run(
                cluster, ["describe-producers", "--topic", Self.topic, "--partition", "5"])
            #expect(missingPartition.status == 1)
            #expect(
                missingPartition.stderr.hasPrefix(
                    "kafka-transactions: Failed to describe producers for partition \(Self.topic)-5 on leader: "),
                "\(missingPartition.stderr)")
            let noCommand = try await Self.run(cluster, [])
            #expect(noCommand.status != 0)
        }
    }
}
