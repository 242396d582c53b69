import KafkaCLISupport
import Testing

@Suite struct GroupsJSONTests {
    @Test("--list --output json: every group with its state (null when unknown) and protocol type")
    func listing() throws {
        let text = try GroupsJSON.render([
            GroupsJSON.Listing(group: "a/b", state: "Stable", protocolType: "consumer"),
            GroupsJSON.Listing(group: "old", state: nil, protocolType: ""),
        ])
        #expect(
            text == """
                {
                  "groups" : [
                    {
                      "group" : "a/b",
                      "protocolType" : "consumer",
                      "state" : "Stable"
                    },
                    {
                      "group" : "old",
                      "protocolType" : "",
                      "state" : null
                    }
                  ]
                }
                """)
    }

    @Test("--describe --output json: the offsets view with nulls for unknown values, and failed groups")
    func offsets() throws {
        let described = GroupsJSON.Group(
            group: "readers", state: "Stable",
            description: GroupsJSON.Description(
                protocolType: "consumer", assignmentStrategy: nil,
                coordinator: GroupsJSON.Coordinator(id: 1, host: "127.0.0.1", port: 9092), numMembers: 1),
            partitions: [
                GroupsJSON.Partition(
                    PartitionRow(
                        group: "readers", topic: "orders", partition: 0, currentOffset: 3, logEndOffset: 5,
                        consumerId: nil, host: nil, clientId: nil))
            ],
            totalLag: 2)
        let text = try GroupsJSON.render([
            described,
            GroupsJSON.Group(group: "gone", error: "Consumer group 'gone' does not exist.", state: "Dead"),
        ])
        #expect(
            text == """
                {
                  "groups" : [
                    {
                      "assignmentStrategy" : null,
                      "coordinator" : {
                        "host" : "127.0.0.1",
                        "id" : 1,
                        "port" : 9092
                      },
                      "group" : "readers",
                      "numMembers" : 1,
                      "partitions" : [
                        {
                          "clientId" : null,
                          "consumerId" : null,
                          "currentOffset" : 3,
                          "host" : null,
                          "lag" : 2,
                          "logEndOffset" : 5,
                          "partition" : 0,
                          "topic" : "orders"
                        }
                      ],
                      "protocolType" : "consumer",
                      "state" : "Stable",
                      "totalLag" : 2
                    },
                    {
                      "error" : "Consumer group 'gone' does not exist.",
                      "group" : "gone",
                      "state" : "Dead"
                    }
                  ]
                }
                """)
    }

    @Test("--describe --members --output json: each member with its partitions")
    func members() throws {
        let group = GroupsJSON.Group(
            group: "g", state: "Stable",
            description: GroupsJSON.Description(
                protocolType: "consumer", assignmentStrategy: "range",
                coordinator: GroupsJSON.Coordinator(id: 2, host: "h", port: 1), numMembers: 1),
            members: [
                GroupsJSON.Member(
                    consumerId: "c-1", groupInstanceId: nil, host: "/10.0.0.1", clientId: "app",
                    partitions: [GroupsJSON.AssignedPartition(topic: "t", partition: 4)])
            ])
        let text = try GroupsJSON.render([group])
        #expect(text.contains("\"groupInstanceId\" : null"))
        #expect(text.contains("\"host\" : \"/10.0.0.1\""))
        #expect(text.contains("\"assignmentStrategy\" : \"range\""))
        #expect(!text.contains("totalLag"))
    }
}
