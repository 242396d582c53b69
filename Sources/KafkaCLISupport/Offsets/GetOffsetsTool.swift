package import KafkaAdmin
package import KafkaNetwork

/// `kafka-get-offsets` on an admin client: Apache Kafka's `GetOffsetShell`, one `topic:partition:offset` line per
/// partition, ordered as Kafka orders them (by the text `topic-partition`).
package struct GetOffsetsTool {
    package let admin: KafkaAdminClient
    package let options: GetOffsetsOptions

    package init(admin: KafkaAdminClient, options: GetOffsetsOptions) {
        self.admin = admin
        self.options = options
    }

    /// One partition's offset.
    package struct Row: Equatable, Encodable, Sendable {
        package var topic: String
        package var partition: Int32
        package var offset: Int64

        package init(topic: String, partition: Int32, offset: Int64) {
            self.topic = topic
            self.partition = partition
            self.offset = offset
        }
    }

    /// Looks the offsets up and prints them. Partitions whose lookup failed are named on standard error ("Skip
    /// getting offsets for …", as Kafka) and left out, as are partitions without such an offset (a time after
    /// every record).
    ///
    /// - Throws: ``ToolError`` when no partition matches the filters, or, as one line, when every lookup failed because
    ///   the broker is too old for the request (the error names the API and the broker's versions).
    package func run() async throws {
        let (rows, skipped) = try await offsets()
        if rows.isEmpty, let (_, error) = skipped.first, skipped.allSatisfy({ $0.1.code == .unsupportedVersion }) {
            throw ToolError(error.description)
        }
        for (partition, error) in skipped {
            KafkaTool.printError("Skip getting offsets for topic-partition \(partition) due to error: \(error)")
        }
        print(Self.render(rows, json: options.json), terminator: "")
    }

    /// The offsets of the matching partitions, ordered, and the partitions whose lookup failed.
    package func offsets() async throws -> (rows: [Row], skipped: [(TopicPartitionKey, AdminError)]) {
        let filter = try options.filter()
        let spec = try options.offsetSpec()
        let topics = try await admin.listTopics(includeInternal: !options.excludeInternalTopics)
            .filter(filter.allowsTopic)
        var partitions: [TopicPartitionKey] = []
        if !topics.isEmpty {
            for (name, result) in try await admin.describeTopics(topics) {
                guard case .success(let description) = result else { continue }
                for partition in description.partitions
                where filter.allows(topic: name, partition: partition.partition) {
                    partitions.append(TopicPartitionKey(topic: name, partition: partition.partition))
                }
            }
        }
        guard !partitions.isEmpty else {
            throw ToolError("Could not match any topic-partitions with the specified filters")
        }
        let results = try await admin.listOffsets(Dictionary(uniqueKeysWithValues: partitions.map { ($0, spec) }))
        var rows: [Row] = []
        var skipped: [(TopicPartitionKey, AdminError)] = []
        for partition in Self.kafkaOrder(partitions) {
            switch results[partition] {
            case .success(let listed) where listed.offset >= 0:
                rows.append(Row(topic: partition.topic, partition: partition.partition, offset: listed.offset))
            case .failure(let error): skipped.append((partition, error))
            case .success, nil: break
            }
        }
        return (rows, skipped)
    }

    /// Kafka's order: by the text `topic-partition` (so `t-10` comes before `t-2`).
    package static func kafkaOrder(_ partitions: [TopicPartitionKey]) -> [TopicPartitionKey] {
        partitions.sorted { $0.description.utf8.lexicographicallyPrecedes($1.description.utf8) }
    }

    /// Kafka's lines (`topic:partition:offset`), or a JSON array.
    package static func render(_ rows: [Row], json: Bool) -> String {
        if json { return JSONOutput.array(rows) }
        return rows.map { "\($0.topic):\($0.partition):\($0.offset)\n" }.joined()
    }
}
