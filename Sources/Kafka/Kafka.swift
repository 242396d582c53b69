// One import for a service: `import Kafka` brings the producer, the consumer, the admin client, their
// configuration, records, errors and serializers. `ByteBuffer` comes with it, for zero-copy keys and values; the rest
// of SwiftNIO does not.

@_exported public import KafkaAdmin
@_exported public import KafkaConsumer
@_exported public import KafkaNetwork
@_exported public import KafkaProducer
@_exported public import KafkaProtocol

@_exported public import struct NIOCore.ByteBuffer
