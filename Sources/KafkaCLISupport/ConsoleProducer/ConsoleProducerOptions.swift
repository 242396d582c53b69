package import ArgumentParser
import KafkaNetwork

/// The options of `kafka-console-producer` (Kafka's `ConsoleProducer`), their validation, and the producer and
/// line reader properties they make.
package struct ConsoleProducerOptions: ParsableArguments {
    package init() {}

    @Option(help: "REQUIRED: The topic to produce messages to.")
    package var topic: String

    @Flag(help: "Send each record synchronously, one at a time as they arrive.")
    package var sync = false

    @Option(
        name: .customLong("compression-codec"), defaultAsFlag: "gzip", parsing: .next,
        help: ArgumentHelp(
            "The compression codec: none, gzip, snappy, lz4 or zstd; without a value gzip.",
            valueName: "codec"))
    package var compressionCodec: String? = nil

    @Option(
        name: .customLong("batch-size"),
        help: ArgumentHelp("The batch size in bytes (batch.size; default 16384).", valueName: "size"))
    package var batchSize: Int?

    @Option(
        name: .customLong("max-partition-memory-bytes"),
        help: ArgumentHelp("Also batch.size; overrides --batch-size (default 16384).", valueName: "bytes"))
    package var maxPartitionMemoryBytes: Int?

    @Option(
        name: .customLong("message-send-max-retries"),
        help: ArgumentHelp("The producer's retries (default 3).", valueName: "n"))
    package var messageSendMaxRetries: Int?

    @Option(
        name: .customLong("retry-backoff-ms"),
        help: ArgumentHelp("The producer's retry.backoff.ms (default 100).", valueName: "ms"))
    package var retryBackoffMs: Int64?

    @Option(
        help: ArgumentHelp(
            "How long a record may wait for its batch to fill, in ms (linger.ms; default 1000).",
            valueName: "timeout_ms"))
    package var timeout: Int64?

    @Option(
        name: .customLong("request-required-acks"),
        help: ArgumentHelp("The producer's acks: 0, 1, all or -1 (default -1).", valueName: "acks"))
    package var requestRequiredAcks: String?

    @Option(
        name: .customLong("request-timeout-ms"),
        help: ArgumentHelp("The producer's request.timeout.ms (default 1500).", valueName: "ms"))
    package var requestTimeoutMs: Int64?

    @Option(
        name: .customLong("metadata-expiry-ms"),
        help: ArgumentHelp("The producer's metadata.max.age.ms (default 300000).", valueName: "ms"))
    package var metadataExpiryMs: Int64?

    @Option(
        name: .customLong("max-block-ms"),
        help: ArgumentHelp("How long a send may block for metadata or memory (default 60000).", valueName: "ms"))
    package var maxBlockMs: Int64?

    @Option(
        name: .customLong("max-memory-bytes"),
        help: ArgumentHelp("The producer's buffer.memory (default 33554432).", valueName: "bytes"))
    package var maxMemoryBytes: Int?

    @Option(
        name: .customLong("property"),
        help: ArgumentHelp("A line reader property key=value (repeatable; see below).", valueName: "prop"))
    package var property: [String] = []

    @Option(
        name: .customLong("reader-config"),
        help: ArgumentHelp("A properties file for the line reader; --property takes precedence.", valueName: "file"))
    package var readerConfig: String?

    @Option(
        name: .customLong("producer-property"),
        help: ArgumentHelp("A producer property key=value (repeatable).", valueName: "producer_prop"))
    package var producerProperty: [String] = []

    @Option(
        name: .customLong("producer.config"),
        help: ArgumentHelp(
            "A producer properties file; --producer-property takes precedence.", valueName: "file"))
    package var producerConfig: String?

    package func validate() throws {
        if topic.isEmpty { throw ValidationError("--topic must not be empty") }
        if let compressionCodec,
            !["none", "gzip", "snappy", "lz4", "zstd"].contains(compressionCodec.lowercased())
        {
            throw ValidationError(
                "--compression-codec must be none, gzip, snappy, lz4 or zstd, not '\(compressionCodec)'")
        }
        _ = try KafkaTool.keyValues(property, option: "--property")
        _ = try KafkaTool.keyValues(producerProperty, option: "--producer-property")
    }

    /// The producer properties: --producer.config, then --producer-property, then the options (an option
    /// given on the command line wins; an option left out gives Kafka's console default unless the
    /// property was set), then --command-config and --bootstrap-server.
    package func producerProperties(connection: ConnectionOptions) throws -> [String: String] {
        var properties: [String: String] = [:]
        if let producerConfig { properties = try PropertiesFile.load(path: producerConfig) }
        properties.merge(try KafkaTool.keyValues(producerProperty, option: "--producer-property")) { $1 }
        func merge(_ name: String, _ value: (any CustomStringConvertible)?, default fallback: String) {
            if let value {
                properties[name] = value.description
            } else if properties[name] == nil {
                properties[name] = fallback
            }
        }
        merge("compression.type", compressionCodec?.lowercased(), default: "none")
        merge("linger.ms", timeout, default: "1000")
        merge("acks", requestRequiredAcks, default: "-1")
        merge("request.timeout.ms", requestTimeoutMs, default: "1500")
        merge("retries", messageSendMaxRetries, default: "3")
        merge("retry.backoff.ms", retryBackoffMs, default: "100")
        merge("buffer.memory", maxMemoryBytes, default: "33554432")
        merge("batch.size", maxPartitionMemoryBytes ?? batchSize, default: "16384")
        merge("metadata.max.age.ms", metadataExpiryMs, default: "300000")
        merge("max.block.ms", maxBlockMs, default: "60000")
        if properties["client.id"] == nil { properties["client.id"] = "console-producer" }
        return try connection.clientProperties(extra: properties)
    }

    /// The line reader's properties: --reader-config, then --property.
    package func readerProperties() throws -> [String: String] {
        var properties: [String: String] = [:]
        if let readerConfig { properties = try PropertiesFile.load(path: readerConfig) }
        properties.merge(try KafkaTool.keyValues(property, option: "--property")) { $1 }
        return properties
    }
}
