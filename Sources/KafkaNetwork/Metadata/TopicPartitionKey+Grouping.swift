extension Array where Element == TopicPartitionKey {
    /// Groups partitions by topic, as requests carry them: topics sorted byte-wise (UTF-8, so the order is total and
    /// stable), partitions sorted and de-duplicated.
    package func groupedByTopic() -> [(topic: String, partitions: [Int32])] {
        var byTopic: [String: Set<Int32>] = [:]
        for partition in self { byTopic[partition.topic, default: []].insert(partition.partition) }
        return byTopic.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map {
            ($0, (byTopic[$0] ?? []).sorted())
        }
    }
}
