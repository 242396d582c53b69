package import ArgumentParser
package import KafkaAdmin
package import KafkaNetwork

/// The options of `kafka-delete-records` beside the connection.
package struct DeleteRecordsOptions: ParsableArguments {
    @Option(
        name: .customLong("offset-json-file"),
        help: ArgumentHelp(
            #"The JSON file with the offset per partition: {"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version": 1}"#,
            valueName: "file"))
    package var offsetJSONFile: String

    @Flag(name: .customLong("json"), help: "Print a JSON array of {topic, partition, lowWatermark | error} instead.")
    package var json = false

    package init() {}
}

/// `kafka-delete-records` on an admin client: Apache Kafka's `DeleteRecordsCommand`, with its output.
package struct DeleteRecordsTool {
    package let admin: KafkaAdminClient
    package let options: DeleteRecordsOptions

    package init(admin: KafkaAdminClient, options: DeleteRecordsOptions) {
        self.admin = admin
        self.options = options
    }

    /// One partition's outcome.
    package struct Outcome: Equatable, Encodable, Sendable {
        package var topic: String
        package var partition: Int32
        /// The new log start offset.
        package var lowWatermark: Int64?
        /// Why the partition's records were not deleted.
        package var error: String?

        package init(topic: String, partition: Int32, lowWatermark: Int64? = nil, error: String? = nil) {
            self.topic = topic
            self.partition = partition
            self.lowWatermark = lowWatermark
            self.error = error
        }
    }

    /// Deletes the records and prints Kafka's report.
    ///
    /// - Throws: ``ToolError`` when the file cannot be read or parsed, or when any partition failed (after the
    ///   report, so that the exit status says so).
    package func run() async throws {
        let plan = try DeleteRecordsPlan(json: try PayloadFile.read(options.offsetJSONFile))
        if !options.json { print("Executing records delete operation") }
        let results = try await admin.deleteRecords(plan.offsets)
        let outcomes = Self.outcomes(plan: plan, results: results)
        print(Self.render(outcomes, json: options.json), terminator: "")
        let failed = outcomes.filter { $0.error != nil }.count
        if failed > 0 { throw ToolError("records of \(failed) of \(outcomes.count) partition(s) were not deleted") }
    }

    /// The outcome of each partition of the plan, in Kafka's partition order.
    package static func outcomes(
        plan: DeleteRecordsPlan, results: [TopicPartitionKey: Result<Int64, AdminError>]
    ) -> [Outcome] {
        GetOffsetsTool.kafkaOrder(Array(plan.offsets.keys)).map { partition in
            var outcome = Outcome(topic: partition.topic, partition: partition.partition)
            switch results[partition] {
            case .success(let low): outcome.lowWatermark = low
            case .failure(let error): outcome.error = error.description
            case nil: outcome.error = "no answer from the cluster"
            }
            return outcome
        }
    }

    /// Kafka's report (`partition: t-0\tlow_watermark: 5`, `partition: t-1\terror: …`), or a JSON array.
    package static func render(_ outcomes: [Outcome], json: Bool) -> String {
        if json { return JSONOutput.array(outcomes) }
        var text = "Records delete operation completed:\n"
        for outcome in outcomes {
            let name = "\(outcome.topic)-\(outcome.partition)"
            if let low = outcome.lowWatermark {
                text += "partition: \(name)\tlow_watermark: \(low)\n"
            } else {
                text += "partition: \(name)\terror: \(outcome.error ?? "")\n"
            }
        }
        return text
    }
}
