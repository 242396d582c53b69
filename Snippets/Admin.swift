// Administering a cluster with `KafkaAdminClient`: topics, configs, the cluster, consumer groups and their
// offsets, log offsets and deleting records.

// snippet.create
import Kafka

let admin = try KafkaAdminClient(properties: ["bootstrap.servers": "broker1:9092"])
// snippet.create-topics
let created = try await admin.createTopics([
    NewTopic(name: "orders", partitions: 6, replicationFactor: 3, configs: ["retention.ms": "604800000"]),
    NewTopic(name: "audit"),  // nil partitions and replication factor: the broker's defaults
])
for (name, result) in created {  // one Result per topic: one failure does not hide the others
    switch result {
    case .success(let topic): print(name, topic.topicID as Any, topic.partitions as Any)
    case .failure(let error) where error.code == .topicAlreadyExists: print("\(name) exists")
    case .failure(let error): print(error)
    }
}
// snippet.topics
let names = try await admin.listTopics()  // includeInternal: false by default
print(names)
let described = try await admin.describeTopics(["orders"])
if case .success(let topic)? = described["orders"] {
    for partition in topic.partitions {
        print(partition.partition, partition.leader as Any, partition.replicas, partition.inSyncReplicas)
    }
}
_ = try await admin.createPartitions(["orders": 12])  // the new total count
_ = try await admin.deleteTopics(["audit"])
// snippet.configs
let configs = await admin.describeConfigs([.topic("orders"), .broker(1), .brokerDefaults], includeSynonyms: true)
if case .success(let entries)? = configs[.topic("orders")] {
    for entry in entries where !entry.isDefault { print(entry.name, entry.value ?? "-", entry.source) }
}
let changes = await admin.incrementalAlterConfigs([
    .topic("orders"): [.set(name: "retention.ms", value: "86400000"), .delete(name: "cleanup.policy")]
])
if case .failure(let error)? = changes[.topic("orders")] { print(error) }  // INVALID_CONFIG names the problem
// snippet.cluster
let cluster = try await admin.describeCluster()
print(cluster.clusterID ?? "?", cluster.controller as Any, cluster.brokers.map(\.nodeID))
// snippet.groups
let groups = try await admin.listConsumerGroups(states: ["Stable", "Empty"])  // nil: every state
print(groups.map(\.groupId))
let descriptions = try await admin.describeConsumerGroups(["billing"])
if case .success(let group)? = descriptions["billing"] {
    print(group.state, group.partitionAssignor, group.coordinator.nodeID)
    for member in group.members { print(member.clientId, member.clientHost, member.assignment) }
}
// snippet.lag
let committed = try await admin.listConsumerGroupOffsets("billing")  // [TopicPartitionKey: ConsumerGroupOffset]
let ends = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: committed.keys.map { ($0, OffsetSpec.latest) }))
for (partition, offset) in committed {
    if case .success(let end)? = ends[partition] { print(partition, "lag", end.offset - offset.offset) }
}
// snippet.reset
// Only a group without members accepts new offsets (the coordinator answers UNKNOWN_MEMBER_ID otherwise).
let orders0 = TopicPartitionKey(topic: "orders", partition: 0)
_ = try await admin.alterConsumerGroupOffsets("billing", offsets: [orders0: 0])
_ = try await admin.deleteConsumerGroupOffsets("billing", partitions: [orders0])
_ = try await admin.deleteConsumerGroups(["old-billing"])
// snippet.records
let lookups = try await admin.listOffsets(
    [
        orders0: .earliest,  // the log start offset
        TopicPartitionKey(topic: "orders", partition: 1): .latest,  // the high watermark
        TopicPartitionKey(topic: "orders", partition: 2): .forTimestamp(1_700_000_000_000),
    ], isolationLevel: .readCommitted)  // latest is then the last stable offset
print(lookups)
let deleted = try await admin.deleteRecords([orders0: 5_000])  // keep offsets from 5000 on
if case .success(let lowWatermark)? = deleted[orders0] { print("the log now starts at", lowWatermark) }
// snippet.close
await admin.close()
// snippet.end
