import Kafka

// Produces ten orders, reads them back in a consumer group, commits, and checks what the group committed: the common
// path of a service, with `import Kafka` alone. Usage: import-kafka BOOTSTRAP_SERVERS

struct CheckFailed: Error, CustomStringConvertible {
    let description: String
}

let bootstrap = CommandLine.arguments.dropFirst().first ?? "127.0.0.1:9092"
let topic = "orders-\(UInt32.random(in: 0...UInt32.max))"
let expected = (0..<10).map { "order \($0)" }

let admin = try KafkaAdminClient(properties: ["bootstrap.servers": bootstrap])
_ = try await admin.createTopics([NewTopic(name: topic, partitions: 3, replicationFactor: 1)])[topic]?.get()
await admin.close()

let producer = try KafkaProducer(
    configuration: KafkaProducerConfiguration(properties: ["bootstrap.servers": bootstrap]))
for (index, order) in expected.enumerated() {
    let metadata = try await producer.send(ProducerRecord(topic: topic, key: "customer-\(index % 3)", value: order))
    print("sent \(order) to \(metadata)")
}
await producer.close()

let consumer = try KafkaConsumer(
    configuration: KafkaConsumerConfiguration(properties: [
        "bootstrap.servers": bootstrap, "group.id": "import-kafka", "auto.offset.reset": "earliest",
        "enable.auto.commit": "false",
    ]))
try consumer.subscribe(topics: [topic])
var received: [String] = []
for try await batch in consumer.batches {
    received += batch.compactMap(\.valueString)
    try await consumer.commit()
    if received.count >= expected.count { break }
}
let partitions = Set((0..<3).map { TopicPartition(topic: topic, partition: Int32($0)) })
let committed = try await consumer.committed(partitions).values.compactMap { $0?.offset }.reduce(0, +)
await consumer.close()

guard received.sorted() == expected.sorted() else { throw CheckFailed(description: "received \(received)") }
guard committed == Int64(expected.count) else { throw CheckFailed(description: "committed \(committed) offsets") }
print("produced, consumed and committed \(received.count) records with `import Kafka` alone")
