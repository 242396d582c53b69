public import KafkaProtocol
public import NIOCore
public import Tracing

/// A record with its key and value deserialized, as ``DeserializingConsumer`` returns it.
public struct TypedConsumerRecord<Key, Value> {
    /// The topic the record was fetched from.
    public let topic: String
    /// The partition the record was fetched from.
    public let partition: Int32
    /// The record's offset in its partition.
    public let offset: Int64
    /// The timestamp in milliseconds since the epoch (-1 when the record has none).
    public let timestamp: Int64
    /// The deserialized key.
    public let key: Key
    /// The deserialized value.
    public let value: Value
    /// The headers, as fetched.
    public let headers: RecordHeaders
    /// The trace context the headers carry, with ``KafkaConsumerConfiguration/enableTracing`` (see
    /// ``ConsumerRecord/serviceContext``); `nil` with tracing off.
    public var serviceContext: ServiceContext? = nil
}

extension TypedConsumerRecord: Sendable where Key: Sendable, Value: Sendable {}

/// A key or value that could not be deserialized (Java's `RecordDeserializationException`): the
/// ``KafkaConsumerError/underlying`` error of a ``KafkaConsumerError/Kind/deserialization(_:offset:)``.
public struct RecordDeserializationError: Error, Sendable, CustomStringConvertible {
    /// Which part of the record failed.
    public enum Part: String, Sendable {
        /// The key.
        case key
        /// The value.
        case value
    }

    /// The topic of the record.
    public let topic: String
    /// The partition of the record.
    public let partition: Int32
    /// The offset of the record.
    public let offset: Int64
    /// Whether the key or the value failed.
    public let part: Part
    /// The error the deserializer threw.
    public let underlying: any Error

    /// A message naming the topic, partition and offset.
    public var description: String {
        "cannot deserialize the \(part.rawValue) of the record at \(topic)-\(partition) offset \(offset): \(underlying)"
    }
}

/// A ``KafkaConsumer`` that deserializes keys and values, created by
/// ``KafkaConsumer/deserializing(keys:values:)``.
///
/// The wrapped consumer is still usable for assignment, seeks, commits and ``close()``.
public struct DeserializingConsumer<Key, Value>: Sendable {
    /// The consumer records are polled from.
    public let consumer: KafkaConsumer
    private let keys: @Sendable (ByteBuffer?) throws -> Key
    private let values: @Sendable (ByteBuffer?) throws -> Value

    init(
        consumer: KafkaConsumer, keys: @escaping @Sendable (ByteBuffer?) throws -> Key,
        values: @escaping @Sendable (ByteBuffer?) throws -> Value
    ) {
        self.consumer = consumer
        self.keys = keys
        self.values = values
    }

    /// Polls the consumer (see ``KafkaConsumer/poll(timeout:)``) and deserializes each record.
    ///
    /// Nothing is skipped silently (as in the Java consumer): when a record cannot be deserialized,
    /// the records before it are returned and every partition is sought back to its first record
    /// not returned; the next poll then throws a ``KafkaConsumerError`` of kind
    /// ``KafkaConsumerError/Kind/deserialization(_:offset:)`` naming the bad record's topic, partition and
    /// offset, whose ``KafkaConsumerError/underlying`` is a ``RecordDeserializationError`` (key or value, and the
    /// deserializer's own error); the position stays at that record. To go on, seek its partition to
    /// `offset + 1` (or handle it otherwise).
    ///
    /// - Throws: ``KafkaConsumerError/Kind/deserialization(_:offset:)``, and whatever
    ///   ``KafkaConsumer/poll(timeout:)`` throws.
    public func poll(timeout: Duration) async throws(KafkaConsumerError) -> [TypedConsumerRecord<Key, Value>] {
        let records = try await consumer.poll(timeout: timeout)
        var typed: [TypedConsumerRecord<Key, Value>] = []
        typed.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            let key: Key
            let value: Value
            do {
                key = try keys(record.key)
                value = try values(record.value)
            } catch {
                let part: RecordDeserializationError.Part
                do {
                    _ = try keys(record.key)
                    part = .value
                } catch {
                    part = .key
                }
                // Give back what was not delivered: each partition restarts at its first record not returned.
                var rewind: [TopicPartition: Int64] = [:]
                for pending in records[index...] {
                    let partition = TopicPartition(topic: pending.topic, partition: pending.partition)
                    if rewind[partition] == nil { rewind[partition] = pending.offset }
                }
                for (partition, offset) in rewind { try? consumer.seek(partition, to: offset) }
                if typed.isEmpty { throw failure(record, part, error) }
                return typed
            }
            typed.append(
                TypedConsumerRecord(
                    topic: record.topic, partition: record.partition, offset: record.offset,
                    timestamp: record.timestamp, key: key, value: value, headers: record.headers,
                    serviceContext: record.serviceContext))
        }
        return typed
    }

    /// Closes the wrapped consumer.
    public func close() async {
        await consumer.close()
    }

    private func failure(
        _ record: ConsumerRecord, _ part: RecordDeserializationError.Part, _ error: any Error
    ) -> KafkaConsumerError {
        KafkaConsumerError(
            .deserialization(TopicPartition(topic: record.topic, partition: record.partition), offset: record.offset),
            underlying: RecordDeserializationError(
                topic: record.topic, partition: record.partition, offset: record.offset, part: part,
                underlying: error))
    }
}

extension KafkaConsumer {
    /// Wraps the consumer in a ``DeserializingConsumer`` that turns keys and values into `Key` and
    /// `Value` with the given closures (a `nil` buffer is a null key or value).
    ///
    /// - Parameters:
    ///   - keys: deserializes a key.
    ///   - values: deserializes a value.
    public func deserializing<Key, Value>(
        keys: @escaping @Sendable (ByteBuffer?) throws -> Key,
        values: @escaping @Sendable (ByteBuffer?) throws -> Value
    ) -> DeserializingConsumer<Key, Value> {
        DeserializingConsumer(consumer: self, keys: keys, values: values)
    }
}
