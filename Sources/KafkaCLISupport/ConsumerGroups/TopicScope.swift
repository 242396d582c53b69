import ArgumentParser

/// A `--topic` argument: `topic` (every partition) or `topic:0,1,2`.
package struct TopicScope: Hashable, Sendable {
    package var topic: String
    /// The partitions named; `nil` for every partition of the topic.
    package var partitions: [Int32]?

    package init(topic: String, partitions: [Int32]?) {
        self.topic = topic
        self.partitions = partitions
    }

    package static func parse(_ argument: String) throws -> TopicScope {
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
