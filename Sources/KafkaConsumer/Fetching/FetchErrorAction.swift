import KafkaProtocol

/// What the fetcher does about a partition-level error code in a fetch response (Java's
/// `FetchCollector.handleInitializeErrors`).
enum FetchErrorAction: Sendable, Hashable {
    /// No error: read the records.
    case none
    /// OFFSET_OUT_OF_RANGE: reset the position with `auto.offset.reset` — only when the fetch
    /// offset is still the partition's position (a seek since then makes the error stale).
    case resetPosition
    /// The leader moved or metadata is stale (NOT_LEADER_OR_FOLLOWER, REPLICA_NOT_AVAILABLE,
    /// KAFKA_STORAGE_ERROR, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, OFFSET_NOT_AVAILABLE,
    /// LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, INCONSISTENT_TOPIC_ID,
    /// FETCH_SESSION_TOPIC_ID_ERROR): refresh metadata, fetch again.
    case refreshMetadata(KafkaErrorCode)
    /// Transient (UNKNOWN_SERVER_ERROR, anything retriable not listed): fetch again.
    case retry(KafkaErrorCode)
    /// Hand the error to the application (TOPIC_AUTHORIZATION_FAILED, CORRUPT_MESSAGE, …).
    case fail(ConsumerFetchError)

    /// Classifies `code` for `partition` fetched from `fetchOffset`.
    static func classify(_ code: KafkaErrorCode, partition: TopicPartition, fetchOffset: Int64) -> FetchErrorAction {
        switch code {
        case .none:
            return .none
        case .offsetOutOfRange:
            return .resetPosition
        case .notLeaderOrFollower, .replicaNotAvailable, .kafkaStorageError, .fencedLeaderEpoch, .unknownLeaderEpoch,
            .offsetNotAvailable, .leaderNotAvailable, .unknownTopicOrPartition, .unknownTopicId, .inconsistentTopicId,
            .fetchSessionTopicIdError:
            return .refreshMetadata(code)
        case .unknownServerError:
            return .retry(code)
        case .corruptMessage:
            let error = KafkaProtocolError(.checksumMismatch, "the broker reported CORRUPT_MESSAGE")
            return .fail(
                ConsumerFetchError(
                    .corruptRecord(error), topic: partition.topic, partition: partition.partition,
                    offset: fetchOffset))
        default:
            if code.isRetriable { return .retry(code) }
            let error = KafkaError(code: code, api: .fetch, topic: partition.topic, partition: partition.partition)
            return .fail(
                ConsumerFetchError(
                    .broker(error), topic: partition.topic, partition: partition.partition, offset: fetchOffset))
        }
    }
}
