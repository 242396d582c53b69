import Foundation
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import KafkaProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Kafka's "-" for a value that is not known.
let missing = "-"

/// One row of the offsets view (Java's `PartitionAssignmentState`).
struct PartitionRow {
    var group: String
    var topic: String
    var partition: Int32
    var currentOffset: Int64?
    var logEndOffset: Int64?
    var consumerId: String?
    var host: String?
    var clientId: String?

    var lag: Int64? {
        guard let currentOffset, currentOffset >= 0, let logEndOffset else { return nil }
        return logEndOffset - currentOffset
    }
}

extension AdminError {
    /// The error as this tool prints it: `[API topic-partition] CODE (n): message`, the form of `KafkaError`.
    var toolError: KafkaError {
        KafkaError(
            code: code, api: api, topic: topicPartition?.topic, partition: topicPartition?.partition,
            brokerMessage: message)
    }
}

/// A group as the describe views need it: its description (nil when it does not exist) or the error describing it.
struct DescribedGroup {
    var groupId: String
    var description: ConsumerGroupDescription?
    var error: KafkaError?

    var exists: Bool { description.map { $0.state != "Dead" } ?? false }
}

/// The actions, on an admin client.
struct GroupsTool {
    let admin: KafkaAdminClient
    let options: ConsumerGroupsCommand

    /// Writes `message` on standard error, prefixed with the tool's name.
    func report(_ message: String) {
        KafkaTool.printError("kafka-consumer-groups: \(message)")
    }

    /// Writes `message` on standard error as is (Kafka's notices, such as "has no active members").
    func notice(_ message: String) {
        KafkaTool.printError(message)
    }

    // MARK: --list

    func listGroups() async throws -> Bool {
        let filter = try options.state.flatMap { $0.isEmpty ? nil : try GroupStates.parse($0) }
        let listings = try await admin.listConsumerGroups(states: filter)
        if options.output == .json {
            let groups: [[String: Any]] = listings.map {
                [
                    "group": $0.groupId, "state": $0.state.map { $0 as Any } ?? NSNull(),
                    "protocolType": $0.protocolType,
                ]
            }
            try printJSON(["groups": groups])
        } else if options.state != nil {
            let width = (listings.map { max(15, $0.groupId.count) }.max() ?? 15) + 10
            print(pad("GROUP", width) + " " + pad("STATE", 20))
            for listing in listings {
                print(pad(listing.groupId, width) + " " + pad(listing.state ?? "Unknown", 20))
            }
        } else {
            for listing in listings { print(listing.groupId) }
        }
        return true
    }

    // MARK: --describe

    /// The groups `--group`/`--all-groups` name, sorted and without duplicates.
    func selectedGroups() async throws -> [String] {
        if options.allGroups { return try await admin.listConsumerGroups().map(\.groupId) }
        return Array(Set(options.groups)).sorted()
    }

    func describe(_ groupIds: [String]) async throws -> [DescribedGroup] {
        guard !groupIds.isEmpty else { return [] }
        let results = try await admin.describeConsumerGroups(groupIds)
        return groupIds.map { groupId in
            switch results[groupId] {
            case .success(let description)?:
                return DescribedGroup(groupId: groupId, description: description, error: nil)
            case .failure(let error)? where error.code == .groupIdNotFound:
                return DescribedGroup(groupId: groupId, description: nil, error: nil)
            case .failure(let error)?:
                return DescribedGroup(groupId: groupId, description: nil, error: error.toolError)
            case nil:
                return DescribedGroup(
                    groupId: groupId, description: nil,
                    error: KafkaError(code: .unknownServerError, brokerMessage: "no answer for group '\(groupId)'"))
            }
        }
    }

