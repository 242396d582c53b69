import Foundation
package import KafkaNetwork

/// The CSV of `--export` and `--from-file`: `topic,partition,offset` for one group, `group,topic,partition,offset`
/// for several.
package enum ResetPlanCSV {
    package static func render(_ plan: [String: [TopicPartitionKey: Int64]], withGroup: Bool) -> String {
        var text = ""
        for group in plan.keys.sorted() {
            for (partition, offset) in (plan[group] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let fields = [partition.topic, String(partition.partition), String(offset)]
                text += (withGroup ? [group] + fields : fields).map(quoted).joined(separator: ",") + "\n"
            }
        }
        return text
    }

    /// Parses a reset plan; three-field lines belong to `singleGroup`.
    ///
    /// - Throws: a `ToolError` naming the bad line.
    package static func parse(_ text: String, singleGroup: String?) throws -> [String: [TopicPartitionKey: Int64]] {
        var plan: [String: [TopicPartitionKey: Int64]] = [:]
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let fields = fields(of: line)
            let group: String
            let rest: ArraySlice<String>
            switch fields.count {
            case 3:
                guard let singleGroup else {
                    throw ToolError(
                        "line \(index + 1) of the reset plan has no group: with several groups each line must be "
                            + "group,topic,partition,offset")
                }
                group = singleGroup
                rest = fields[0...]
            case 4:
                group = fields[0]
                rest = fields[1...]
            default:
                throw ToolError(
                    "line \(index + 1) of the reset plan is not topic,partition,offset or group,topic,partition,offset: "
                        + "'\(line)'")
            }
            let values = Array(rest)
            guard !values[0].isEmpty, let partition = Int32(values[1]), partition >= 0, let offset = Int64(values[2])
            else {
                throw ToolError("line \(index + 1) of the reset plan has a bad partition or offset: '\(line)'")
            }
            plan[group, default: [:]][TopicPartitionKey(topic: values[0], partition: partition)] = offset
        }
        return plan
    }

    private static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The fields of one CSV line, with double-quoted fields.
    private static func fields(of line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" {
                        current.append("\"")
                        characters = characters.dropFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current.trimmingCharacters(in: .whitespaces))
        return fields
    }
}
