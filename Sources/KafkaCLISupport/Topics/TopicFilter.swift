import ArgumentParser
import Foundation

/// Kafka's `--topic` filter for every action but `--create` (`TopicFilter.IncludeList`): a regular
/// expression that must match the whole topic name. As in Kafka, surrounding whitespace and quotes
/// are dropped, spaces removed, and a comma separates alternatives (`a,b` is `a|b`).
package struct TopicFilter {
    /// The expression after Kafka's rewriting.
    package let pattern: String
    private let regex: NSRegularExpression

    /// - Throws: `ValidationError` when the expression is not a valid regular expression.
    package init(_ raw: String) throws {
        var pattern = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: ",", with: "|")
            .replacingOccurrences(of: " ", with: "")
        while let first = pattern.first, first == "\"" || first == "'" { pattern.removeFirst() }
        while let last = pattern.last, last == "\"" || last == "'" { pattern.removeLast() }
        self.pattern = pattern
        do {
            regex = try NSRegularExpression(pattern: "\\A(?:\(pattern))\\z")
        } catch {
            throw ValidationError("--topic: '\(raw)' is an invalid regex.")
        }
    }

    /// Whether `topic` matches the whole expression.
    package func matches(_ topic: String) -> Bool {
        let range = NSRange(topic.startIndex..<topic.endIndex, in: topic)
        return regex.firstMatch(in: topic, options: [], range: range) != nil
    }

    /// Kafka's internal topics (`Topic.isInternal`).
    package static func isInternal(_ topic: String) -> Bool {
        ["__consumer_offsets", "__transaction_state", "__share_group_state"].contains(topic)
    }
}
