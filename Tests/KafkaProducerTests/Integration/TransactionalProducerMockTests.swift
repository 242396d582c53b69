import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

/// The transactional producer against librdkafka's mock cluster (3 brokers), which implements the transaction
/// coordinator's requests (but writes no commit or abort markers: what aborted transactions hide is tested on the dev
/// cluster). Records are read back by kcat.
@Suite("Transactional producer on librdkafka's mock cluster", .serialized, .timeLimit(.minutes(3)))
struct TransactionalProducerMockTests {
    static func transactionalProducer(_ test: ProducerTestCluster, id: String = "txn-1") throws -> KafkaProducer {
        try test.makeProducer(["transactional.id": id, "max.block.ms": "15000"])
    }

    /// Sends `records` inside the current transaction with completion handlers (no flush: commit flushes).
    static func send(_ records: [ProducerRecord], with producer: KafkaProducer) async throws -> OutcomeCollector {
        let collector = OutcomeCollector()
        for (index, record) in records.enumerated() {
            try await producer.send(record, completion: collector.handler(for: index))
        }
        return collector
    }

    @Test func committedTransactionsAreReadBackInOrder() async throws {
        let test = try ProducerTestCluster()
        let producer = try Self.transactionalProducer(test)
        try await producer.initTransactions()
        var sent: [SentRecord] = []
        for transaction in 0..<3 {
            try producer.beginTransaction()
            let records = (0..<200).map { test.record(transaction * 200 + $0, keyed: $0 % 4 != 0) }
            let collector = try await Self.send(records, with: producer)
            try await producer.commitTransaction()
            let results = collector.snapshot
            sent += records.enumerated().map {
                SentRecord(index: transaction * 200 + $0.offset, record: $0.element, result: results[$0.offset])
            }
        }
        await producer.close()
        #expect(
            sent.allSatisfy { (try? $0.result?.get()) != nil },
            "every record of a committed transaction is acknowledged")
        let read = try await Kcat.consume(
            bootstrap: test.cluster.bootstrapServers, topic: test.topic,
            extraProperties: ["isolation.level": "read_committed"])
        verifyReadBack(sent: sent, read: read, partitions: test.partitions)
    }

    @Test func coordinatorErrorsAreRetried() async throws {
        let test = try ProducerTestCluster()
        test.cluster.pushRequestErrors(.initProducerId, [.coordinatorLoadInProgress, .concurrentTransactions])
        test.cluster.pushRequestErrors(.addPartitionsToTxn, [.concurrentTransactions, .coordinatorNotAvailable])
        test.cluster.pushRequestErrors(.endTxn, [.concurrentTransactions, .notCoordinator])
        let producer = try Self.transactionalProducer(test)
        try await producer.initTransactions()
        try producer.beginTransaction()
        let records = (0..<50).map { test.record($0, keyed: true) }
        let collector = try await Self.send(records, with: producer)
        try await producer.commitTransaction()
        await producer.close()
        let results = collector.snapshot
        let sent = records.enumerated().map {
            SentRecord(index: $0.offset, record: $0.element, result: results[$0.offset])
        }
        #expect(sent.allSatisfy { (try? $0.result?.get()) != nil })
        await verifyReadBack(sent: sent, read: try test.readBack(), partitions: test.partitions)
    }

    @Test func aFailedRecordMakesTheTransactionAbortableAndAbortRecovers() async throws {
        let test = try ProducerTestCluster(partitions: 1, replicationFactor: 1)
        let producer = try Self.transactionalProducer(test)
        try await producer.initTransactions()
        try producer.beginTransaction()
        // A non-retriable error for the transaction's first Produce.
        test.cluster.pushRequestErrors(.produce, [.topicAuthorizationFailed])
        let failed = try await Self.send([test.record(0, keyed: false)], with: producer)
        do {
            try await producer.commitTransaction()
            Issue.record("commit succeeded although a record of the transaction failed")
        } catch {
            #expect(error.kind == .transactionAbortable, "\(error)")
            #expect(error.message.contains("TOPIC_AUTHORIZATION_FAILED"), "\(error)")
        }
        guard case .failure(let recordError) = failed.snapshot[0] else {
            Issue.record("the failed record was not reported failed: \(String(describing: failed.snapshot[0]))")
            return
        }
        #expect(recordError.kind == .broker(.topicAuthorizationFailed), "\(recordError)")
        // Only abort is allowed now.
        await #expect(throws: KafkaProducerError.self) { try await producer.send(test.record(1, keyed: false)) }
        try await producer.abortTransaction()
        try producer.beginTransaction()
        let collector = try await Self.send([test.record(2, keyed: false)], with: producer)
        try await producer.commitTransaction()
        await producer.close()
        #expect((try? collector.snapshot[0]?.get()) != nil)
    }

    @Test func abortFailsTheRecordsNotSentYet() async throws {
        let test = try ProducerTestCluster(partitions: 1, replicationFactor: 1)
        // A long linger keeps the records queued until the abort.
        let producer = try test.makeProducer([
            "transactional.id": "txn-abort", "linger.ms": "60000", "batch.size": "1000000",
        ])
        try await producer.initTransactions()
        try producer.beginTransaction()
        let collector = try await Self.send((0..<20).map { test.record($0, keyed: false) }, with: producer)
        try await producer.abortTransaction()
        let results = collector.snapshot
        #expect(results.count == 20)
        for index in 0..<20 {
            guard case .failure(let error) = results[index] else {
                Issue.record("record \(index) was not failed by the abort: \(String(describing: results[index]))")
                continue
            }
            #expect(error.kind == .transactionAborted, "\(error)")
        }
        try producer.beginTransaction()
        let next = try await Self.send([test.record(100, keyed: false)], with: producer)
        try await producer.commitTransaction()
        await producer.close()
        #expect((try? next.snapshot[0]?.get()) != nil)
        let read = try await test.readBack()
        #expect(read.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["r-100"])
    }

    @Test func misuseIsRefusedWithAClearError() async throws {
        let test = try ProducerTestCluster(partitions: 1, replicationFactor: 1)
        let plain = try test.makeProducer()
        await #expect(throws: KafkaProducerError.self) { try await plain.initTransactions() }
        await plain.close()

        let producer = try Self.transactionalProducer(test)
        #expect(throws: KafkaProducerError.self) { try producer.beginTransaction() }
        try await producer.initTransactions()
        do {
            try await producer.send(test.record(0, keyed: false))
            Issue.record("send outside a transaction succeeded")
        } catch {
            #expect(error.kind == .invalidTransactionState && error.message.contains("beginTransaction"), "\(error)")
        }
        await #expect(throws: KafkaProducerError.self) { try await producer.commitTransaction() }
        try producer.beginTransaction()
        #expect(throws: KafkaProducerError.self) { try producer.beginTransaction() }
        try await producer.commitTransaction()  // an empty transaction commits locally
        await producer.close()
    }
}
