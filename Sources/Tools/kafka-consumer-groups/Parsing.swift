import ArgumentParser
import Foundation
import KafkaNetwork

/// The consumer group states `--list --state` accepts (Kafka's `GroupState` for consumer groups).
enum GroupStates {
    static let valid = [
        "PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty", "Assigning", "Reconciling", "Unknown",
    ]

    /// The states of a comma-separated list, with Kafka's spelling; case-insensitive.
    ///
    /// - Throws: `ValidationError` naming the valid states.
    static func parse(_ list: String) throws -> Set<String> {
        var states = Set<String>()
        for item in list.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces)
            guard let state = valid.first(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw ValidationError(
                    "Invalid state list '\(list)'. Valid states are: \(valid.joined(separator: ", "))")
            }
            states.insert(state)
        }
        if states.isEmpty {
            throw ValidationError("Invalid state list '\(list)'. Valid states are: \(valid.joined(separator: ", "))")
        }
        return states
    }
}

/// A `--topic` argument: `topic` (every partition) or `topic:0,1,2`.
struct TopicScope: Hashable {
    var topic: String
    /// The partitions named; `nil` for every partition of the topic.
    var partitions: [Int32]?

    static func parse(_ argument: String) throws -> TopicScope {
        guard let colon = argument.firstIndex(of: ":") else {
            guard !argument.isEmpty else { throw ValidationError("--topic expects a topic name") }
            return TopicScope(topic: argument, partitions: nil)
        }
        let topic = String(argument[..<colon])
        let list = argument[argument.index(after: colon)...]
        guard !topic.isEmpty, !list.isEmpty, !list.contains(":") else {
            throw ValidationError("Invalid topic arg '\(argument)', expected topic name and partitions")
        }
        var partitions: [Int32] = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            guard let partition = Int32(item.trimmingCharacters(in: .whitespaces)), partition >= 0 else {
                throw ValidationError("Invalid partition '\(item)' specified in topic arg '\(argument)'")
            }
            partitions.append(partition)
        }
        return TopicScope(topic: topic, partitions: partitions)
    }
}

