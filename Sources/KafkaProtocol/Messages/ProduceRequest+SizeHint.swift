extension ProduceRequest {
    /// The record batches' bytes plus a generous allowance for the names, lengths and fixed fields around them: a
    /// produce request is almost all record batches (tens of kilobytes to megabytes), and a frame grown by doubling
    /// from a small start copied them several times.
    public var encodedSizeHint: Int {
        var size = 32 + (transactionalId?.utf8.count ?? 0)
        for topic in topicData {
            size += 16 + topic.name.utf8.count
            for partition in topic.partitionData {
                size += 24 + (partition.records?.readableBytes ?? 0)
            }
        }
        return size
    }
}
