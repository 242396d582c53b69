import Foundation
import Kafka

/// The README's exactly-once example (built with the package, so it always compiles): read orders, write one invoice
/// per order, and commit the orders' offsets in the same transaction as the invoices — after a crash and restart,
/// every order has exactly one committed invoice.
@main
struct ExactlyOncePipeline {
    static func main() async throws {
        let servers = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"] ?? "127.0.0.1:9092"
        let bootstrap = ["bootstrap.servers": servers]
        // A static member (group.instance.id): a restarted instance takes its predecessor's place at once.
        let consumer = try KafkaConsumer(
            configuration: try KafkaConsumerConfiguration(
                properties: bootstrap.merging([
                    "group.id": "billing", "group.instance.id": "billing-1", "enable.auto.commit": "false",
                    "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                ]) { $1 }))
        // One transactional.id per pipeline instance; a restarted instance with the same id fences the old one.
        let producer = try KafkaProducer(
            configuration: try KafkaProducerConfiguration(
                properties: bootstrap.merging(["transactional.id": "billing-1"]) { $1 }))
        try await producer.initTransactions()
        try consumer.subscribe(topics: ["orders"])
        for try await batch in consumer.batches {
            try producer.beginTransaction()
            do {
                var next: [TopicPartition: OffsetAndMetadata] = [:]
                for order in batch {
                    let invoice = ByteBuffer(string: "invoice for \(order.valueString ?? "?")")
                    try await producer.send(ProducerRecord(topic: "invoices", key: order.key, value: invoice)) { _ in }
                    next[TopicPartition(topic: order.topic, partition: order.partition)] = OffsetAndMetadata(
                        offset: order.offset + 1)
                }
                if let group = consumer.groupMetadata {
                    try await producer.sendOffsetsToTransaction(next, groupMetadata: group)
                }
                try await producer.commitTransaction()
            } catch  where error.kind == .fenced || error.kind == .fatal {
                throw error  // another instance took over, or the producer is unusable: stop
            } catch {
                // Nothing of this batch becomes visible; rewind to the last committed offsets and process it again.
                try await producer.abortTransaction()
                let committed = try await consumer.committed(Set(consumer.assignment))
                for (partition, offset) in committed {
                    if let offset {
                        try consumer.seek(partition, to: offset.offset)
                    } else {
                        try consumer.seekToBeginning([partition])
                    }
                }
            }
        }
        await producer.close()
        await consumer.close()
    }
}
