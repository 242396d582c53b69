package import ArgumentParser
package import KafkaAdmin

/// The options of `kafka-get-offsets` beside the connection: Apache Kafka's `GetOffsetShell` flags.
package struct GetOffsetsOptions: ParsableArguments {
    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "The topic(s) to get the offsets for: a regular expression matching whole names (default: every topic). "
                + "Not with --topic-partitions.",
            valueName: "topic"))
    package var topic: String?

    @Option(
        name: .customLong("partitions"),
        help: ArgumentHelp(
            "Comma-separated partition ids (default: every partition). Not with --topic-partitions.",
            valueName: "partition ids"))
    package var partitions: String?

    @Option(
        name: .customLong("topic-partitions"),
        help: ArgumentHelp(
            "Comma-separated rules TOPIC_REGEX[:N|N-M|N-|-M] (ranges exclude M; an empty topic part matches every "
                + "topic).",
            valueName: "topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3"))
    package var topicPartitions: String?

    @Option(
        name: .customLong("time"), parsing: .unconditional,
        help: ArgumentHelp(
            "Which offset: -1 or latest, -2 or earliest, -3 or max-timestamp, or a timestamp in milliseconds (the "
                + "first offset at or after it).",
            valueName: "timestamp"))
    package var time: String = "latest"

    @Flag(
        name: .customLong("exclude-internal-topics"),
        help: "Leave out internal topics (by default they are included).")
    package var excludeInternalTopics = false

    @Flag(name: .customLong("json"), help: "Print a JSON array of {topic, partition, offset} instead of Kafka's lines.")
    package var json = false

    package init() {}

    package func validate() throws {
        if topicPartitions != nil && (topic != nil || partitions != nil) {
            throw ValidationError("--topic-partitions cannot be used with --topic or --partitions")
        }
        _ = try offsetSpec()
        _ = try filter()
    }

    /// The partitions to report.
    package func filter() throws -> TopicPartitionFilter {
        if let topicPartitions { return try TopicPartitionFilter(topicPartitions: topicPartitions) }
        return try TopicPartitionFilter(topic: topic, partitions: partitions)
    }

    /// The offset `--time` asks for.
    ///
    /// - Throws: `ValidationError` for a value that is neither a name nor a number, and for the tiered-storage
    ///   lookups (-4, -5, -6), which this client does not offer.
    package func offsetSpec() throws -> OffsetSpec {
        switch time {
        case "latest", "-1": return .latest
        case "earliest", "-2": return .earliest
        case "max-timestamp", "-3": return .maxTimestamp
        case "earliest-local", "latest-tiered", "earliest-pending-upload", "-4", "-5", "-6":
            throw ValidationError("--time \(time): tiered-storage offsets are not supported")
        default:
            guard let timestamp = Int64(time), timestamp >= 0 else {
                throw ValidationError(
                    "Malformed time argument \(time). Please use -1 or latest / -2 or earliest / -3 or max-timestamp, "
                        + "or a specified long format timestamp")
            }
            return .forTimestamp(timestamp)
        }
    }
}
