import ArgumentParser

/// Which partitions `kafka-get-offsets` reports: either `--topic` (a whole-name regular expression, every topic when
/// absent) with `--partitions` (a comma-separated list of ids, every partition when absent), or `--topic-partitions`,
/// a comma-separated list of rules `TOPIC_REGEX[:PARTITIONS]` where PARTITIONS is `N`, `N-M` (M exclusive), `N-` or
/// `-M`, and an empty topic part matches every topic. A partition is reported when any rule allows it.
package struct TopicPartitionFilter {
    /// One rule: a topic expression and a half-open range of partition ids (or a set of ids).
    struct Rule {
        var topics: TopicFilter
        var partitions: Partitions
    }

    enum Partitions: Equatable {
        /// Every id in `lower..<upper`.
        case range(lower: Int32, upper: Int32)
        /// The listed ids; every partition when empty.
        case set(Set<Int32>)

        func allows(_ partition: Int32) -> Bool {
            switch self {
            case .range(let lower, let upper): partition >= lower && partition < upper
            case .set(let ids): ids.isEmpty || ids.contains(partition)
            }
        }
    }

    let rules: [Rule]

    /// The filter of `--topic` and `--partitions`.
    ///
    /// - Throws: `ValidationError` for an invalid expression or a partition id that is not a number.
    package init(topic: String?, partitions: String?) throws {
        var ids = Set<Int32>()
        if let partitions, !partitions.isEmpty {
            for part in partitions.split(separator: ",", omittingEmptySubsequences: false) {
                guard let id = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError(
                        "--partitions expects a comma separated list of numeric partition ids, but received: "
                            + partitions)
                }
                ids.insert(id)
            }
        }
        rules = [Rule(topics: try TopicFilter(topic ?? ".*"), partitions: .set(ids))]
    }

    /// The filter of `--topic-partitions`.
    ///
    /// - Throws: `ValidationError` naming the first rule that does not parse.
    package init(topicPartitions: String) throws {
        rules = try topicPartitions.split(separator: ",", omittingEmptySubsequences: false).map { spec in
            try Self.rule(String(spec))
        }
    }

    /// Whether any rule allows some partition of `topic`.
    package func allowsTopic(_ topic: String) -> Bool {
        rules.contains { $0.topics.matches(topic) }
    }

    /// Whether any rule allows `partition` of `topic`.
    package func allows(topic: String, partition: Int32) -> Bool {
        rules.contains { $0.topics.matches(topic) && $0.partitions.allows(partition) }
    }

    private static func rule(_ spec: String) throws -> Rule {
        let invalid = ValidationError("Invalid rule specification: \(spec)")
        let topicPart: Substring
        let partitionPart: Substring?
        if let colon = spec.firstIndex(of: ":") {
            topicPart = spec[..<colon]
            partitionPart = spec[spec.index(after: colon)...]
        } else {
            topicPart = spec[...]
            partitionPart = nil
        }
        let topics = try TopicFilter(topicPart.isEmpty ? ".*" : String(topicPart))
        guard let partitionPart else { return Rule(topics: topics, partitions: .range(lower: 0, upper: .max)) }
        func number(_ text: Substring) throws -> Int32? {
            if text.isEmpty { return nil }
            guard text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let value = Int32(text) else {
                throw invalid
            }
            return value
        }
        if let dash = partitionPart.firstIndex(of: "-") {
            let lower = try number(partitionPart[..<dash]) ?? 0
            let upper = try number(partitionPart[partitionPart.index(after: dash)...]) ?? .max
            return Rule(topics: topics, partitions: .range(lower: lower, upper: upper))
        }
        guard let single = try number(partitionPart) else {
            return Rule(topics: topics, partitions: .range(lower: 0, upper: .max))
        }
        return Rule(topics: topics, partitions: .set([single]))
    }
}
