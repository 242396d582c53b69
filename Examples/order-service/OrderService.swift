import Kafka

/// The README's SDK example (built with the package, so it always compiles): read orders in a
/// consumer group, write one invoice per order, commit what was handled.
@main
struct OrderService {
    static func main() async throws {
        let bootstrap = ["bootstrap.servers": "127.0.0.1:9092"]
        let producer = try KafkaProducer(configuration: try KafkaProducerConfiguration(properties: bootstrap))
        let consumer = try KafkaConsumer(
            configuration: try KafkaConsumerConfiguration(
                properties: bootstrap.merging(["group.id": "billing", "enable.auto.commit": "false"]) { $1 }))
        try consumer.subscribe(topics: ["orders"])
        for try await batch in consumer.batches {
            for order in batch {
                let invoice = "invoice for \(order.valueString ?? "?")"
                _ = try await producer.send(ProducerRecord(topic: "invoices", key: order.keyString, value: invoice))
            }
            try await consumer.commit()
        }
        await producer.close()
        await consumer.close()
    }
}