    /// Java's `shouldPrintMemberState`: reports a missing or failed group (returns false) and prints the notices of
    /// empty and rebalancing groups on standard error.
    func checkState(_ group: DescribedGroup, failed: inout Bool) -> Bool {
        if let error = group.error {
            report("Error: Describing consumer group '\(group.groupId)' failed: \(error)")
            failed = true
            return false
        }
        guard group.exists, let description = group.description else {
            report("Error: Consumer group '\(group.groupId)' does not exist.")
            failed = true
            return false
        }
        switch description.state {
        case "Empty":
            notice("\nConsumer group '\(group.groupId)' has no active members.")
        case "PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling":
            notice("\nWarning: Consumer group '\(group.groupId)' is rebalancing.")
        default:
            break
        }
        return true
    }

    func describeGroups() async throws -> Bool {
        let groupIds = try await selectedGroups()
        if options.members {
            return try await describeMembers(groupIds)
        } else if options.state != nil {
            return try await describeStates(groupIds)
        } else if let watch = options.watch {
            try await watchOffsets(groupIds, every: watch)
            return true
        } else {
            return try await describeOffsets(groupIds)
        }
    }

    /// The offsets view of each group: a row per assigned partition (members with the most partitions first) and
    /// per committed partition no member holds.
    func collectOffsets(_ groups: [DescribedGroup]) async throws -> [String: [PartitionRow]] {
        var rowsByGroup: [String: [PartitionRow]] = [:]
        var committedByGroup: [String: [TopicPartitionKey: ConsumerGroupOffset]] = [:]
        var allPartitions = Set<TopicPartitionKey>()
        for group in groups where group.exists {
            let committed = try await admin.listConsumerGroupOffsets(group.groupId)
            committedByGroup[group.groupId] = committed
            allPartitions.formUnion(committed.keys)
            for member in group.description?.members ?? [] { allPartitions.formUnion(member.assignment) }
        }
        var logEndOffsets: [TopicPartitionKey: Int64] = [:]
        if !allPartitions.isEmpty {
            let answers = try await admin.listOffsets(
                Dictionary(uniqueKeysWithValues: allPartitions.map { ($0, .latest) }))
            for (partition, result) in answers {
                if case .success(let listed) = result, listed.offset >= 0 { logEndOffsets[partition] = listed.offset }
            }
        }
        for group in groups where group.exists {
            guard let description = group.description else { continue }
            let committed = committedByGroup[group.groupId] ?? [:]
            var rows: [PartitionRow] = []
            var assigned = Set<TopicPartitionKey>()
            let members = description.members.filter { !$0.assignment.isEmpty }
                .enumerated().sorted {
                    ($0.element.assignment.count, -$0.offset) > ($1.element.assignment.count, -$1.offset)
                }
                .map(\.element)
            for member in members {
                for partition in member.assignment.sorted() {
                    assigned.insert(partition)
                    rows.append(
                        PartitionRow(
                            group: group.groupId, topic: partition.topic, partition: partition.partition,
                            currentOffset: committed[partition]?.offset, logEndOffset: logEndOffsets[partition],
                            consumerId: member.memberId, host: member.clientHost, clientId: member.clientId))
                }
            }
            for partition in committed.keys.sorted() where !assigned.contains(partition) {
                rows.append(
                    PartitionRow(
                        group: group.groupId, topic: partition.topic, partition: partition.partition,
                        currentOffset: committed[partition]?.offset, logEndOffset: logEndOffsets[partition],
                        consumerId: nil, host: nil, clientId: nil))
            }
            rowsByGroup[group.groupId] = rows
        }
        return rowsByGroup
    }

