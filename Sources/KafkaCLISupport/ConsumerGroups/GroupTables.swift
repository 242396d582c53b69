package import KafkaAdmin
package import KafkaNetwork

/// Kafka's "-" for a value that is not known.
let missing = "-"

/// One row of the offsets view (Java's `PartitionAssignmentState`).
package struct PartitionRow: Sendable, Equatable {
    package var group: String
    package var topic: String
    package var partition: Int32
    package var currentOffset: Int64?
    package var logEndOffset: Int64?
    package var consumerId: String?
    package var host: String?
    package var clientId: String?

    package init(
        group: String, topic: String, partition: Int32, currentOffset: Int64?, logEndOffset: Int64?,
        consumerId: String?, host: String?, clientId: String?
    ) {
        self.group = group
        self.topic = topic
        self.partition = partition
        self.currentOffset = currentOffset
        self.logEndOffset = logEndOffset
        self.consumerId = consumerId
        self.host = host
        self.clientId = clientId
    }

    /// The log end offset minus the committed offset; nil when either is unknown (or nothing is committed).
    package var lag: Int64? {
        guard let currentOffset, currentOffset >= 0, let logEndOffset else { return nil }
        return logEndOffset - currentOffset
    }
}

/// The text tables of `kafka-consumer-groups --describe`, as Kafka prints them: a blank line, the header, a line per
/// row; columns left-aligned and padded to the widest value (at least Kafka's minimum width), "-" for unknown values.
package enum GroupTables {
    /// The offsets view of one group.
    package static func offsets(_ rows: [PartitionRow]) -> String {
        var groupWidth = 15
        var topicWidth = 15
        var consumerWidth = 15
        var hostWidth = 15
        for row in rows {
            groupWidth = max(groupWidth, row.group.count)
            topicWidth = max(topicWidth, row.topic.count)
            consumerWidth = max(consumerWidth, (row.consumerId ?? missing).count)
            hostWidth = max(hostWidth, (row.host ?? missing).count)
        }
        func line(_ columns: [String]) -> String {
            pad(columns[0], groupWidth) + " " + pad(columns[1], topicWidth) + " " + pad(columns[2], 10) + " "
                + pad(columns[3], 15) + " " + pad(columns[4], 15) + " " + pad(columns[5], 15) + " "
                + pad(columns[6], consumerWidth) + " " + pad(columns[7], hostWidth) + " " + columns[8]
        }
        var text =
            "\n"
            + line([
                "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST",
                "CLIENT-ID",
            ])
        for row in rows {
            text +=
                "\n"
                + line([
                    row.group, row.topic, String(row.partition), row.currentOffset.map(String.init) ?? missing,
                    row.logEndOffset.map(String.init) ?? missing, row.lag.map(String.init) ?? missing,
                    row.consumerId ?? missing, row.host ?? missing, row.clientId ?? missing,
                ])
        }
        return text + "\n"
    }

    /// The members view of one group (`--members`); with `verbose` each member's assignment too. The
    /// GROUP-INSTANCE-ID column is only there when a member has an instance id.
    package static func members(
        group groupId: String, _ members: [ConsumerGroupMemberDescription], verbose: Bool
    ) -> String {
        var groupWidth = 15
        var consumerWidth = 15
        var instanceWidth = 17
        var hostWidth = 15
        var clientWidth = 15
        var withInstance = false
        for member in members {
            groupWidth = max(groupWidth, groupId.count)
            consumerWidth = max(consumerWidth, member.memberId.count)
            instanceWidth = max(instanceWidth, (member.groupInstanceId ?? "").count)
            hostWidth = max(hostWidth, member.clientHost.count)
            clientWidth = max(clientWidth, member.clientId.count)
            if let instance = member.groupInstanceId, !instance.isEmpty { withInstance = true }
        }
        func line(
            _ group: String, _ consumer: String, _ instance: String, _ host: String, _ client: String, _ count: String
        ) -> String {
            pad(group, groupWidth) + " " + pad(consumer, consumerWidth) + " "
                + (withInstance ? pad(instance, instanceWidth) + " " : "") + pad(host, hostWidth) + " "
                + pad(client, clientWidth) + " " + pad(count, 15) + " "
        }
        var text = "\n" + line("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS")
        if verbose { text += "ASSIGNMENT" }
        for member in members {
            text +=
                "\n"
                + line(
                    groupId, member.memberId, member.groupInstanceId ?? "", member.clientHost, member.clientId,
                    String(member.assignment.count))
            if verbose { text += assignment(member.assignment) }
        }
        return text
    }

    /// `topic(0,1), other(2)`, or "-" for no partitions.
    package static func assignment(_ assignment: [TopicPartitionKey]) -> String {
        guard !assignment.isEmpty else { return missing }
        return Dictionary(grouping: assignment, by: \.topic)
            .map { topic, partitions in
                topic + "(" + partitions.map(\.partition).sorted().map(String.init).joined(separator: ",") + ")"
            }
            .sorted().joined(separator: ", ")
    }

    /// The state view of one group (`--state`).
    package static func state(group groupId: String, _ description: ConsumerGroupDescription) -> String {
        let coordinator =
            "\(description.coordinator.host):\(description.coordinator.port)  (\(description.coordinator.nodeID))"
        let coordinatorWidth = max(25, coordinator.count)
        let groupWidth = max(15, groupId.count)
        func line(_ columns: [String]) -> String {
            pad(columns[0], groupWidth) + " " + pad(columns[1], coordinatorWidth) + " " + pad(columns[2], 20) + " "
                + pad(columns[3], 20) + " " + columns[4]
        }
        let strategy = description.partitionAssignor.isEmpty ? missing : description.partitionAssignor
        return "\n" + line(["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]) + "\n"
            + line([groupId, coordinator, strategy, description.state, String(description.members.count)])
    }
}
