import Foundation
package import KafkaNetwork

/// The `--offset-json-file` of `kafka-delete-records`, in Kafka's format:
/// `{"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version": 1}` (`version` may be left out; an
/// offset of -1 stands for the high watermark: every record).
package struct DeleteRecordsPlan: Equatable, Sendable {
    /// The first offset to keep, per partition.
    package var offsets: [TopicPartitionKey: Int64]

    private struct File: Decodable {
        struct Entry: Decodable {
            var topic: String
            var partition: Int32
            var offset: Int64
        }
        var version: Int?
        var partitions: [Entry]?
    }

    /// Parses the file's text.
    ///
    /// - Throws: ``ToolError`` for text that is not JSON, a missing `partitions` field, an entry without `topic`,
    ///   `partition` or `offset` (or of the wrong type), a version other than 1, or a partition listed twice.
    package init(json text: String) throws {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(text.utf8))
        } catch DecodingError.dataCorrupted {
            throw ToolError("The input string is not a valid JSON")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ToolError("missing field '\(key.stringValue)' \(Self.place(context.codingPath))in the offset JSON")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ToolError("field '\(Self.path(context.codingPath))' of the offset JSON has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw ToolError("field '\(Self.path(context.codingPath))' of the offset JSON is null")
        } catch {
            throw ToolError("The input string is not a valid JSON")
        }
        if let version = file.version, version != 1 {
            throw ToolError("Not supported version field value \(version)")
        }
        guard let entries = file.partitions else { throw ToolError("Missing partitions field") }
        var offsets: [TopicPartitionKey: Int64] = [:]
        var duplicates: [TopicPartitionKey] = []
        for entry in entries {
            let key = TopicPartitionKey(topic: entry.topic, partition: entry.partition)
            if offsets[key] != nil { duplicates.append(key) }
            offsets[key] = entry.offset
        }
        if !duplicates.isEmpty {
            let names = Set(duplicates.map(\.description)).sorted().joined(separator: ",")
            throw ToolError("Offset json file contains duplicate topic partitions: \(names)")
        }
        self.offsets = offsets
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
        codingPath.isEmpty ? "" : "at \(path(codingPath)) "
    }
}
