import Foundation

/// The `--output json` documents of `kafka-consumer-groups`: `{"groups":[…]}`, pretty-printed with sorted keys.
///
/// An unknown value is `null` (a group's state, assignment strategy, a partition's offsets and lag, its consumer);
/// the fields of a view are only present in that view (`partitions` and `totalLag` in the offsets view, `members`
/// in the members view), and a failed group has only `group`, `error` and (when it does not exist) `state`.
package enum GroupsJSON {
    /// `{"groups": groups}` as the tool prints it.
    package static func render(_ groups: [some Encodable]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(["groups": groups]), as: UTF8.self)
    }

    /// A group of `--list`.
    package struct Listing: Encodable, Equatable, Sendable {
        package var group: String
        package var state: String?
        package var protocolType: String

        package init(group: String, state: String?, protocolType: String) {
            self.group = group
            self.state = state
            self.protocolType = protocolType
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(group, forKey: .group)
            try container.encode(state, forKey: .state)
            try container.encode(protocolType, forKey: .protocolType)
        }

        private enum CodingKeys: String, CodingKey { case group, state, protocolType }
    }

    /// A group of `--describe`: its description (or error) and the rows of the view asked for.
    package struct Group: Encodable, Equatable, Sendable {
        package var group: String
        /// Why the group could not be described (then only `state` may be present besides).
        package var error: String?
        package var state: String?
        package var description: Description?
        /// The offsets view.
        package var partitions: [Partition]?
        package var totalLag: Int64?
        /// The members view.
        package var members: [Member]?

        package init(
            group: String, error: String? = nil, state: String? = nil, description: Description? = nil,
            partitions: [Partition]? = nil, totalLag: Int64? = nil, members: [Member]? = nil
        ) {
            self.group = group
            self.error = error
            self.state = state
            self.description = description
            self.partitions = partitions
            self.totalLag = totalLag
            self.members = members
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(group, forKey: .group)
            try container.encodeIfPresent(error, forKey: .error)
            try container.encodeIfPresent(state, forKey: .state)
            if let description {
                try container.encode(description.protocolType, forKey: .protocolType)
                try container.encode(description.assignmentStrategy, forKey: .assignmentStrategy)
                try container.encode(description.coordinator, forKey: .coordinator)
                try container.encode(description.numMembers, forKey: .numMembers)
            }
            try container.encodeIfPresent(partitions, forKey: .partitions)
            try container.encodeIfPresent(totalLag, forKey: .totalLag)
            try container.encodeIfPresent(members, forKey: .members)
        }

        private enum CodingKeys: String, CodingKey {
            case group, error, state, protocolType, assignmentStrategy, coordinator, numMembers, partitions, totalLag
            case members
        }
    }

    /// What every described group reports (besides its state).
    package struct Description: Equatable, Sendable {
        package var protocolType: String
        package var assignmentStrategy: String?
        package var coordinator: Coordinator
        package var numMembers: Int

        package init(protocolType: String, assignmentStrategy: String?, coordinator: Coordinator, numMembers: Int) {
            self.protocolType = protocolType
            self.assignmentStrategy = assignmentStrategy
            self.coordinator = coordinator
            self.numMembers = numMembers
        }
    }

    /// The group's coordinator.
    package struct Coordinator: Encodable, Equatable, Sendable {
        package var id: Int
        package var host: String
        package var port: Int

        package init(id: Int, host: String, port: Int) {
            self.id = id
            self.host = host
            self.port = port
        }
    }

    /// A row of the offsets view.
    package struct Partition: Encodable, Equatable, Sendable {
        package var topic: String
        package var partition: Int
        package var currentOffset: Int64?
        package var logEndOffset: Int64?
        package var lag: Int64?
        package var consumerId: String?
        package var host: String?
        package var clientId: String?

        package init(
            topic: String, partition: Int, currentOffset: Int64?, logEndOffset: Int64?, lag: Int64?,
            consumerId: String?, host: String?, clientId: String?
        ) {
            self.topic = topic
            self.partition = partition
            self.currentOffset = currentOffset
            self.logEndOffset = logEndOffset
            self.lag = lag
            self.consumerId = consumerId
            self.host = host
            self.clientId = clientId
        }

        /// The row of the text table.
        package init(_ row: PartitionRow) {
            self.init(
                topic: row.topic, partition: Int(row.partition), currentOffset: row.currentOffset,
                logEndOffset: row.logEndOffset, lag: row.lag, consumerId: row.consumerId, host: row.host,
                clientId: row.clientId)
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(topic, forKey: .topic)
            try container.encode(partition, forKey: .partition)
            try container.encode(currentOffset, forKey: .currentOffset)
            try container.encode(logEndOffset, forKey: .logEndOffset)
            try container.encode(lag, forKey: .lag)
            try container.encode(consumerId, forKey: .consumerId)
            try container.encode(host, forKey: .host)
            try container.encode(clientId, forKey: .clientId)
        }

        private enum CodingKeys: String, CodingKey {
            case topic, partition, currentOffset, logEndOffset, lag, consumerId, host, clientId
        }
    }

    /// A row of the members view.
    package struct Member: Encodable, Equatable, Sendable {
        package var consumerId: String
        package var groupInstanceId: String?
        package var host: String
        package var clientId: String
        package var partitions: [AssignedPartition]

        package init(
            consumerId: String, groupInstanceId: String?, host: String, clientId: String,
            partitions: [AssignedPartition]
        ) {
            self.consumerId = consumerId
            self.groupInstanceId = groupInstanceId
            self.host = host
            self.clientId = clientId
            self.partitions = partitions
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(consumerId, forKey: .consumerId)
            try container.encode(groupInstanceId, forKey: .groupInstanceId)
            try container.encode(host, forKey: .host)
            try container.encode(clientId, forKey: .clientId)
            try container.encode(partitions, forKey: .partitions)
        }

        private enum CodingKeys: String, CodingKey { case consumerId, groupInstanceId, host, clientId, partitions }
    }

    /// A partition assigned to a member.
    package struct AssignedPartition: Encodable, Equatable, Sendable {
        package var topic: String
        package var partition: Int

        package init(topic: String, partition: Int) {
            self.topic = topic
            self.partition = partition
        }
    }
}
