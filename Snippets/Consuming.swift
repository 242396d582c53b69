// Reading records with `KafkaConsumer`: subscribing in a group, the poll loop and the async sequences, commits, a
// rebalance listener, seeking, pausing and manual assignment.

// snippet.hide
import Kafka

func handle(_ record: ConsumerRecord) {}
func store(_ records: [ConsumerRecord]) async throws {}

struct Order: Codable, Sendable {
    var id: String
    var total: Int
}
// snippet.show

// snippet.create
let consumer = try KafkaConsumer(
    configuration: KafkaConsumerConfiguration(properties: [
        "bootstrap.servers": "broker1:9092",
        "group.id": "billing",  // needed for subscribe and for commits
        "auto.offset.reset": "earliest",  // where a partition without a committed offset starts (default latest)
        "enable.auto.commit": "false",  // commit after processing (below)
        "partition.assignment.strategy": "cooperative-sticky",
    ]))
// snippet.listener
/// Commits what was handed out before partitions move to another member, so nothing is processed twice.
struct CommitOnRevoke: ConsumerRebalanceListener {
    func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {
        try await consumer.commit()
    }
    func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {
        // The place to seek, before any record of these partitions is fetched.
    }
    // partitionsLost(_:consumer:) calls partitionsRevoked by default.
}
// snippet.subscribe
try consumer.subscribe(topics: ["orders", "refunds"], listener: CommitOnRevoke())
// or every topic whose whole name matches a regular expression, including topics created later:
// try consumer.subscribe(pattern: "orders-.*")
// snippet.batches
for try await batch in consumer.batches {  // one non-empty array per poll
    try await store(batch)
    try await consumer.commit()  // commits the positions after this batch
}
// snippet.end

func pollLoop(_ consumer: KafkaConsumer) async throws {
    // snippet.poll
    while !Task.isCancelled {
        // At most max.poll.records (default 500) records, or [] after the timeout.
        for record in try await consumer.poll(timeout: .seconds(1)) { handle(record) }
    }
    // snippet.records
    for try await record in consumer.records {  // one record at a time
        print(record.topic, record.partition, record.offset, record.timestamp, record.keyString ?? "-")
        handle(record)
    }
    // snippet.end
}

func commits(_ consumer: KafkaConsumer, _ record: ConsumerRecord) async throws {
    // snippet.commits
    let partition = TopicPartition(topic: record.topic, partition: record.partition)
    // The offset committed is the next one to read.
    try await consumer.commit([partition: OffsetAndMetadata(offset: record.offset + 1)])
    consumer.commitAsync { result in
        if case .failure(let error) = result { print("commit failed: \(error)") }
    }
    let committed = try await consumer.committed([partition])  // [TopicPartition: OffsetAndMetadata?]
    print(committed[partition] as Any)
    // snippet.end
}

func assignAndSeek() async throws {
    // snippet.assign
    let reader = try KafkaConsumer(
        configuration: KafkaConsumerConfiguration(properties: ["bootstrap.servers": "broker1:9092"]))
    let orders0 = TopicPartition(topic: "orders", partition: 0)
    try reader.assign([orders0, TopicPartition(topic: "orders", partition: 1)])  // no group needed
    try reader.seek(orders0, to: 1_000)  // the next poll reads from offset 1000
    try reader.seekToBeginning([orders0])  // or the first offset still in the log
    try reader.seekToEnd([orders0])  // or only records written from now on
    try await reader.seek(orders0, toTimestamp: 1_700_000_000_000)  // the first record at or after a time (ms)
    let next = try await reader.position(orders0)  // the offset the next record will have
    print("reading \(orders0) from \(next)")
    // snippet.pause
    try reader.pause([orders0])  // stop fetching; the position is kept and the partition stays assigned
    try reader.resume([orders0])
    print(reader.paused)  // [TopicPartition]
    reader.wakeup()  // from any task: the running or next poll throws KafkaConsumerError .wakeup
    // snippet.end
    await reader.close()
}

func typed(_ consumer: KafkaConsumer) async throws {
    // snippet.typed
    let json = JSONSerializer<Order>()
    let orders = consumer.deserializing(
        keys: { $0.map { String(decoding: $0.readableBytesView, as: UTF8.self) } },
        values: { try $0.map { try json.deserialize($0, topic: "orders") } })
    for record in try await orders.poll(timeout: .seconds(1)) {
        print(record.key ?? "-", record.value?.total ?? 0)
    }
    // snippet.end
}

// snippet.close
await consumer.close()  // runs partitionsRevoked, leaves the group, closes the connections
// snippet.end
