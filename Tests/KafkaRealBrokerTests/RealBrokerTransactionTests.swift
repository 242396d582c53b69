import Foundation
import KafkaConsumer
import KafkaProducer
import KafkaTestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Transactions on the real broker: its transaction coordinator, markers and last stable offset.
@Suite("Real broker: transactions read by Java's consumer", .timeLimit(.minutes(10)))
struct RealBrokerTransactionTests {
    @Test(
        "committed transactions are read by kafka-console-consumer.sh --isolation-level read_committed; aborted are not"
    )
    func oursReadByJava() async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("txn")
        try await RealBroker.createTopic(topic, partitions: 3, on: broker)
        let producer = try KafkaProducer(
            configuration: RealBroker.producerConfiguration(
                broker, ["transactional.id": "real-\(topic)", "linger.ms": "2"]))
        try await producer.initTransactions()
        for (round, commit) in [(0, true), (1, false), (2, true)] {
            try producer.beginTransaction()
            for index in 0..<100 {
                try await producer.send(
                    ProducerRecord(topic: topic, key: "k\(index)", value: "t\(round)-\(index)")
                ) { _ in }
            }
            if commit {
                try await producer.commitTransaction()
            } else {
                await producer.flush()
                try await producer.abortTransaction()
            }
        }
        await producer.close()

        let committed = try await RealBroker.javaConsume(
            topic, count: 200, from: broker, extra: ["--isolation-level", "read_committed"])
        let expected = Set((0..<100).map { "t0-\($0)" } + (0..<100).map { "t2-\($0)" })
        #expect(committed.count == 200)
        #expect(Set(committed) == expected)
        // The aborted records are in the log: a read_uncommitted reader sees all 300.
        let everything = try await RealBroker.javaConsume(topic, count: 300, from: broker)
        #expect(everything.count == 300)
        #expect(everything.filter { $0.hasPrefix("t1-") }.count == 100)
    }

    @Test(
        "the exactly-once example killed (SIGKILL) mid-transaction and restarted: Java's read_committed reader sees each invoice once"
    )
    func killedPipeline() async throws {
        let broker = try await RealKafkaBroker.shared()
        // The example reads `orders` and writes `invoices` (its fixed names; only this test uses them here).
        try await RealBroker.createTopic("orders", partitions: 3, on: broker)
        try await RealBroker.createTopic("invoices", partitions: 3, on: broker)
        let orderCount = 400
        // Orders keep arriving for about ten seconds (4 every 100 ms), so that each instance is in a transaction
        // most of the time.
        let feeder = Task {
            let producer = try KafkaProducer(configuration: RealBroker.producerConfiguration(broker))
            for index in 0..<orderCount {
                try await producer.send(ProducerRecord(topic: "orders", key: "c\(index % 7)", value: "order-\(index)"))
                {
                    _ in
                }
                if index % 4 == 3 { try await Task.sleep(for: .milliseconds(100)) }
            }
            await producer.flush()
            await producer.close()
        }
        // Every invoice written, committed or not, counted by a read_uncommitted reader.
        let written = NIOLockedValueBox(0)
        let reader = try KafkaConsumer(configuration: RealBroker.consumerConfiguration(broker))
        try reader.assign((0..<3).map { TopicPartition(topic: "invoices", partition: $0) })
        let reading = Task {
            while !Task.isCancelled {
                let records = try await reader.poll(timeout: .milliseconds(200))
                written.withLockedValue { $0 += records.count }
            }
        }
        let example = try RealBroker.ourTool("exactly-once-example")
        var generator = SplitMix64(seed: 0x5EED_2300)
        var killedAfterWriting = 0
        for _ in 0..<3 {
            let before = written.withLockedValue { $0 }
            let instance = try ChildProcess(
                example, [], environment: ["KAFKA_BOOTSTRAP_SERVERS": broker.bootstrapServers])
            // Killed soon after it wrote invoices: inside one of its transactions.
            let deadline = ContinuousClock.now + .seconds(30)
            while written.withLockedValue({ $0 }) == before && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            if written.withLockedValue({ $0 }) > before { killedAfterWriting += 1 }
            try await Task.sleep(for: .milliseconds(Int(generator.next() % 200)))
            instance.signal(SIGKILL)
            _ = try? await instance.wait(timeout: .seconds(10))
        }
        // Once every order is invoiced a new instance has nothing to write; the read_uncommitted count below proves
        // that a kill landed inside a transaction.
        #expect(killedAfterWriting > 0, "no instance was killed after it wrote an invoice")
        try await feeder.value
        let last = try ChildProcess(example, [], environment: ["KAFKA_BOOTSTRAP_SERVERS": broker.bootstrapServers])
        let committed = try await RealBroker.javaConsume(
            "invoices", count: orderCount, from: broker, extra: ["--isolation-level", "read_committed"],
            timeout: .seconds(150))
        try await Task.sleep(for: .seconds(2))
        last.signal(SIGKILL)
        _ = try? await last.wait(timeout: .seconds(10))
        reading.cancel()
        reader.wakeup()
        _ = await reading.result
        await reader.close()

        var seen: [String: Int] = [:]
        for invoice in committed { seen[invoice, default: 0] += 1 }
        let missing = (0..<orderCount).map { "invoice for order-\($0)" }.filter { seen[$0] == nil }
        #expect(missing.isEmpty, "never invoiced: \(missing.count), e.g. \(missing.prefix(5))")
        #expect(seen.values.allSatisfy { $0 == 1 }, "invoiced twice: \(seen.filter { $0.value > 1 }.keys.prefix(5))")
        // A kill landed inside a transaction: its invoices were written but never committed (the next instance
        // fenced and aborted it), so a read_uncommitted reader sees more invoices than orders.
        let total = written.withLockedValue { $0 }
        #expect(total > orderCount, "no kill landed inside a transaction (\(total) invoices written)")
    }
}
