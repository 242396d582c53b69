import Foundation
package import KafkaNetwork

/// Kafka's JSON documents of `kafka-reassign-partitions`: the topics to move
/// (`{"version":1,"topics":[{"topic":"foo"}]}`) and the reassignment plan
/// (`{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}`, where
/// `version` and `log_dirs` may be left out).
package enum ReassignmentJSON {
    /// The log directory that leaves the choice to the broker.
    package static let anyLogDir = "any"

    /// One partition of a plan: its target replicas and, per replica, the log directory (`any` for the broker's
    /// choice).
    package struct Entry: Equatable, Sendable {
        package var partition: TopicPartitionKey
        package var replicas: [Int32]
        package var logDirs: [String]

        package init(partition: TopicPartitionKey, replicas: [Int32], logDirs: [String]? = nil) {
            self.partition = partition
            self.replicas = replicas
            self.logDirs = logDirs ?? replicas.map { _ in ReassignmentJSON.anyLogDir }
        }
    }

    private struct TopicsFile: Decodable {
        struct Topic: Decodable { var topic: String }
        var version: Int?
        var topics: [Topic]?
    }

    private struct PlanFile: Decodable {
        struct Partition: Decodable {
            var topic: String
            var partition: Int32
            var replicas: [Int32]
            var logDirs: [String]?

            enum CodingKeys: String, CodingKey {
                case topic, partition, replicas
                case logDirs = "log_dirs"
            }
        }
        var version: Int?
        var partitions: [Partition]?
    }

    /// The topics of a `--topics-to-move-json-file`, in file order (duplicates kept: the caller refuses them).
    ///
    /// - Throws: ``ToolError`` for text that is not JSON, a version other than 1, or an entry without a string
    ///   `topic`.
    package static func topics(_ text: String) throws -> [String] {
        let file: TopicsFile = try decode(text, what: "topics JSON")
        if let version = file.version, version != 1 { throw ToolError("Not supported version field value \(version)") }
        return (file.topics ?? []).map(\.topic)
    }

    /// The entries of a `--reassignment-json-file`, in file order (duplicates kept: `--execute` refuses them).
    ///
    /// - Throws: ``ToolError`` for text that is not JSON, a version other than 1, an entry without `topic`,
    ///   `partition` or `replicas` (or of the wrong type), or `log_dirs` of another length than `replicas`.
    package static func plan(_ text: String) throws -> [Entry] {
        let file: PlanFile = try decode(text, what: "reassignment JSON")
        if let version = file.version, version != 1 { throw ToolError("Not supported version field value \(version)") }
        return try (file.partitions ?? []).map { partition in
            let key = TopicPartitionKey(topic: partition.topic, partition: partition.partition)
            let logDirs = partition.logDirs ?? partition.replicas.map { _ in anyLogDir }
            if logDirs.count != partition.replicas.count {
                throw ToolError(
                    "Size of replicas list \(javaList(partition.replicas)) is different from size of log dirs list "
                        + "\(javaList(logDirs)) for partition \(key)")
            }
            return Entry(partition: key, replicas: partition.replicas, logDirs: logDirs)
        }
    }

    /// The checks of `--execute` on a plan (Kafka's messages): not empty, no empty replica list, no partition twice,
    /// no broker twice in a partition.
    package static func validateForExecution(_ entries: [Entry]) throws {
        if entries.isEmpty { throw ToolError("Partition reassignment list cannot be empty") }
        if entries.contains(where: { $0.replicas.isEmpty }) {
            throw ToolError("Partition replica list cannot be empty")
        }
        let duplicatePartitions = duplicates(entries.map(\.partition))
        if !duplicatePartitions.isEmpty {
            throw ToolError(
                "Partition reassignment contains duplicate topic partitions: "
                    + order(duplicatePartitions).map(\.description).joined(separator: ","))
        }
        let repeated = entries.compactMap { entry -> String? in
            let brokers = duplicates(entry.replicas)
            guard !brokers.isEmpty else { return nil }
            return "\(entry.partition) contains multiple entries for "
                + brokers.sorted().map(String.init).joined(separator: ",")
        }
        if !repeated.isEmpty {
            throw ToolError(
                "Partition replica lists may not contain duplicate entries: " + repeated.joined(separator: ". "))
        }
    }

    /// Kafka's plan document on one line: partitions in Kafka's order (topic, then partition number), every log
    /// directory `any` unless `logDirs` names one.
    package static func format(
        _ assignment: [TopicPartitionKey: [Int32]], logDirs: [TopicPartitionKey: [String]] = [:]
    ) -> String {
        let partitions = order(Array(assignment.keys)).map { key -> String in
            let replicas = assignment[key] ?? []
            let dirs = logDirs[key] ?? replicas.map { _ in anyLogDir }
            return #"{"topic":\#(OAuthBearerJWS.jsonString(key.topic)),"partition":\#(key.partition),"#
                + #""replicas":[\#(replicas.map(String.init).joined(separator: ","))],"#
                + #""log_dirs":[\#(dirs.map(OAuthBearerJWS.jsonString).joined(separator: ","))]}"#
        }
        return #"{"version":1,"partitions":[\#(partitions.joined(separator: ","))]}"#
    }

    /// Kafka's partition order: by topic name, then by partition number.
    package static func order(_ partitions: [TopicPartitionKey]) -> [TopicPartitionKey] {
        partitions.sorted {
            $0.topic == $1.topic
                ? $0.partition < $1.partition : $0.topic.utf16.lexicographicallyPrecedes($1.topic.utf16)
        }
    }

    /// The values that occur more than once, each once.
    package static func duplicates<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        var reported = Set<T>()
        return values.filter { !seen.insert($0).inserted && reported.insert($0).inserted }
    }

    /// A list as Java prints one: `[1, 2, 3]`.
    package static func javaList<T>(_ values: [T]) -> String {
        "[" + values.map { "\($0)" }.joined(separator: ", ") + "]"
    }

    private static func decode<T: Decodable>(_ text: String, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // Valid JSON that the decoder still refuses holds a number that does not fit (a broker id beyond Int32).
            if (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil {
                throw ToolError("a number of the \(what) is out of range")
            }
            throw ToolError("The input string is not a valid JSON")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ToolError("missing field '\(key.stringValue)'\(place(context.codingPath)) in the \(what)")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ToolError("field '\(path(context.codingPath))' of the \(what) has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw ToolError("field '\(path(context.codingPath))' of the \(what) is null")
        } catch let DecodingError.dataCorrupted(context) {
            throw ToolError("field '\(path(context.codingPath))' of the \(what) is out of range")
        } catch {
            throw ToolError("The input string is not a valid JSON")
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    private static func place(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "" : " at \(path(codingPath))"
    }
}
