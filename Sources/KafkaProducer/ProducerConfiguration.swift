public import KafkaNetwork
public import KafkaProtocol
public import Tracing

/// Producer settings, with the Java producer's defaults, on top of the shared client settings.
///
/// Accepts Java property names (`acks`, `linger.ms`, `batch.size`, …) through
/// ``init(properties:)``; names that are neither producer nor client settings are errors naming
/// them.
public struct KafkaProducerConfiguration: Sendable {
    /// How many acknowledgements the leader waits for before answering a produce request.
    public enum Acks: Sendable, Hashable {
        /// `acks=0`: no response at all.
        case none
        /// `acks=1`: the leader's own write.
        case leader
        /// `acks=all` (or `-1`): every in-sync replica.
        case all

        /// The value sent in ProduceRequest.
        package var wireValue: Int16 {
            switch self {
            case .none: 0
            case .leader: 1
            case .all: -1
            }
        }
    }

    /// Connection, metadata and retry settings shared with consumers and admin clients.
    public var client: KafkaClientConfiguration
    /// `acks` (default `all`).
    public var acks: Acks = .all
    /// `batch.size` in bytes (default 16384): the batch a lightly loaded partition sends after `linger.ms`.
    public var batchSize: Int = 16_384
    /// `batch.max.size` in bytes (default 1,000,000, librdkafka's `batch.size` and below every Kafka version's default `message.max.bytes`; never more than `max.request.size`): the largest batch. A
    /// partition whose records wait behind batches not yet sent fills batches of doubling size, from `batch.size` up
    /// to this, so a backlog costs the broker fewer requests (the idea of KIP-782). Set it to `batch.size` to keep
    /// every batch at `batch.size`, as the Java client does.
    public var maxBatchSize: Int = 1_000_000
    /// `linger.ms` (default 5 ms, as in Kafka 4.0, KIP-1030).
    public var linger: Duration = .milliseconds(5)
    /// `buffer.memory` in bytes (default 32 MiB).
    public var bufferMemory: Int = 33_554_432
    /// `max.block.ms`: how long `send` may wait for metadata or buffer space (default 60 s).
    public var maxBlock: Duration = .seconds(60)
    /// `max.request.size` in bytes (default 1 MiB).
    public var maxRequestSize: Int = 1_048_576
    /// `delivery.timeout.ms`: the upper bound on reporting success or failure (default 120 s).
    public var deliveryTimeout: Duration = .seconds(120)
    /// `compression.type` (default none).
    public var compression: CompressionCodec = .none
    /// `compression.gzip.level` / `compression.lz4.level` / `compression.zstd.level` (KIP-390);
    /// nil = the codec's default.
    public var compressionLevel: Int?
    /// `enable.idempotence` (default true, as in current Kafka).
    public var enableIdempotence: Bool = true
    /// `partitioner.ignore.keys` (default false).
    public var partitionerIgnoreKeys: Bool = false
    /// `partitioner.adaptive.partitioning.enable` (default true).
    public var adaptivePartitioning: Bool = true
    /// `transactional.id` (default none).
    public var transactionalID: String?
    /// `transaction.timeout.ms` (default 60 s).
    public var transactionTimeout: Duration = .seconds(60)
    /// `tracing.enable` (this package's property, not Java's; default false): a span per record sent, whose context
    /// travels in the record's headers (the `Kafka` module's Tracing article has the details). Off, the send path costs
    /// nothing more.
    public var enableTracing: Bool = false
    /// The tracer of the spans, with ``enableTracing``, and whose propagation writes their context into headers;
    /// `nil` (the default) uses swift-distributed-tracing's global `InstrumentationSystem.tracer` as it is when the
    /// producer is created.
    public var tracer: (any Tracer)?

    /// Whether `enable.idempotence` was set explicitly (then conflicts are errors, as in Java;
    /// otherwise conflicting settings turn idempotence off).
    package private(set) var idempotenceExplicitlySet = false

    /// Creates a configuration with the Java defaults.
    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    /// Builds a configuration from Java-style properties (producer and client names).
    public init(properties: [String: String]) throws(KafkaConfigurationError) {
        var clientProperties: [String: String] = [:]
        var producerProperties: [(String, String)] = []
        for (name, value) in properties {
            if Self.knownProperties.contains(name) {
                producerProperties.append((name, value))
            } else {
                clientProperties[name] = value
            }
        }
        self.init(client: try KafkaClientConfiguration(properties: clientProperties))
        for (name, value) in producerProperties.sorted(by: { $0.0 < $1.0 }) {
            _ = try apply(property: name, value: value)
        }
    }

