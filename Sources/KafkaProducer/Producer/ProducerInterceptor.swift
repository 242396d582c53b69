/// Observes (and may change) records on their way into the producer, and sees every outcome — as the Java client's
/// `ProducerInterceptor`.
///
/// ``onSend(_:)`` runs on the caller's task before the partitioner; interceptors run in the order given to the
/// producer, each receiving the previous one's record. ``onAcknowledgement(_:)`` runs on the producer's sender task
/// once per record (success or failure, including records that failed before they were queued), so it must be quick.
/// An interceptor sees serialized records: one interceptor serves every key and value type.
public protocol ProducerInterceptor: Sendable {
    /// Called for every record before it is partitioned; returns the record to send (the same one, or a changed one).
    /// Throwing rejects the record: the send fails with ``KafkaProducerError/Kind/invalidRecord``.
    func onSend(_ record: ProducerRecord) throws -> ProducerRecord

    /// Called once per record with its outcome.
    func onAcknowledgement(_ result: Result<RecordMetadata, KafkaProducerError>)

    /// Called once when the producer closes.
    func close()
}

extension ProducerInterceptor {
    /// Returns the record unchanged.
    public func onSend(_ record: ProducerRecord) throws -> ProducerRecord { record }
    /// Does nothing.
    public func onAcknowledgement(_ result: Result<RecordMetadata, KafkaProducerError>) {}
    /// Does nothing.
    public func close() {}
}
