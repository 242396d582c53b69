import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import Testing

@Suite struct GroupTablesTests {
    @Test("the offsets view: Kafka's columns, the lag computed, '-' for what is not known")
    func offsets() {
        let rows = [
            PartitionRow(
                group: "g", topic: "orders", partition: 0, currentOffset: 3, logEndOffset: 5, consumerId: "c-1",
                host: "/127.0.0.1", clientId: "app"),
            PartitionRow(
                group: "g", topic: "orders", partition: 1, currentOffset: nil, logEndOffset: 4, consumerId: nil,
                host: nil, clientId: nil),
        ]
        #expect(rows.map(\.lag) == [2, nil])
        #expect(
            GroupTables.offsets(rows) == """

                GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             \
                CONSUMER-ID     HOST            CLIENT-ID
                g               orders          0          3               5               2               \
                c-1             /127.0.0.1      app
                g               orders          1          -               4               -               \
                -               -               -

                """)
    }

    @Test("the members view widens a column to its longest value; --verbose adds the assignment")
    func members() {
        let member = ConsumerGroupMemberDescription(
            memberId: "consumer-app-1-0123456789", groupInstanceId: nil, clientId: "app", clientHost: "/10.0.0.1",
            assignment: [
                TopicPartitionKey(topic: "other", partition: 1), TopicPartitionKey(topic: "orders", partition: 2),
                TopicPartitionKey(topic: "orders", partition: 0),
            ])
        #expect(
            GroupTables.members(group: "g", [member], verbose: true) == """

                GROUP           CONSUMER-ID               HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT
                g               consumer-app-1-0123456789 /10.0.0.1       app             3               \
                orders(0,2), other(1)
                """)
        #expect(GroupTables.assignment([]) == "-")
        let withInstance = GroupTables.members(
            group: "g",
            [
                ConsumerGroupMemberDescription(
                    memberId: "m", groupInstanceId: "instance-1", clientId: "c", clientHost: "h", assignment: [])
            ], verbose: false)
        #expect(withInstance.contains("GROUP-INSTANCE-ID "))
        #expect(
            withInstance.hasSuffix(
                "\ng               m               instance-1        h               c               0               "))
    }

    @Test("the state view: coordinator with its id, '-' for no assignment strategy")
    func state() {
        let description = ConsumerGroupDescription(
            groupId: "g", state: "Stable", protocolType: "consumer", partitionAssignor: "range",
            coordinator: BrokerMetadata(nodeID: 1, host: "localhost", port: 9092), members: [])
        #expect(
            GroupTables.state(group: "g", description) == """

                GROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS
                g               localhost:9092  (1)       range                Stable               0
                """)
        var empty = description
        empty.partitionAssignor = ""
        #expect(GroupTables.state(group: "g", empty).hasSuffix("  -                    Stable               0"))
    }
}
