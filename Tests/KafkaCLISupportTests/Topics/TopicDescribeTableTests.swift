import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import KafkaProtocol
import Testing

@Suite struct TopicDescribeTableTests {
    static let id = KafkaUUID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)

    static let orders = TopicDescription(
        name: "orders", topicID: id,
        partitions: [
            PartitionMetadata(topic: "orders", partition: 1, leader: 2, replicas: [2, 3], inSyncReplicas: [2]),
            PartitionMetadata(topic: "orders", partition: 0, leader: 1, replicas: [1, 2], inSyncReplicas: [1, 2]),
            PartitionMetadata(topic: "orders", partition: 2, leader: nil, replicas: [3, 1], inSyncReplicas: []),
        ])

    static let configs = [
        ConfigEntry(name: "cleanup.policy", value: "compact"),
        ConfigEntry(name: "min.insync.replicas", value: "2", isDefault: true),
        ConfigEntry(name: "segment.bytes", value: nil),
    ]

    @Test("a topic id prints as Kafka's URL-safe base64 without padding, and parses back")
    func topicID() throws {
        #expect(TopicID.format(Self.id) == "ASNFZ4mrze_-3LqYdlQyEA")
        #expect(TopicID.parse("ASNFZ4mrze_-3LqYdlQyEA") == Self.id)
        #expect(TopicID.parse("01234567-89ab-cdef-fedc-ba9876543210") == Self.id)
        #expect(TopicID.parse("not-an-id") == nil)
        #expect(TopicID.parse("ASNFZ4mrze_-3LqYdlQyE") == nil)
    }

    @Test("the whole describe output of a topic: the topic line, then the partitions in order")
    func wholeTopic() {
        let lines = TopicDescribeTable.lines(
            Self.orders, configs: Self.configs, liveBrokers: [1, 2, 3], report: PartitionReport(),
            topicsWithOverrides: false)
        #expect(
            lines == [
                "Topic: orders\tTopicId: ASNFZ4mrze_-3LqYdlQyEA\tPartitionCount: 3\tReplicationFactor: 2\t"
                    + "Configs: cleanup.policy=compact,segment.bytes=null",
                "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2",
                "\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2",
                "\tTopic: orders\tPartition: 2\tLeader: none\tReplicas: 3,1\tIsr: ",
            ])
    }

    @Test("a zero topic id is left out, and no overrides print an empty Configs")
    func noIDNoOverrides() {
        let topic = TopicDescription(
            name: "t", topicID: .zero,
            partitions: [PartitionMetadata(topic: "t", partition: 0, leader: 1, replicas: [1], inSyncReplicas: [1])])
        #expect(
            TopicDescribeTable.topicLine(topic, replicationFactor: 1, overrides: [])
                == "Topic: t\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: ")
    }

    @Test("each partition report selects its partitions and drops the topic line")
    func reports() {
        func partitions(_ report: PartitionReport, live: Set<Int32> = [1, 2, 3]) -> [String] {
            TopicDescribeTable.lines(
                Self.orders, configs: Self.configs, liveBrokers: live, report: report, topicsWithOverrides: false
            )
            .map { String($0.split(separator: "\t")[1]) }
        }
        #expect(partitions(PartitionReport(underReplicated: true)) == ["Partition: 1", "Partition: 2"])
        #expect(partitions(PartitionReport(unavailable: true)) == ["Partition: 2"])
        #expect(partitions(PartitionReport(unavailable: true), live: [1, 3]) == ["Partition: 1", "Partition: 2"])
        // min.insync.replicas is 2: partition 1 has one in-sync replica, partition 2 no leader.
        #expect(partitions(PartitionReport(underMinIsr: true)) == ["Partition: 1", "Partition: 2"])
        #expect(partitions(PartitionReport(atMinIsr: true)) == ["Partition: 0"])
        #expect(
            partitions(PartitionReport(underReplicated: true, atMinIsr: true))
                == ["Partition: 0", "Partition: 1", "Partition: 2"])
    }

    @Test("--topics-with-overrides prints only the topic lines of topics with overrides")
    func withOverrides() {
        let with = TopicDescribeTable.lines(
            Self.orders, configs: Self.configs, liveBrokers: [1, 2, 3], report: PartitionReport(),
            topicsWithOverrides: true)
        #expect(with.count == 1)
        #expect(with.first?.hasPrefix("Topic: orders\t") == true)
        let without = TopicDescribeTable.lines(
            Self.orders, configs: [ConfigEntry(name: "min.insync.replicas", value: "1", isDefault: true)],
            liveBrokers: [1, 2, 3], report: PartitionReport(), topicsWithOverrides: true)
        #expect(without.isEmpty)
    }
}
