package import ArgumentParser
import Foundation
package import KafkaAdmin
package import KafkaNetwork

/// The options of `kafka-leader-election` beside the connection: Apache Kafka's `LeaderElectionCommand` flags and
/// rules (`--election-type` required; exactly one of `--topic` with `--partition`, `--all-topic-partitions` and
/// `--path-to-json-file`).
package struct LeaderElectionOptions: ParsableArguments {
    @Option(
        name: .customLong("election-type"),
        help: ArgumentHelp(
            "PREFERRED (move leadership to the first replica when it is alive and in sync) or UNCLEAN (give a "
                + "partition without a leader a live out-of-sync replica), in any case (required).",
            valueName: "election type"))
    package var electionTypeName: String?

    /// The `--election-type`: `preferred` or `unclean` in any case (as Kafka's option converter accepts); nil when
    /// not given or not one of them.
    package var electionType: ElectionType? {
        switch electionTypeName?.uppercased() {
        case "PREFERRED": .preferred
        case "UNCLEAN": .unclean
        default: nil
        }
    }

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "The topic of the partition to elect a leader for (with --partition).", valueName: "topic name"))
    package var topic: String?

    @Option(
        name: .customLong("partition"),
        help: ArgumentHelp("The partition to elect a leader for (with --topic).", valueName: "partition id"))
    package var partition: Int32?

    @Flag(
        name: .customLong("all-topic-partitions"),
        help: "Elect leaders of every partition that the election type applies to.")
    package var allTopicPartitions = false

    @Option(
        name: .customLong("path-to-json-file"),
        help: ArgumentHelp(
            #"The partitions: {"partitions":[{"topic":"foo","partition":1},{"topic":"foobar","partition":2}]}."#,
            valueName: "Path to JSON file"))
    package var pathToJSONFile: String?

    @Option(
        name: .customLong("admin.config"),
        help: ArgumentHelp("Kafka's name of --command-config: client properties file.", valueName: "config file"))
    package var adminConfig: String?

    @Flag(name: .customLong("json"), help: "Print a JSON array of {topic, partition, outcome, error} instead.")
    package var json = false

    package init() {}

    package func validate() throws {
        guard let name = electionTypeName else { throw ValidationError("Missing required option(s): election-type") }
        guard electionType != nil else {
            throw ValidationError("--election-type: '\(name)' is not one of PREFERRED, UNCLEAN (in any case)")
        }
        let chosen = [topic != nil, allTopicPartitions, pathToJSONFile != nil].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError(
                "One and only one of the following options is required: topic, all-topic-partitions, "
                    + "path-to-json-file")
        }
        if topic != nil && partition == nil { throw ValidationError("Missing required option(s): partition") }
        if topic == nil && partition != nil {
            throw ValidationError("Option partition is only allowed if topic is used")
        }
    }

    /// The partitions named by the options: nil for `--all-topic-partitions`.
    ///
    /// - Throws: ``ToolError`` for a JSON file that cannot be read or parsed (Kafka's messages).
    package func partitions() throws -> Set<TopicPartitionKey>? {
        if let topic, let partition { return [TopicPartitionKey(topic: topic, partition: partition)] }
        guard let pathToJSONFile else { return nil }
        return try Self.electionPartitions(try PayloadFile.read(pathToJSONFile))
    }

    /// The partitions of Kafka's election file `{"partitions":[{"topic":"foo","partition":1}]}`.
    ///
    /// - Throws: ``ToolError``: "Replica election data is empty" for text that is not a JSON object, "Replica
    ///   election data is missing "partitions" field", "Replica election data contains duplicate partitions: …", or
    ///   an entry without a string `topic` and a number `partition`.
    package static func electionPartitions(_ text: String) throws -> Set<TopicPartitionKey> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ToolError("Replica election data is empty")
        }
        guard let list = object["partitions"] else {
            throw ToolError("Replica election data is missing \"partitions\" field")
        }
        guard let entries = list as? [Any] else {
            throw ToolError("field 'partitions' of the election data is not a list")
        }
        var partitions: [TopicPartitionKey] = []
        for (index, entry) in entries.enumerated() {
            guard let fields = entry as? [String: Any], let topic = fields["topic"] as? String,
                let number = fields["partition"] as? Int, let partition = Int32(exactly: number)
            else {
                throw ToolError(
                    "entry \(index) of the election data needs a string \"topic\" and an integer \"partition\"")
            }
            partitions.append(TopicPartitionKey(topic: topic, partition: partition))
        }
        let duplicates = ReassignmentJSON.duplicates(partitions)
        if !duplicates.isEmpty {
            throw ToolError(
                "Replica election data contains duplicate partitions: "
                    + ReassignmentJSON.order(duplicates).map(\.description).joined(separator: ","))
        }
        return Set(partitions)
    }
}
