import Foundation
package import KafkaAdmin
import KafkaNetwork
package import KafkaProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension AdminError {
    /// The error as this tool prints it: `[API topic-partition] CODE (n): message`, the form of `KafkaError`.
    package var toolError: KafkaError {
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

/// The actions of `kafka-consumer-groups` on an admin client, printing what Kafka's `ConsumerGroupCommand` prints.
package struct GroupsTool {
    package let admin: KafkaAdminClient
    package let options: ConsumerGroupsOptions

    package init(admin: KafkaAdminClient, options: ConsumerGroupsOptions) {
        self.admin = admin
        self.options = options
    }

    /// Runs the action of the options; false when it failed (the reasons are on standard error).
    package func run() async throws -> Bool {
        if options.list { return try await listGroups() }
        if options.describe { return try await describeGroups() }
        if options.delete { return try await deleteGroups() }
        if options.resetOffsets { return try await resetOffsets() }
        return try await deleteOffsets()
    }

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
            print(
                try GroupsJSON.render(
                    listings.map {
                        GroupsJSON.Listing(group: $0.groupId, state: $0.state, protocolType: $0.protocolType)
                    }))
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

    func describeOffsets(_ groupIds: [String]) async throws -> Bool {
        let groups = try await describe(groupIds)
        let rows = try await collectOffsets(groups)
        var failed = false
        if options.output == .json {
            var documents: [GroupsJSON.Group] = []
            for group in groups {
                var document = groupDocument(group, failed: &failed)
                if group.exists {
                    let groupRows = rows[group.groupId] ?? []
                    document.partitions = groupRows.map(GroupsJSON.Partition.init)
                    document.totalLag = groupRows.compactMap(\.lag).reduce(0, +)
                }
                documents.append(document)
            }
            print(try GroupsJSON.render(documents))
            return !failed
        }
        for group in groups where checkState(group, failed: &failed) {
            let groupRows = rows[group.groupId] ?? []
            if !groupRows.isEmpty { print(GroupTables.offsets(groupRows), terminator: "") }
        }
        return !failed
    }

    /// `--watch`: the offsets tables of the groups with their total lag, every `interval` seconds until SIGINT.
    func watchOffsets(_ groupIds: [String], every interval: Double) async throws {
        let interrupt = await ShutdownSignals([.sigint]) {
            if isatty(STDOUT_FILENO) != 0 { print("") }
            fflush(nil)
            exit(0)
        }
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
                if !groupRows.isEmpty { text += GroupTables.offsets(groupRows) }
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
            let documents = groups.map { group in
                var document = groupDocument(group, failed: &failed)
                if group.exists, let description = group.description {
                    document.members = description.members.map { member in
                        GroupsJSON.Member(
                            consumerId: member.memberId, groupInstanceId: member.groupInstanceId,
                            host: member.clientHost, clientId: member.clientId,
                            partitions: member.assignment.map {
                                GroupsJSON.AssignedPartition(topic: $0.topic, partition: Int($0.partition))
                            })
                    }
                }
                return document
            }
            print(try GroupsJSON.render(documents))
            return !failed
        }
        for group in groups where checkState(group, failed: &failed) {
            guard let description = group.description, !description.members.isEmpty else { continue }
            print(GroupTables.members(group: group.groupId, description.members, verbose: options.verbose))
        }
        return !failed
    }

    // MARK: --describe --state

    func describeStates(_ groupIds: [String]) async throws -> Bool {
        let groups = try await describe(groupIds)
        var failed = false
        if options.output == .json {
            let documents = groups.map { groupDocument($0, failed: &failed) }
            print(try GroupsJSON.render(documents))
            return !failed
        }
        for group in groups where checkState(group, failed: &failed) {
            guard let description = group.description else { continue }
            print(GroupTables.state(group: group.groupId, description))
        }
        return !failed
    }

    // MARK: JSON

    /// The fields every JSON group document has: id, state, coordinator, assignor, member count; or the error.
    func groupDocument(_ group: DescribedGroup, failed: inout Bool) -> GroupsJSON.Group {
        if let error = group.error {
            let message = "Describing consumer group '\(group.groupId)' failed: \(error)"
            report("Error: \(message)")
            failed = true
            return GroupsJSON.Group(group: group.groupId, error: message)
        }
        guard group.exists, let description = group.description else {
            let message = "Consumer group '\(group.groupId)' does not exist."
            report("Error: \(message)")
            failed = true
            return GroupsJSON.Group(group: group.groupId, error: message, state: "Dead")
        }
        return GroupsJSON.Group(
            group: group.groupId, state: description.state,
            description: GroupsJSON.Description(
                protocolType: description.protocolType,
                assignmentStrategy: description.partitionAssignor.isEmpty ? nil : description.partitionAssignor,
                coordinator: GroupsJSON.Coordinator(
                    id: Int(description.coordinator.nodeID), host: description.coordinator.host,
                    port: description.coordinator.port),
                numMembers: description.members.count))
    }
}
