public import KafkaProtocol

/// A fetch problem the application must see: the records of a partition could not be read, or the
/// broker refused the fetch for a reason retrying does not fix. ``KafkaConsumer/poll(timeout:)`` throws it as
/// ``KafkaConsumerError/Kind/fetch(_:)``.
///
/// The position of the partition is left at ``offset``; the next poll meets the same error unless
/// the application seeks past it.
public struct ConsumerFetchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The fetched bytes are malformed, fail their checksum or do not decompress.
        case corruptRecord(KafkaProtocolError)
        /// Not even one batch fit in `max.partition.fetch.bytes` (Java's `RecordTooLargeException`;
        /// brokers since 0.10.1 always return at least one whole batch, so this means an old broker
        /// or a misbehaving one). `requiredBytes` is the batch's size, when it arrived.
        case recordTooLarge(requiredBytes: Int?)
        /// The broker answered with an error the consumer does not handle itself (authorization,
        /// an unexpected code).
        case broker(KafkaError)
        /// The position is out of range (or there is no committed offset) and `auto.offset.reset`
        /// is `none` (Java's `OffsetOutOfRangeException` / `NoOffsetForPartitionException`).
        case noResetPolicy
    }

    /// What went wrong.
    public var kind: Kind
    /// The topic concerned.
    public var topic: String
    /// The partition concerned.
    public var partition: Int32
    /// The offset the consumer was reading (its position), when known.
    public var offset: Int64?

    /// Creates an error.
    public init(_ kind: Kind, topic: String, partition: Int32, offset: Int64?) {
        self.kind = kind
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String {
        let place = "\(topic)-\(partition)" + (offset.map { " at offset \($0)" } ?? "")
        switch kind {
        case .corruptRecord(let error):
            return "Corrupt records in \(place): \(error)"
        case .recordTooLarge(let required):
            let size = required.map { " (a batch of \($0) bytes)" } ?? ""
            return
                "Record batch in \(place) is larger than the fetch size\(size) and cannot be returned; raise max.partition.fetch.bytes"
        case .broker(let error):
            return "Fetch of \(place) failed: \(error)"
        case .noResetPolicy:
            return "No valid offset for \(place) and auto.offset.reset is none"
        }
    }
}
