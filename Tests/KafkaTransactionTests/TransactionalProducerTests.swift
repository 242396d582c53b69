import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaTestSupport
import NIOCore
import Testing

/// Our transactional producer against the dev cluster's transaction coordinator, read back by our consumer and by
/// kcat (librdkafka) with both isolation levels.
@Suite("Transactional producer on the dev cluster", .serialized, .timeLimit(.minutes(3)))
struct TransactionalProducerTests {
    static let topic = "tx-out"

    @Test func committedTransactionsAreVisibleAndAbortedOnesAreNot() async throws {
        try await TransactionTests.withCluster(topics: [Self.topic: 3]) { cluster in
            let producer = try TransactionTests.producer(cluster, transactionalID: "writer")
            try await producer.initTransactions()
            var expectedCommitted: [String] = []
            var all: [String] = []
            for transaction in 0..<6 {
                let commit = transaction % 3 != 1
                let values = (0..<40).map { "\(commit ? "c" : "a")\(transaction)-\($0)" }
                try producer.beginTransaction()
                let outcomes = try await TransactionTests.send(values, topic: Self.topic, with: producer)
                if commit {
                    try await producer.commitTransaction()
                    expectedCommitted += values
                    #expect(outcomes.failures.isEmpty, "\(outcomes.failures)")
                } else {
                    await producer.flush()  // the aborted records are written, then hidden by the abort marker
                    try await producer.abortTransaction()
                }
                all += values
            }
            await producer.close()

            let committed = TransactionTests.values(
                try await TransactionTests.readAll(
                    cluster, topic: Self.topic, partitions: 3, isolation: "read_committed"))
            #expect(committed.sorted() == expectedCommitted.sorted())
            #expect(Set(committed).count == committed.count, "a committed record was read twice")
            let uncommitted = TransactionTests.values(
                try await TransactionTests.readAll(
                    cluster, topic: Self.topic, partitions: 3, isolation: "read_uncommitted"))
            #expect(uncommitted.sorted() == all.sorted(), "read_uncommitted sees every data record, no control record")

            // librdkafka reads the same.
            let kcatCommitted = try await Kcat.consume(
                bootstrap: cluster.bootstrapServers, topic: Self.topic,
                extraProperties: ["isolation.level": "read_committed"])
            #expect(
                kcatCommitted.map { String(decoding: $0.value ?? [], as: UTF8.self) }.sorted()
                    == expectedCommitted.sorted())
            let kcatAll = try await Kcat.consume(
                bootstrap: cluster.bootstrapServers, topic: Self.topic,
                extraProperties: ["isolation.level": "read_uncommitted"])
            #expect(kcatAll.map { String(decoding: $0.value ?? [], as: UTF8.self) }.sorted() == all.sorted())
            // Order per partition: committed values of a partition come in send order.
            for partition in Int32(0)..<3 {
                let read = kcatCommitted.filter { $0.partition == partition }.map {
                    String(decoding: $0.value ?? [], as: UTF8.self)
                }
                let sentOrder = expectedCommitted.filter { read.contains($0) }
                #expect(read == sentOrder, "partition \(partition) out of order")
            }
        }
    }

    @Test func anOpenTransactionIsInvisibleToReadCommittedUntilCommitted() async throws {
        try await TransactionTests.withCluster(topics: [Self.topic: 1]) { cluster in
            let producer = try TransactionTests.producer(cluster, transactionalID: "slow-writer")
            try await producer.initTransactions()
            try producer.beginTransaction()
            let outcomes = try await TransactionTests.send(["p0", "p1", "p2"], topic: Self.topic, with: producer)
            await producer.flush()
            #expect(outcomes.failures.isEmpty)
            let before = try await TransactionTests.readAll(
                cluster, topic: Self.topic, partitions: 1, isolation: "read_committed", idle: .seconds(1))
            #expect(
                before.isEmpty, "read_committed saw records of an open transaction: \(TransactionTests.values(before))")
            let dirty = try await TransactionTests.readAll(
                cluster, topic: Self.topic, partitions: 1, isolation: "read_uncommitted", idle: .seconds(1))
            #expect(TransactionTests.values(dirty) == ["p0", "p1", "p2"])
            try await producer.commitTransaction()
            let after = try await TransactionTests.readAll(
                cluster, topic: Self.topic, partitions: 1, isolation: "read_committed")
            #expect(TransactionTests.values(after) == ["p0", "p1", "p2"])
            await producer.close()
        }
    }

    @Test func aSecondInstanceFencesTheFirstAndAbortsItsTransaction() async throws {
        try await TransactionTests.withCluster(topics: [Self.topic: 2]) { cluster in
            let first = try TransactionTests.producer(cluster, transactionalID: "shared-id")
            try await first.initTransactions()
            try first.beginTransaction()
            _ = try await TransactionTests.send(["zombie-0", "zombie-1"], topic: Self.topic, with: first)
            await first.flush()

            let second = try TransactionTests.producer(cluster, transactionalID: "shared-id")
            try await second.initTransactions()
            do {
                try await first.commitTransaction()
                Issue.record("the fenced producer committed")
            } catch let error as KafkaProducerError {
                #expect(error.kind == .fenced, "\(error)")
                #expect(error.message.contains("shared-id"), "\(error)")
            }
            // Fenced is final: nothing but close.
            do {
                try first.beginTransaction()
                Issue.record("a fenced producer began a transaction")
            } catch let error as KafkaProducerError {
                #expect(error.kind == .fenced || error.kind == .fatal, "\(error)")
            }
            await first.close()

            try second.beginTransaction()
            let outcomes = try await TransactionTests.send(["live-0"], topic: Self.topic, with: second)
            try await second.commitTransaction()
            #expect(outcomes.failures.isEmpty)
            await second.close()
            let committed = TransactionTests.values(
                try await TransactionTests.readAll(
                    cluster, topic: Self.topic, partitions: 2, isolation: "read_committed"))
            #expect(committed == ["live-0"], "the fenced instance's open transaction must be aborted")
        }
    }

    @Test func aTransactionOpenPastItsTimeoutIsAbortedByTheCoordinator() async throws {
        try await TransactionTests.withCluster(topics: [Self.topic: 1]) { cluster in
            let producer = try TransactionTests.producer(
                cluster, transactionalID: "too-slow", ["transaction.timeout.ms": "1000"])
            try await producer.initTransactions()
            try producer.beginTransaction()
            _ = try await TransactionTests.send(["late"], topic: Self.topic, with: producer)
            await producer.flush()
            try await Task.sleep(for: .milliseconds(2500))
            do {
                try await producer.commitTransaction()
                Issue.record("a transaction aborted by the coordinator's timeout committed")
            } catch let error as KafkaProducerError {
                // The coordinator bumped the epoch when it aborted: this producer is fenced, as in Kafka.
                #expect(error.kind == .fenced, "\(error)")
            }
            await producer.close()
            let committed = try await TransactionTests.readAll(
                cluster, topic: Self.topic, partitions: 1, isolation: "read_committed", idle: .seconds(1))
            #expect(committed.isEmpty, "\(TransactionTests.values(committed))")
        }
    }

    @Test func closingWithAnOpenTransactionAbortsIt() async throws {
        try await TransactionTests.withCluster(topics: [Self.topic: 1]) { cluster in
            let producer = try TransactionTests.producer(cluster, transactionalID: "closer")
            try await producer.initTransactions()
            try producer.beginTransaction()
            _ = try await TransactionTests.send(["left-open"], topic: Self.topic, with: producer)
            await producer.flush()
            await producer.close()
            // The transaction was aborted, so the last stable offset moves past it: a later committed record is visible
            // right away (an open transaction would hold it back until transaction.timeout.ms).
            let next = try TransactionTests.producer(cluster, transactionalID: "other")
            try await next.initTransactions()
            try next.beginTransaction()
            _ = try await TransactionTests.send(["after"], topic: Self.topic, with: next)
            try await next.commitTransaction()
            await next.close()
            let committed = TransactionTests.values(
                try await TransactionTests.readAll(
                    cluster, topic: Self.topic, partitions: 1, isolation: "read_committed"))
            #expect(committed == ["after"])
        }
    }
}