    /// The producer-level property names.
    public static let knownProperties: Set<String> = [
        "acks", "batch.size", "batch.max.size", "linger.ms", "buffer.memory", "max.block.ms", "max.request.size",
        "delivery.timeout.ms", "compression.type", "compression.gzip.level", "compression.lz4.level",
        "compression.zstd.level", "enable.idempotence", "partitioner.ignore.keys",
        "partitioner.adaptive.partitioning.enable", "transactional.id", "transaction.timeout.ms",
        "key.serializer", "value.serializer", "tracing.enable",
    ]

    /// Applies one property: producer names here, anything else through the client settings.
    /// Returns false when neither knows the name.
    public mutating func apply(property name: String, value: String) throws(KafkaConfigurationError) -> Bool {
        let text = ConfigurationValue.trimmed(value)
        switch name {
        case "acks":
            switch text.lowercased() {
            case "0": acks = .none
            case "1": acks = .leader
            case "all", "-1": acks = .all
            default: throw ConfigurationValue.invalid(value, for: name, "expected 0, 1, all or -1")
            }
        case "batch.size": batchSize = try ConfigurationValue.integer(text, for: name, in: 0...Int(Int32.max))
        case "batch.max.size":
            maxBatchSize = try ConfigurationValue.integer(text, for: name, in: 0...Int(Int32.max))
        case "linger.ms": linger = try ConfigurationValue.milliseconds(text, for: name)
        case "buffer.memory": bufferMemory = try ConfigurationValue.integer(text, for: name, in: 1...Int.max)
        case "max.block.ms": maxBlock = try ConfigurationValue.milliseconds(text, for: name)
        case "max.request.size":
            maxRequestSize = try ConfigurationValue.integer(text, for: name, in: 1...Int(Int32.max))
        case "delivery.timeout.ms": deliveryTimeout = try ConfigurationValue.milliseconds(text, for: name)
        case "compression.type":
            guard let codec = CompressionCodec.allCases.first(where: { $0.description == text.lowercased() }) else {
                throw ConfigurationValue.invalid(value, for: name, "expected none, gzip, snappy, lz4 or zstd")
            }
            compression = codec
        case "compression.gzip.level", "compression.lz4.level", "compression.zstd.level":
            compressionLevel = try ConfigurationValue.integer(text, for: name, in: -131_072...22)
        case "enable.idempotence":
            enableIdempotence = try ConfigurationValue.boolean(text, for: name)
            idempotenceExplicitlySet = true
        case "partitioner.ignore.keys": partitionerIgnoreKeys = try ConfigurationValue.boolean(text, for: name)
        case "partitioner.adaptive.partitioning.enable":
            adaptivePartitioning = try ConfigurationValue.boolean(text, for: name)
        case "transactional.id": transactionalID = text.isEmpty ? nil : text
        case "transaction.timeout.ms": transactionTimeout = try ConfigurationValue.milliseconds(text, for: name)
        case "tracing.enable": enableTracing = try ConfigurationValue.boolean(text, for: name)
        case "key.serializer", "value.serializer":
            // Java class names have no meaning here; serializers are Swift values given to the producer.
            break
        default:
            return try client.apply(property: name, value: value)
        }
        return true
    }

    /// Whether the producer will be idempotent: `enable.idempotence` unless it was left at its
    /// default and a conflicting setting (acks other than all, more than 5 in flight, no retries)
    /// turns it off, as the Java producer does since Kafka 3.2.
    public var isIdempotent: Bool {
        guard enableIdempotence else { return false }
        if idempotenceExplicitlySet || transactionalID != nil { return true }
        return idempotenceConflict == nil
    }

    private var idempotenceConflict: String? {
        if acks != .all { return "acks must be all" }
        if client.maxInFlightRequestsPerConnection > 5 { return "max.in.flight.requests.per.connection must be ≤ 5" }
        if client.retries == 0 { return "retries must be > 0" }
        return nil
    }

    /// Checks cross-setting consistency, with errors naming the properties.
    public func validate() throws(KafkaConfigurationError) {
        try client.validate()
        if enableIdempotence, idempotenceExplicitlySet || transactionalID != nil, let conflict = idempotenceConflict {
            throw KafkaConfigurationError(
                property: "enable.idempotence", message: "enable.idempotence=true needs: \(conflict)")
        }
        if transactionalID != nil, !enableIdempotence {
            throw KafkaConfigurationError(
                property: "transactional.id", message: "transactional.id needs enable.idempotence=true")
        }
        if deliveryTimeout < linger + client.requestTimeout {
            throw KafkaConfigurationError(
                property: "delivery.timeout.ms",
                message: "delivery.timeout.ms (\(deliveryTimeout)) must be at least linger.ms + request.timeout.ms "
                    + "(\(linger + client.requestTimeout))")
        }
        if maxRequestSize > bufferMemory {
            throw KafkaConfigurationError(
                property: "max.request.size",
                message: "max.request.size (\(maxRequestSize)) must not exceed buffer.memory (\(bufferMemory))")
        }
    }
}