/// `--to-datetime` and `--by-duration`.
enum ResetTime {
    /// Milliseconds since the epoch of `YYYY-MM-DDTHH:mm[:SS[.sss]]`, in UTC unless followed by `Z` or `±hh[:mm]`.
    ///
    /// - Throws: `ValidationError` for another format.
    static func parseDateTime(_ text: String) throws -> Int64 {
        let invalid = ValidationError(
            "Invalid --to-datetime '\(text)': expected the format YYYY-MM-DDTHH:mm:SS.sss, in UTC or followed by "
                + "Z or an offset like +01:00")
        let scalars = Array(text)
        // The zone: a trailing Z, or a sign after the 'T' followed by hh[:mm] or hhmm.
        guard let tIndex = scalars.firstIndex(of: "T") else { throw invalid }
        var body = scalars
        var offsetSeconds = 0
        if body.last == "Z" || body.last == "z" {
            body.removeLast()
        } else if let signIndex = body.lastIndex(where: { $0 == "+" || $0 == "-" }), signIndex > tIndex {
            let zone = String(body[(signIndex + 1)...]).replacingOccurrences(of: ":", with: "")
            guard zone.count == 2 || zone.count == 4, let value = Int(zone), value >= 0 else { throw invalid }
            let hours = zone.count == 2 ? value : value / 100
            let minutes = zone.count == 2 ? 0 : value % 100
            guard hours < 24, minutes < 60 else { throw invalid }
            offsetSeconds = (hours * 3600 + minutes * 60) * (body[signIndex] == "-" ? -1 : 1)
            body.removeSubrange(signIndex...)
        }
        let date = String(body[..<tIndex])
        let time = String(body[(tIndex + 1)...])
        let dateParts = date.split(separator: "-", omittingEmptySubsequences: false)
        guard dateParts.count == 3, dateParts[0].count == 4, dateParts[1].count == 2, dateParts[2].count == 2,
            let year = Int(dateParts[0]), let month = Int(dateParts[1]), let day = Int(dateParts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { throw invalid }
        var secondsText = "0"
        var millis = 0
        let timeParts = time.split(separator: ":", omittingEmptySubsequences: false)
        guard timeParts.count == 2 || timeParts.count == 3, timeParts[0].count == 2, timeParts[1].count == 2,
            let hour = Int(timeParts[0]), let minute = Int(timeParts[1]), hour < 24, minute < 60
        else { throw invalid }
        if timeParts.count == 3 {
            let secondsPart = timeParts[2].split(separator: ".", omittingEmptySubsequences: false)
            guard secondsPart.count <= 2, secondsPart[0].count == 2 else { throw invalid }
            secondsText = String(secondsPart[0])
            if secondsPart.count == 2 {
                let fraction = secondsPart[1]
                guard (1...3).contains(fraction.count), let value = Int(fraction) else { throw invalid }
                millis = value * [1, 100, 10, 1][fraction.count]
            }
        }
        guard let second = Int(secondsText), second < 60 else { throw invalid }
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(secondsFromGMT: 0) else { throw invalid }
        calendar.timeZone = utc
        let components = DateComponents(
            calendar: calendar, timeZone: utc, year: year, month: month, day: day, hour: hour, minute: minute,
            second: second)
        guard components.isValidDate, let instant = calendar.date(from: components) else { throw invalid }
        let seconds = Int64(instant.timeIntervalSince1970.rounded()) - Int64(offsetSeconds)
        return seconds * 1000 + Int64(millis)
    }

    /// The length in milliseconds of an ISO-8601 duration `PnDTnHnMn.nS` (Java's `Duration.parse`), with an
    /// optional leading sign.
    ///
    /// - Throws: `ValidationError` for another format.
    static func parseDuration(_ text: String) throws -> Int64 {
        let invalid = ValidationError("Text cannot be parsed to a Duration: '\(text)' (expected the format PnDTnHnMnS)")
        var rest = Substring(text.uppercased())
        var sign: Double = 1
        if rest.first == "-" || rest.first == "+" {
            if rest.first == "-" { sign = -1 }
            rest = rest.dropFirst()
        }
        guard rest.first == "P" else { throw invalid }
        rest = rest.dropFirst()
        var total = 0.0
        var inTime = false
        var number = ""
        var sawUnit = false
        var sawTimeUnit = false
        for character in rest {
            switch character {
            case "T":
                guard !inTime, number.isEmpty else { throw invalid }
                inTime = true
            case "0"..."9", ".", "-", "+":
                number.append(character)
            case "D", "H", "M", "S":
                guard let value = Double(number), value.isFinite else { throw invalid }
                if character == "D" && inTime { throw invalid }
                if character != "D" && !inTime { throw invalid }
                if character != "S" && number.contains(".") { throw invalid }
                let unit: Double =
                    switch character {
                    case "D": 86_400
                    case "H": 3600
                    case "M": 60
                    default: 1
                    }
                total += value * unit
                number = ""
                sawUnit = true
                if inTime { sawTimeUnit = true }
            default:
                throw invalid
            }
        }
        guard number.isEmpty, sawUnit, !inTime || sawTimeUnit else { throw invalid }
        return Int64((sign * total * 1000).rounded())
    }
}

/// The CSV of `--export` and `--from-file`: `topic,partition,offset` for one group, `group,topic,partition,offset`
/// for several.
enum ResetPlanCSV {
    static func render(_ plan: [String: [TopicPartitionKey: Int64]], withGroup: Bool) -> String {
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
    /// - Throws: a `ToolFailure` naming the bad line.
    static func parse(_ text: String, singleGroup: String?) throws -> [String: [TopicPartitionKey: Int64]] {
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
                    throw ToolFailure(
                        "line \(index + 1) of the reset plan has no group: with several groups each line must be "
                            + "group,topic,partition,offset")
                }
                group = singleGroup
                rest = fields[0...]
            case 4:
                group = fields[0]
                rest = fields[1...]
            default:
                throw ToolFailure(
                    "line \(index + 1) of the reset plan is not topic,partition,offset or group,topic,partition,offset: "
                        + "'\(line)'")
            }
            let values = Array(rest)
            guard !values[0].isEmpty, let partition = Int32(values[1]), partition >= 0, let offset = Int64(values[2])
            else {
                throw ToolFailure("line \(index + 1) of the reset plan has a bad partition or offset: '\(line)'")
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

/// A failure reported on one line and exit status 1.
struct ToolFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Java's `%-Ns`: `text` padded with spaces to at least `width` characters.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
