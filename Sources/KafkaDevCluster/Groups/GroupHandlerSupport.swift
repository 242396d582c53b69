import KafkaProtocol

extension ClusterState {
    /// Whether the broker of `context` coordinates `groupID`; handlers answer NOT_COORDINATOR
    /// otherwise.
    func coordinates(group groupID: String, context: RequestContext) -> Bool {
        coordinator(type: 0, key: groupID) == context.brokerID
    }

    /// The error of one partition of an offset commit (OffsetCommit, TxnOffsetCommit): UNKNOWN_TOPIC_OR_PARTITION
    /// for a partition that does not exist, else the whole commit's `groupError`, else OFFSET_METADATA_TOO_LARGE
    /// for metadata over `offset.metadata.max.bytes`; `.none` means store it.
    func offsetCommitError(
        topic: String, partition: Int32, metadata: String?, groupError: KafkaErrorCode
    ) -> KafkaErrorCode {
        if self.partition(topic, partition) == nil { return .unknownTopicOrPartition }
        if groupError == .none && (metadata?.utf8.count ?? 0) > groups.config.maxOffsetMetadataBytes {
            return .offsetMetadataTooLarge
        }
        return groupError
    }
}
