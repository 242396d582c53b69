// Sending records with `KafkaProducer`: configuration, acknowledged and callback sends, keys, partitions and
// headers, typed serializers, partitioners, errors, flush and close.

// snippet.hide
import Kafka

struct Order: Codable, Sendable {
    var id: String
    var total: Int
}
let order = Order(id: "order-42", total: 12)
// snippet.show

// snippet.create
let producer = try KafkaProducer(
    configuration: KafkaProducerConfiguration(properties: [
        "bootstrap.servers": "broker1:9092,broker2:9092",  // Java's property names
        "client.id": "billing",
        "acks": "all",  // the default: every in-sync replica has the record
        "enable.idempotence": "true",  // the default: retries never duplicate or reorder a partition's records
        "linger.ms": "10",  // wait up to 10 ms for a batch to fill
        "compression.type": "zstd",
    ]))
// snippet.typed
var settings = KafkaProducerConfiguration(
    client: KafkaClientConfiguration(bootstrapServers: [BrokerAddress(host: "broker1", port: 9092)]))
settings.acks = .all
settings.linger = .milliseconds(10)
settings.batchSize = 64 * 1024
settings.compression = .lz4
let typedProducer = try KafkaProducer(configuration: settings, partitioner: .roundRobin)
// snippet.end
await typedProducer.close()

// snippet.await
let metadata = try await producer.send(ProducerRecord(topic: "orders", key: "order-42", value: "{\"total\": 12}"))
print(metadata.partition, metadata.offset, metadata.timestamp)  // print(metadata) shows orders-3@1017
// snippet.callback
for n in 0..<1_000 {
    try await producer.send(ProducerRecord(topic: "orders", key: "order-\(n)", value: "{}")) { result in
        // Runs once per record, on the producer's sender task: keep it short.
        if case .failure(let error) = result { print("not delivered: \(error)") }
    }
}
await producer.flush()  // sends what is queued now and waits for every outcome
// snippet.records
// A key: the partition is murmur2(key) % partitions, as in the Java client.
let keyed = ProducerRecord(topic: "orders", key: "customer-7", value: "…")
// No key: the uniform sticky partitioner spreads records (KIP-794).
let unkeyed = ProducerRecord(topic: "orders", key: nil, value: "…")
// An explicit partition wins over the partitioner.
let placed = ProducerRecord(topic: "orders", partition: 2, key: "customer-7", value: "…")
// Keys and values are ByteBuffers underneath; a timestamp in ms since the epoch; headers in order.
let detailed = ProducerRecord(
    topic: "orders", key: ByteBuffer(string: "customer-7"), value: ByteBuffer(bytes: [0x01, 0x02]),
    timestamp: 1_700_000_000_000,
    headers: [
        RecordHeader(key: "trace-id", value: ByteBuffer(string: "4bf92f35")), RecordHeader(key: "retry", value: nil),
    ])
// A tombstone (null value) deletes the key on a compacted topic.
let tombstone = ProducerRecord(topic: "customers", key: "customer-7", value: nil)
// snippet.end
for record in [keyed, unkeyed, placed, detailed, tombstone] { try await producer.send(record) { _ in } }

// snippet.serializers
let orders = producer.serializing(keys: StringSerializer(), values: JSONSerializer<Order>())
try await orders.send(topic: "orders", key: order.id, value: order)  // awaits the acknowledgement
try await orders.send(topic: "orders", key: order.id, value: nil) { _ in }  // a tombstone, with a callback
let record = try orders.serialize(topic: "orders", key: order.id, value: order)  // just the ProducerRecord
// snippet.end
_ = record

// snippet.partitioner
/// Sends every record of a tenant to one partition, whatever its key.
struct TenantPartitioner: KafkaPartitioner {
    func partition(topic: String, key: [UInt8]?, value: [UInt8]?, cluster: PartitionerTopicInfo) -> Int32 {
        let tenant = key.map { $0.prefix { $0 != UInt8(ascii: "/") } } ?? []
        return Int32(Murmur2.partition(forKey: tenant, partitionCount: cluster.partitionCount))
    }
}
let tenantProducer = try KafkaProducer(
    configuration: KafkaProducerConfiguration(properties: ["bootstrap.servers": "broker1:9092"]),
    partitioner: .custom(TenantPartitioner()))
// snippet.end
await tenantProducer.close()

// snippet.errors
do {
    try await producer.send(ProducerRecord(topic: "orders", key: "order-43", value: "{}"))
} catch {  // send throws a KafkaProducerError (typed throws)
    switch error.kind {
    case .unknownTopic: print("no topic \(error.topic ?? "?")")
    case .recordTooLarge: print("split the record or raise max.request.size")
    case _ where error.isRetriable: print("try again later: \(error)")
    default: throw error
    }
}
// snippet.close
await producer.flush()  // ignores linger.ms and waits until every record is acknowledged or failed
await producer.close(timeout: .seconds(5))  // delivers what was handed over; after 5 s the rest fails with .closed
// snippet.end
