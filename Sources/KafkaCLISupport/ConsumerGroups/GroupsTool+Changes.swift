import Foundation
import KafkaAdmin
import KafkaNetwork
import KafkaProtocol

extension GroupsTool {
    // MARK: --delete

    func deleteGroups() async throws -> Bool {
        let groupIds = try await selectedGroups()
        guard !groupIds.isEmpty else {
            print("No consumer groups to delete.")
            return true
        }
        let results = try await admin.deleteConsumerGroups(groupIds)
        var deleted: [String] = []
        var failures: [(String, String)] = []
        for groupId in groupIds {
            switch results[groupId] {
            case .success?: deleted.append(groupId)
            case .failure(let error)?: failures.append((groupId, deleteMessage(error)))
            case nil: failures.append((groupId, "no answer from the coordinator"))
            }
        }
        let quotedDeleted = deleted.map { "'\($0)'" }.joined(separator: ", ")
        if failures.isEmpty {
            print("Deletion of requested consumer groups (\(quotedDeleted)) was successful.")
            return true
        }
        report("Error: Deletion of some consumer groups failed:")
        for (groupId, message) in failures {
            notice("* Group '\(groupId)' could not be deleted due to: \(message)")
        }
        if !deleted.isEmpty { print("These consumer groups were deleted successfully: \(quotedDeleted)") }
        return false
    }

    private func deleteMessage(_ error: AdminError) -> String {
        switch error.code {
        case .nonEmptyGroup: "The group is not empty (it has active members)."
        case .groupIdNotFound: "The group id does not exist."
        default: "\(error.toolError)"
        }
    }

    // MARK: --delete-offsets

    func deleteOffsets() async throws -> Bool {
        guard let groupId = options.groups.first else { return false }
        let (partitions, undescribed) = try await scopedPartitions(try options.topics.map(TopicScope.parse))
        var rows: [(topic: String, partition: Int32?, status: String)] = undescribed.map { topic, error in
            (topic, nil, error.map { "Error: \($0)" } ?? "Error: the topic was not described")
        }
        var partitionErrors = !undescribed.isEmpty
        let results: [TopicPartitionKey: Result<Void, AdminError>]
        do {
            results = try await admin.deleteConsumerGroupOffsets(groupId, partitions: partitions)
        } catch {
            switch error.code {
            case .groupIdNotFound:
                report("Error: Consumer group '\(groupId)' does not exist.")
            default:
                report("Error: Deleting offsets of consumer group '\(groupId)' failed: \(error.toolError)")
            }
            return false
        }
        for (partition, result) in results {
            switch result {
            case .success: rows.append((partition.topic, partition.partition, "Successful"))
            case .failure(let error):
                rows.append((partition.topic, partition.partition, "Error: \(offsetDeleteMessage(error))"))
                partitionErrors = true
            }
        }
        if partitionErrors {
            report(
                "Error: Encountered some partition-level error deleting offsets of group '\(groupId)', see the "
                    + "follow-up details.")
        } else {
            print("Request succeeded for deleting offsets from group \(groupId).")
        }
        let topicWidth = max(15, rows.map(\.topic.count).max() ?? 0)
        var text = "\n" + pad("TOPIC", topicWidth) + " " + pad("PARTITION", 10) + " " + pad("STATUS", 15)
        for row in rows.sorted(by: { ($0.topic, $0.partition ?? -1) < ($1.topic, $1.partition ?? -1) }) {
            text +=
                "\n" + pad(row.topic, topicWidth) + " " + pad(row.partition.map(String.init) ?? missing, 10) + " "
                + pad(row.status, 15)
        }
        print(text)
        return !partitionErrors
    }

    private func offsetDeleteMessage(_ error: AdminError) -> String {
        switch error.code {
        case .groupSubscribedToTopic:
            "The consumer group is actively subscribed to the topic."
        case .unknownTopicOrPartition:
            "This server does not host this topic-partition."
        default:
            "\(error.toolError)"
        }
    }

    // MARK: --reset-offsets

