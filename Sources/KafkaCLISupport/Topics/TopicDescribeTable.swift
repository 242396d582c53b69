package import KafkaAdmin
package import KafkaNetwork

/// The `--describe` output of `kafka-topics`, as Kafka prints it: per topic a line with its id, partition count,
/// replication factor and config overrides, then a tab-indented line per partition.
package enum TopicDescribeTable {
    /// The lines of one topic: the topic line (unless a partition report is asked for, or `topicsWithOverrides` and
    /// the topic has none), then the partition lines the report selects (none with `topicsWithOverrides`).
    ///
    /// - Parameters:
    ///   - configs: the topic's configs (the overrides are the entries that are not defaults; `min.insync.replicas`
    ///     decides the min-ISR reports, 1 when absent).
    ///   - liveBrokers: the brokers in the cluster (a leader outside them is unavailable).
    package static func lines(
        _ description: TopicDescription, configs: [ConfigEntry], liveBrokers: Set<Int32>, report: PartitionReport,
        topicsWithOverrides: Bool
    ) -> [String] {
        var lines: [String] = []
        let overrides = configs.filter { !$0.isDefault }
        let partitions = description.partitions.sorted { $0.partition < $1.partition }
        if !report.isFiltering && (!topicsWithOverrides || !overrides.isEmpty) {
            lines.append(
                topicLine(description, replicationFactor: partitions.first?.replicas.count ?? 0, overrides: overrides))
        }
        guard !topicsWithOverrides else { return lines }
        let minIsr = configs.first { $0.name == "min.insync.replicas" }?.value.flatMap { Int($0) } ?? 1
        for partition in partitions where report.shows(partition, minIsr: minIsr, liveBrokers: liveBrokers) {
            lines.append(partitionLine(topic: description.name, partition))
        }
        return lines
    }

    /// Kafka's `--describe` line of a topic.
    package static func topicLine(
        _ description: TopicDescription, replicationFactor: Int, overrides: [ConfigEntry]
    ) -> String {
        var line = "Topic: \(description.name)"
        if let id = description.topicID, id != .zero { line += "\tTopicId: \(TopicID.format(id))" }
        line += "\tPartitionCount: \(description.partitions.count)"
        line += "\tReplicationFactor: \(replicationFactor)"
        line += "\tConfigs: " + overrides.map { "\($0.name)=\($0.value ?? "null")" }.joined(separator: ",")
        return line
    }

    /// Kafka's `--describe` line of a partition.
    package static func partitionLine(topic: String, _ partition: PartitionMetadata) -> String {
        "\tTopic: \(topic)\tPartition: \(partition.partition)"
            + "\tLeader: \(partition.leader.map { String($0) } ?? "none")"
            + "\tReplicas: \(partition.replicas.map { String($0) }.joined(separator: ","))"
            + "\tIsr: \(partition.inSyncReplicas.map { String($0) }.joined(separator: ","))"
    }
}

/// The partition reports of `--describe` (`--under-replicated-partitions`, `--unavailable-partitions`,
/// `--under-min-isr-partitions`, `--at-min-isr-partitions`): with any of them only the partitions at least one
/// selects are printed, and no topic line.
package struct PartitionReport: Sendable, Equatable {
    package var underReplicated = false
    package var unavailable = false
    package var underMinIsr = false
    package var atMinIsr = false

    package init(
        underReplicated: Bool = false, unavailable: Bool = false, underMinIsr: Bool = false, atMinIsr: Bool = false
    ) {
        self.underReplicated = underReplicated
        self.unavailable = unavailable
        self.underMinIsr = underMinIsr
        self.atMinIsr = atMinIsr
    }

    /// Whether any report is asked for.
    package var isFiltering: Bool { underReplicated || unavailable || underMinIsr || atMinIsr }

    /// Whether `partition` is printed: always without a report, else when a report asked for selects it.
    package func shows(_ partition: PartitionMetadata, minIsr: Int, liveBrokers: Set<Int32>) -> Bool {
        guard isFiltering else { return true }
        let isr = partition.inSyncReplicas.count
        return (underReplicated && partition.replicas.count > isr)
            || (unavailable && !(partition.leader.map(liveBrokers.contains) ?? false))
            || (underMinIsr && (partition.leader == nil || isr < minIsr))
            || (atMinIsr && isr == minIsr)
    }
}
