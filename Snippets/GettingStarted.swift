// Produce three records to a local dev cluster, read them back in a consumer group and commit what was read.
// Start the cluster first, in another terminal: `swift run kafka-dev-cluster --topic greetings:3`.

// snippet.connect
import Kafka

let bootstrap = ["bootstrap.servers": "127.0.0.1:9092"]
// snippet.produce
let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(properties: bootstrap))
for n in 1...3 {
    // Records with the same key always go to the same partition.
    let metadata = try await producer.send(ProducerRecord(topic: "greetings", key: "user-\(n)", value: "hello \(n)"))
    print("stored at \(metadata)")  // greetings-2@0: topic, partition, offset
}
await producer.close()
// snippet.consume
let consumer = try KafkaConsumer(
    configuration: KafkaConsumerConfiguration(
        properties: bootstrap.merging([
            "group.id": "greeters",  // the consumer group: its members share the topic's partitions
            "auto.offset.reset": "earliest",  // a group without committed offsets starts at the beginning
            "enable.auto.commit": "false",  // commit explicitly, after the records are handled
        ]) { $1 }))
try consumer.subscribe(topics: ["greetings"])
var handled = 0
for try await batch in consumer.batches {
    for record in batch {
        print(record.partition, record.offset, record.keyString ?? "-", record.valueString ?? "-")
    }
    try await consumer.commit()  // the group now resumes after these records
    handled += batch.count
    if handled >= 3 { break }
}
await consumer.close()  // leaves the group
// snippet.end
