// Exactly once: read orders, write one invoice per order, and commit the orders' offsets in the same transaction
// as the invoices. After a crash and restart every order has exactly one committed invoice.

// snippet.setup
import Kafka

let bootstrap = ["bootstrap.servers": "127.0.0.1:9092"]
let consumer = try KafkaConsumer(
    configuration: KafkaConsumerConfiguration(
        properties: bootstrap.merging([
            "group.id": "billing", "group.instance.id": "billing-1",  // a static member
            "enable.auto.commit": "false",  // offsets are committed by the transaction
            "isolation.level": "read_committed",  // never read aborted records
            "auto.offset.reset": "earliest",
        ]) { $1 }))
// One transactional.id per pipeline instance; a restarted instance with the same id fences the old one.
let producer = try KafkaProducer(
    configuration: KafkaProducerConfiguration(
        properties: bootstrap.merging(["transactional.id": "billing-1", "transaction.timeout.ms": "60000"]) { $1 }))
try await producer.initTransactions()  // fences older instances, aborts what they left open
try consumer.subscribe(topics: ["orders"])
// snippet.loop
for try await batch in consumer.batches {
    try producer.beginTransaction()
    do {
        var next: [TopicPartition: OffsetAndMetadata] = [:]
        for order in batch {
            let invoice = "invoice for \(order.valueString ?? "?")"
            try await producer.send(ProducerRecord(topic: "invoices", key: order.keyString, value: invoice)) { _ in }
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
// snippet.close
await producer.close()  // aborts a transaction still open
await consumer.close()
// snippet.end
