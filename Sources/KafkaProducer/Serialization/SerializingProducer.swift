public import KafkaProtocol
import NIOCore

/// A typed view of a ``KafkaProducer``: keys and values are serialized on the caller's task (as the Java client's
/// configured serializers), then sent as ``ProducerRecord``s.
///
/// ```swift
/// let orders = producer.serializing(keys: StringSerializer(), values: JSONSerializer<Order>())
/// try await orders.send(topic: "orders", key: order.id, value: order)
/// ```
///
/// Many views may share one producer. A serializer that throws fails the send with
/// ``KafkaProducerError/Kind/invalidRecord`` naming the topic; nothing is queued then.
public struct SerializingProducer<KeySerializer: KafkaSerializer, ValueSerializer: KafkaSerializer>: Sendable {
    /// The producer the records go to.
    public let producer: KafkaProducer
    /// Serializes keys.
    public let keySerializer: KeySerializer
    /// Serializes values.
    public let valueSerializer: ValueSerializer

    /// Creates a typed view of `producer`.
    public init(producer: KafkaProducer, keySerializer: KeySerializer, valueSerializer: ValueSerializer) {
        self.producer = producer
        self.keySerializer = keySerializer
        self.valueSerializer = valueSerializer
    }

    /// Serializes and sends a record, waiting for the acknowledgement (see ``KafkaProducer/send(_:)``).
    ///
    /// - Parameters:
    ///   - topic: the topic.
    ///   - partition: the partition; `nil` lets the partitioner choose.
    ///   - key: the key, `nil` for a null key.
    ///   - value: the value, `nil` for a null value (a tombstone).
    ///   - timestamp: milliseconds since the Unix epoch; `nil` uses the time of the send.
    ///   - headers: the record's headers, in order.
    @discardableResult
    public func send(
        topic: String, partition: Int32? = nil, key: KeySerializer.Value?, value: ValueSerializer.Value?,
        timestamp: Int64? = nil, headers: [RecordHeader] = []
    ) async throws(KafkaProducerError) -> RecordMetadata {
        let record = try serialize(
            topic: topic, partition: partition, key: key, value: value, timestamp: timestamp, headers: headers)
        return try await producer.send(record)
    }

    /// Serializes and hands a record over without waiting; `completion` is called once with the outcome (see
    /// ``KafkaProducer/send(_:completion:)``).
    public func send(
        topic: String, partition: Int32? = nil, key: KeySerializer.Value?, value: ValueSerializer.Value?,
        timestamp: Int64? = nil, headers: [RecordHeader] = [],
        completion: @escaping @Sendable (Result<RecordMetadata, KafkaProducerError>) -> Void
    ) async throws(KafkaProducerError) {
        let record = try serialize(
            topic: topic, partition: partition, key: key, value: value, timestamp: timestamp, headers: headers)
        try await producer.send(record, completion: completion)
    }

    /// The serialized record.
    public func serialize(
        topic: String, partition: Int32? = nil, key: KeySerializer.Value?, value: ValueSerializer.Value?,
        timestamp: Int64? = nil, headers: [RecordHeader] = []
    ) throws(KafkaProducerError) -> ProducerRecord {
        let keyBytes: ByteBuffer?
        let valueBytes: ByteBuffer?
        do {
            keyBytes = try key.map { try keySerializer.serialize($0, topic: topic) }
        } catch {
            throw KafkaProducerError(.invalidRecord, topic: topic, "the key could not be serialized: \(error)")
        }
        do {
            valueBytes = try value.map { try valueSerializer.serialize($0, topic: topic) }
        } catch {
            throw KafkaProducerError(.invalidRecord, topic: topic, "the value could not be serialized: \(error)")
        }
        return ProducerRecord(
            topic: topic, partition: partition, key: keyBytes, value: valueBytes, timestamp: timestamp,
            headers: headers)
    }
}

extension KafkaProducer {
    /// A typed view of this producer that serializes keys and values with the given serializers.
    public func serializing<KeySerializer: KafkaSerializer, ValueSerializer: KafkaSerializer>(
        keys keySerializer: KeySerializer, values valueSerializer: ValueSerializer
    ) -> SerializingProducer<KeySerializer, ValueSerializer> {
        SerializingProducer(producer: self, keySerializer: keySerializer, valueSerializer: valueSerializer)
    }
}