    func resetOffsets() async throws -> Bool {
        if !options.dryRun && !options.execute {
            notice(
                "WARN: No action will be performed as the --execute option is missing. Add --dry-run to keep this "
                    + "behavior without the warning, or --execute to apply the new offsets.")
        }
        let groupIds = try await selectedGroups()
        var filePlan: [String: [TopicPartitionKey: Int64]]?
        if let path = options.fromFile {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ToolError("cannot read the reset plan '\(path)': \(error.localizedDescription)")
            }
            filePlan = try ResetPlanCSV.parse(text, singleGroup: groupIds.count == 1 ? groupIds[0] : nil)
        }
        let groups = try await describe(groupIds)
        var plan: [String: [TopicPartitionKey: Int64]] = [:]
        var failed = false
        for group in groups {
            if let error = group.error {
                report("Error: Describing consumer group '\(group.groupId)' failed: \(error)")
                failed = true
                continue
            }
            let state = group.description?.state ?? "Dead"
            guard state == "Empty" || state == "Dead" else {
                report(
                    "Error: Assignments can only be reset if the group '\(group.groupId)' is inactive, but the current "
                        + "state is \(state).")
                failed = true
                continue
            }
            do {
                let offsets = try await planReset(group.groupId, filePlan: filePlan)
                guard let offsets else {
                    failed = true
                    continue
                }
                if options.execute && !offsets.isEmpty {
                    let progress = ProgressLine(
                        label: "resetting offsets of group '\(group.groupId)'", unit: "partitions", total: offsets.count
                    )
                    let results: [TopicPartitionKey: Result<Void, AdminError>]
                    do {
                        results = try await alterOffsets(group.groupId, offsets) { progress.update($0) }
                        progress.finish()
                    } catch {
                        progress.finish()
                        throw error
                    }
                    let errors = results.sorted { $0.key < $1.key }.compactMap { partition, result -> String? in
                        if case .failure(let error) = result { return "\(partition): \(error.toolError)" }
                        return nil
                    }
                    if !errors.isEmpty {
                        report(
                            "Error: Resetting the offsets of consumer group '\(group.groupId)' failed: "
                                + errors.joined(separator: "; "))
                        failed = true
                        continue
                    }
                }
                plan[group.groupId] = offsets
            } catch let failure as ToolError {
                report("Error: Consumer group '\(group.groupId)': \(failure.description)")
                failed = true
            }
        }
        if options.export {
            print(ResetPlanCSV.render(plan, withGroup: options.groups.count != 1))
        } else if !plan.isEmpty {
            let groupWidth = max(15, plan.keys.map(\.count).max() ?? 0)
            let topicWidth = max(15, plan.values.flatMap(\.keys).map(\.topic.count).max() ?? 0)
            func line(_ group: String, _ topic: String, _ partition: String, _ offset: String) -> String {
                "\n" + pad(group, groupWidth) + " " + pad(topic, topicWidth) + " " + pad(partition, 10) + " " + offset
            }
            var text = line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")
            for groupId in plan.keys.sorted() {
                for (partition, offset) in (plan[groupId] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    text += line(groupId, partition.topic, String(partition.partition), String(offset))
                }
            }
            print(text)
        }
        return !failed
    }

    /// Commits `offsets` for `groupId` in requests of at most 500 partitions, calling `progress` with the number
    /// committed so far after each (a progress line at a terminal).
    private func alterOffsets(
        _ groupId: String, _ offsets: [TopicPartitionKey: Int64], progress: (Int) -> Void
    ) async throws -> [TopicPartitionKey: Result<Void, AdminError>] {
        let sorted = offsets.sorted { $0.key < $1.key }
        var results: [TopicPartitionKey: Result<Void, AdminError>] = [:]
        var start = 0
        while start < sorted.count {
            let chunk = sorted[start..<min(start + 500, sorted.count)]
            let answers = try await admin.alterConsumerGroupOffsets(
                groupId, offsets: Dictionary(uniqueKeysWithValues: chunk.map { ($0.key, $0.value) }))
            results.merge(answers) { $1 }
            start += chunk.count
            progress(start)
        }
        return results
    }

    /// The new offsets of one group; nil (after reporting) when the file has no plan for the group.
    private func planReset(
        _ groupId: String, filePlan: [String: [TopicPartitionKey: Int64]]?
    ) async throws -> [TopicPartitionKey: Int64]? {
        if let filePlan {
            guard let requested = filePlan[groupId] else {
                report("Error: No reset plan for group \(groupId) found.")
                return nil
            }
            try await checkPartitionsExist(Set(requested.keys))
            return try await clampToLog(requested)
        }
        let partitions = try await partitionsToReset(groupId)
        try await checkPartitionsExist(Set(partitions))
        if let offset = options.toOffset {
            return try await clampToLog(Dictionary(uniqueKeysWithValues: partitions.map { ($0, offset) }))
        } else if options.toEarliest {
            return try await logOffsets(partitions, .earliest, what: "starting")
        } else if options.toLatest {
            return try await logOffsets(partitions, .latest, what: "ending")
        } else if let shift = options.shiftBy {
            let committed = try await admin.listConsumerGroupOffsets(groupId)
            var requested: [TopicPartitionKey: Int64] = [:]
            for partition in partitions {
                guard let current = committed[partition] else {
                    throw ToolError(
                        "Cannot shift offset for partition \(partition) since there is no current committed offset")
                }
                let (sum, overflow) = current.offset.addingReportingOverflow(shift)
                requested[partition] = overflow ? (shift < 0 ? 0 : Int64.max) : sum
            }
            return try await clampToLog(requested)
        } else if let datetime = options.toDatetime {
            return try await offsetsForTime(partitions, try ResetTime.parseDateTime(datetime))
        } else if let duration = options.byDuration {
            let now = Int64((Date().timeIntervalSince1970 * 1000).rounded())
            return try await offsetsForTime(partitions, now - (try ResetTime.parseDuration(duration)))
        } else {
            // --to-current: the committed offset, or the log end offset for a partition without one.
            let committed = try await admin.listConsumerGroupOffsets(groupId)
            var offsets: [TopicPartitionKey: Int64] = [:]
            var withoutCommit: [TopicPartitionKey] = []
            for partition in partitions {
                if let current = committed[partition] {
                    offsets[partition] = current.offset
                } else {
                    withoutCommit.append(partition)
                }
            }
            offsets.merge(try await logOffsets(withoutCommit, .latest, what: "ending")) { $1 }
            return offsets
        }
    }

    /// `--all-topics`: the partitions the group committed; `--topic`: the partitions named, or every partition of
    /// the topics named without partitions.
    private func partitionsToReset(_ groupId: String) async throws -> [TopicPartitionKey] {
        if options.allTopics {
            return try await admin.listConsumerGroupOffsets(groupId).keys.sorted()
        }
        let (partitions, undescribed) = try await scopedPartitions(try options.topics.map(TopicScope.parse))
        if let (topic, error) = undescribed.first {
            throw ToolError("cannot describe topic '\(topic)'" + (error.map { ": \($0)" } ?? ""))
        }
        return partitions.sorted()
    }

    /// The partitions `scopes` name: those listed, and every partition of the topics named without partitions;
    /// and the topics of the latter that could not be described (with the error, when the cluster gave one).
    private func scopedPartitions(
        _ scopes: [TopicScope]
    ) async throws -> (partitions: Set<TopicPartitionKey>, undescribed: [(topic: String, error: AdminError?)]) {
        var partitions = Set<TopicPartitionKey>()
        var undescribed: [(topic: String, error: AdminError?)] = []
        let whole = scopes.filter { $0.partitions == nil }.map(\.topic)
        if !whole.isEmpty {
            let described = try await admin.describeTopics(whole)
            for topic in whole {
                switch described[topic] {
                case .success(let description)?:
                    for info in description.partitions {
                        partitions.insert(TopicPartitionKey(topic: topic, partition: info.partition))
                    }
                case .failure(let error)?: undescribed.append((topic, error))
                case nil: undescribed.append((topic, nil))
                }
            }
        }
        for scope in scopes {
            for partition in scope.partitions ?? [] {
                partitions.insert(TopicPartitionKey(topic: scope.topic, partition: partition))
            }
        }
        return (partitions, undescribed)
    }

    /// Java's `checkAllTopicPartitionsValid`: every partition exists and has a leader.
    private func checkPartitionsExist(_ partitions: Set<TopicPartitionKey>) async throws {
        guard !partitions.isEmpty else { return }
        let topics = Array(Set(partitions.map(\.topic))).sorted()
        let described = try await admin.describeTopics(topics)
        var existing: [TopicPartitionKey: Bool] = [:]
        for topic in topics {
            guard case .success(let description)? = described[topic] else { continue }
            for info in description.partitions {
                existing[TopicPartitionKey(topic: topic, partition: info.partition)] =
                    info.leader.map { $0 >= 0 } ?? false
            }
        }
        let absent = partitions.filter { existing[$0] == nil }.sorted()
        if !absent.isEmpty {
            throw ToolError("The partitions \"\(absent.map(\.description).joined(separator: ","))\" do not exist")
        }
        let leaderless = partitions.filter { existing[$0] == false }.sorted()
        if !leaderless.isEmpty {
            throw ToolError(
                "The partitions \"\(leaderless.map(\.description).joined(separator: ","))\" have no leader")
        }
    }

    /// The earliest or latest offsets of `partitions`.
    private func logOffsets(
        _ partitions: [TopicPartitionKey], _ spec: OffsetSpec, what: String
    ) async throws -> [TopicPartitionKey: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let answers = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: partitions.map { ($0, spec) }))
        var offsets: [TopicPartitionKey: Int64] = [:]
        for partition in partitions {
            guard case .success(let listed)? = answers[partition], listed.offset >= 0 else {
                let reason = answers[partition].flatMap { result -> String? in
                    if case .failure(let error) = result { return ": \(error.toolError)" }
                    return nil
                }
                throw ToolError("cannot get the \(what) offset of topic partition \(partition)\(reason ?? "")")
            }
            offsets[partition] = listed.offset
        }
        return offsets
    }

    /// Java's `checkOffsetsRange`: offsets past the log end move to it, offsets before the log start move to it.
    private func clampToLog(_ requested: [TopicPartitionKey: Int64]) async throws -> [TopicPartitionKey: Int64] {
        let partitions = requested.keys.sorted()
        let starts = try await logOffsets(partitions, .earliest, what: "starting")
        let ends = try await logOffsets(partitions, .latest, what: "ending")
        var offsets: [TopicPartitionKey: Int64] = [:]
        for partition in partitions {
            guard let offset = requested[partition], let start = starts[partition], let end = ends[partition] else {
                continue
            }
            if offset > end {
                notice(
                    "WARN: New offset (\(offset)) is higher than latest offset for topic partition \(partition). "
                        + "Value will be set to \(end).")
                offsets[partition] = end
            } else if offset < start {
                notice(
                    "WARN: New offset (\(offset)) is lower than earliest offset for topic partition \(partition). "
                        + "Value will be set to \(start).")
                offsets[partition] = start
            } else {
                offsets[partition] = offset
            }
        }
        return offsets
    }

    /// The first offsets at or after `timestamp`; the log end offset for partitions with no such record.
    private func offsetsForTime(
        _ partitions: [TopicPartitionKey], _ timestamp: Int64
    ) async throws -> [TopicPartitionKey: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let answers = try await admin.listOffsets(
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, OffsetSpec.forTimestamp(timestamp)) }))
        var offsets: [TopicPartitionKey: Int64] = [:]
        var fallBack: [TopicPartitionKey] = []
        for partition in partitions {
            switch answers[partition] {
            case .success(let listed)? where listed.offset >= 0:
                offsets[partition] = listed.offset
            case .failure(let error)?:
                throw ToolError(
                    "cannot get the offset by timestamp of topic partition \(partition): \(error.toolError)")
            default:
                notice(
                    "Warn: Partition \(partition.partition) from topic \(partition.topic) is empty. Falling back to "
                        + "latest known offset.")
                fallBack.append(partition)
            }
        }
        offsets.merge(try await logOffsets(fallBack, .latest, what: "ending")) { $1 }
        return offsets
    }
}