    /// The offsets table of one group, as Kafka prints it (a blank line, the header, a line per row).
    func offsetsTable(_ rows: [PartitionRow]) -> String {
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

    func describeOffsets(_ groupIds: [String]) async throws -> Bool {
        let groups = try await describe(groupIds)
        let rows = try await collectOffsets(groups)
        var failed = false
        if options.output == .json {
            var documents: [[String: Any]] = []
            for group in groups {
                var document = groupDocument(group, failed: &failed)
                if group.exists {
                    let groupRows = rows[group.groupId] ?? []
                    document["partitions"] = groupRows.map { row -> [String: Any] in
                        [
                            "topic": row.topic, "partition": Int(row.partition),
                            "currentOffset": json(row.currentOffset), "logEndOffset": json(row.logEndOffset),
                            "lag": json(row.lag), "consumerId": json(row.consumerId), "host": json(row.host),
                            "clientId": json(row.clientId),
                        ]
                    }
                    document["totalLag"] = groupRows.compactMap(\.lag).reduce(0, +)
                }
                documents.append(document)
            }
            try printJSON(["groups": documents])
            return !failed
        }
        for group in groups where checkState(group, failed: &failed) {
            let groupRows = rows[group.groupId] ?? []
            if !groupRows.isEmpty { print(offsetsTable(groupRows), terminator: "") }
        }
        return !failed
    }

    /// `--watch`: the offsets tables of the groups with their total lag, every `interval` seconds until SIGINT.
    func watchOffsets(_ groupIds: [String], every interval: Double) async throws {
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        signal(SIGINT, SIG_IGN)
        interrupt.setEventHandler {
            if isatty(STDOUT_FILENO) != 0 { print("") }
            fflush(nil)
            exit(0)
        }
        interrupt.resume()
        defer { interrupt.cancel() }
        let terminal = isatty(STDOUT_FILENO) != 0
        let formatter = ISO8601DateFormatter()
        while true {
            let groups = try await describe(groupIds)
            let rows = try await collectOffsets(groups)
            var text = terminal ? "\u{1B}[H\u{1B}[2J" : ""
            text +=
                "Every \(formatInterval(interval))s: kafka-consumer-groups --describe    \(formatter.string(from: Date()))\n"
            for group in groups {
                guard group.error == nil else {
                    text +=
                        "\nError: Describing consumer group '\(group.groupId)' failed: \(group.error.map { "\($0)" } ?? "")\n"
                    continue
                }
                guard group.exists, let description = group.description else {
                    text += "\nConsumer group '\(group.groupId)' does not exist.\n"
                    continue
                }
                let groupRows = rows[group.groupId] ?? []
                if description.state != "Stable" {
                    text += "\nConsumer group '\(group.groupId)' is \(description.state)"
                    text += description.state == "Empty" ? " (no active members).\n" : ".\n"
                }
                if !groupRows.isEmpty { text += offsetsTable(groupRows) }
                text += "TOTAL LAG: \(groupRows.compactMap(\.lag).reduce(0, +))\n"
            }
            print(text)
            fflush(nil)
            try await Task.sleep(for: .milliseconds(Int64((interval * 1000).rounded())))
        }
    }

    private func formatInterval(_ interval: Double) -> String {
        interval == interval.rounded() ? String(Int64(interval)) : String(interval)
    }

    // MARK: --describe --members

    func describeMembers(_ groupIds: [String]) async throws -> Bool {
        let groups = try await describe(groupIds)
        var failed = false
        if options.output == .json {
            let documents = groups.map { group -> [String: Any] in
                var document = groupDocument(group, failed: &failed)
                if group.exists, let description = group.description {
                    document["members"] = description.members.map { member -> [String: Any] in
                        [
                            "consumerId": member.memberId, "groupInstanceId": json(member.groupInstanceId),
                            "host": member.clientHost, "clientId": member.clientId,
                            "partitions": member.assignment.map {
                                ["topic": $0.topic, "partition": Int($0.partition)]
                            },
                        ]
                    }
                }
                return document
            }
            try printJSON(["groups": documents])
            return !failed
        }
        for group in groups where checkState(group, failed: &failed) {
            guard let description = group.description, !description.members.isEmpty else { continue }
            var groupWidth = 15
            var consumerWidth = 15
            var instanceWidth = 17
            var hostWidth = 15
            var clientWidth = 15
            var withInstance = false
            for member in description.members {
                groupWidth = max(groupWidth, group.groupId.count)
                consumerWidth = max(consumerWidth, member.memberId.count)
                instanceWidth = max(instanceWidth, (member.groupInstanceId ?? "").count)
                hostWidth = max(hostWidth, member.clientHost.count)
                clientWidth = max(clientWidth, member.clientId.count)
                if let instance = member.groupInstanceId, !instance.isEmpty { withInstance = true }
            }
            func line(
                _ group: String, _ consumer: String, _ instance: String, _ host: String, _ client: String,
                _ count: String
            )
                -> String
            {
                pad(group, groupWidth) + " " + pad(consumer, consumerWidth) + " "
                    + (withInstance ? pad(instance, instanceWidth) + " " : "") + pad(host, hostWidth) + " "
                    + pad(client, clientWidth) + " " + pad(count, 15) + " "
            }
            var text = "\n" + line("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS")
            if options.verbose { text += "ASSIGNMENT" }
            for member in description.members {
                text +=
                    "\n"
                    + line(
                        group.groupId, member.memberId, member.groupInstanceId ?? "", member.clientHost,
                        member.clientId, String(member.assignment.count))
                if options.verbose { text += assignmentText(member.assignment) }
            }
            print(text)
        }
        return !failed
    }

    /// `topic(0,1), other(2)`, or "-" for no partitions.
    func assignmentText(_ assignment: [TopicPartitionKey]) -> String {
        guard !assignment.isEmpty else { return missing }
        return Dictionary(grouping: assignment, by: \.topic)
            .map { topic, partitions in
                topic + "(" + partitions.map(\.partition).sorted().map(String.init).joined(separator: ",") + ")"
            }
            .sorted().joined(separator: ", ")
    }

    // MARK: --describe --state

    func describeStates(_ groupIds: [String]) async throws -> Bool {
        let groups = try await describe(groupIds)
        var failed = false
        if options.output == .json {
            let documents = groups.map { groupDocument($0, failed: &failed) }
            try printJSON(["groups": documents])
            return !failed
        }
        for group in groups where checkState(group, failed: &failed) {
            guard let description = group.description else { continue }
            let coordinator =
                "\(description.coordinator.host):\(description.coordinator.port)  (\(description.coordinator.nodeID))"
            let coordinatorWidth = max(25, coordinator.count)
            let groupWidth = max(15, group.groupId.count)
            func line(_ columns: [String]) -> String {
                pad(columns[0], groupWidth) + " " + pad(columns[1], coordinatorWidth) + " " + pad(columns[2], 20) + " "
                    + pad(columns[3], 20) + " " + columns[4]
            }
            let strategy = description.partitionAssignor.isEmpty ? missing : description.partitionAssignor
            print(
                "\n" + line(["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]) + "\n"
                    + line([
                        group.groupId, coordinator, strategy, description.state, String(description.members.count),
                    ]))
        }
        return !failed
    }

    // MARK: JSON

    /// The fields every JSON group document has: id, state, coordinator, assignor, member count; or the error.
    func groupDocument(_ group: DescribedGroup, failed: inout Bool) -> [String: Any] {
        var document: [String: Any] = ["group": group.groupId]
        if let error = group.error {
            let message = "Describing consumer group '\(group.groupId)' failed: \(error)"
            report("Error: \(message)")
            failed = true
            document["error"] = message
            return document
        }
        guard group.exists, let description = group.description else {
            let message = "Consumer group '\(group.groupId)' does not exist."
            report("Error: \(message)")
            failed = true
            document["state"] = "Dead"
            document["error"] = message
            return document
        }
        document["state"] = description.state
        document["protocolType"] = description.protocolType
        document["assignmentStrategy"] =
            description.partitionAssignor.isEmpty ? NSNull() : description.partitionAssignor
        document["coordinator"] = [
            "id": Int(description.coordinator.nodeID), "host": description.coordinator.host,
            "port": description.coordinator.port,
        ]
        document["numMembers"] = description.members.count
        return document
    }

    func json<T>(_ value: T?) -> Any {
        guard let value else { return NSNull() }
        if let value = value as? Int64 { return NSNumber(value: value) }
        return value
    }

    func printJSON(_ document: [String: Any]) throws {
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}
