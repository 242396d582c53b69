// One import for a service: `import Kafka` brings the producer, the consumer, the admin client, their
// configuration, records, errors and serializers. `ByteBuffer` comes with it, for zero-copy keys and values; the rest
// of SwiftNIO does not.
//
// The client modules are re-exported whole. Of the low-level products, KafkaNetwork and KafkaProtocol, only the types
// a service meets in the clients' API are re-exported, one by one: the cluster client, the connections and the
// generated protocol messages stay behind `import KafkaNetwork` / `import KafkaProtocol`. A type added here is public
// API of `Kafka` (see docs/public-api.md).

@_exported public import KafkaAdmin
@_exported public import KafkaConsumer
@_exported public import KafkaProducer

// KafkaNetwork: the client configuration and what a user passes to it, errors, metadata and group types.
@_exported public import struct KafkaNetwork.BrokerAddress
@_exported public import struct KafkaNetwork.BrokerMetadata
@_exported public import struct KafkaNetwork.GroupMetadata
@_exported public import struct KafkaNetwork.KafkaClientConfiguration
@_exported public import struct KafkaNetwork.KafkaConfigurationError
@_exported public import struct KafkaNetwork.KafkaNetworkError
@_exported public import struct KafkaNetwork.KafkaTLSConfiguration
@_exported public import struct KafkaNetwork.KafkaTLSConfigurationError
@_exported public import struct KafkaNetwork.OAuthBearerToken
@_exported public import protocol KafkaNetwork.OAuthBearerTokenProvider
@_exported public import struct KafkaNetwork.OffsetAndMetadata
@_exported public import struct KafkaNetwork.PartitionMetadata
@_exported public import enum KafkaNetwork.PropertiesFile
@_exported public import struct KafkaNetwork.SASLCredentials
@_exported public import enum KafkaNetwork.SASLMechanism
@_exported public import enum KafkaNetwork.SecurityProtocol
@_exported public import struct KafkaNetwork.TopicPartitionKey
// KafkaProtocol: record headers and timestamps, compression, error codes and the errors that carry them.
@_exported public import enum KafkaProtocol.CompressionCodec
@_exported public import struct KafkaProtocol.KafkaAPIKey
@_exported public import struct KafkaProtocol.KafkaError
@_exported public import struct KafkaProtocol.KafkaErrorCode
@_exported public import struct KafkaProtocol.KafkaProtocolError
@_exported public import struct KafkaProtocol.KafkaUUID
@_exported public import struct KafkaProtocol.RecordHeader
@_exported public import struct KafkaProtocol.RecordHeaders
@_exported public import enum KafkaProtocol.RecordTimestampType
@_exported public import struct NIOCore.ByteBuffer
