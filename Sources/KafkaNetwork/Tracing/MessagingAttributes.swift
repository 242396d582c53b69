/// The span attribute names and values of OpenTelemetry's messaging semantic conventions (and their Kafka part) that
/// the producer's and the consumer's spans carry. One list, so that both clients name things alike.
package enum MessagingAttributes {
    /// `messaging.system`: always ``kafka``.
    package static let system = "messaging.system"
    /// The value of `messaging.system`.
    package static let kafka = "kafka"
    /// `messaging.destination.name`: the topic.
    package static let destinationName = "messaging.destination.name"
    /// `messaging.destination.partition.id`: the partition, as a string.
    package static let partitionID = "messaging.destination.partition.id"
    /// `messaging.kafka.offset`: the record's offset.
    package static let offset = "messaging.kafka.offset"
    /// `messaging.kafka.message.key`: the record's key, when it is valid UTF-8.
    package static let messageKey = "messaging.kafka.message.key"
    /// `messaging.kafka.message.tombstone`: `true` for a record with a null value (set only then).
    package static let tombstone = "messaging.kafka.message.tombstone"
    /// `messaging.message.body.size`: the value's size in bytes.
    package static let bodySize = "messaging.message.body.size"
    /// `messaging.consumer.group.name`: the consumer's `group.id`.
    package static let consumerGroup = "messaging.consumer.group.name"
    /// `messaging.client.id`: the client's `client.id`.
    package static let clientID = "messaging.client.id"
    /// `messaging.operation.type`: `send` for the producer, `process` for the consumer.
    package static let operationType = "messaging.operation.type"
    /// `messaging.operation.name`: the system's name of the operation (`send`, `process`).
    package static let operationName = "messaging.operation.name"
    /// `error.type`: a failed operation's class of error (a broker error code's name, or the client error's kind).
    package static let errorType = "error.type"

    /// A record key as the `messaging.kafka.message.key` attribute: its text when the bytes are valid UTF-8, otherwise
    /// `nil` (the convention leaves out keys without a canonical string form).
    package static func keyText(_ bytes: some Collection<UInt8>) -> String? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return String(decoding: bytes, as: UTF8.self)
            case .error: return nil
            }
        }
    }
}
