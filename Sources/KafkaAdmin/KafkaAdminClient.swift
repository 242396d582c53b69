public import KafkaNetwork
import KafkaProtocol
public import Logging
public import NIOCore
public import NIOPosix

/// A Kafka admin client, as the Java client's `Admin`: topics and partitions, configs, the cluster,
/// consumer groups and their committed offsets, log offsets and record deletion.
///
/// ```swift
/// let admin = try KafkaAdminClient(properties: ["bootstrap.servers": "localhost:9092"])
/// let results = try await admin.createTopics([NewTopic(name: "orders", partitions: 6, replicationFactor: 3)])
/// await admin.close()
/// ```
///
/// Operations on several resources return a result per resource: one failed topic does not hide
/// the others. Requests go to the controller or the right broker as the API requires; retriable
/// errors are retried for up to `request.timeout.ms` (`default.api.timeout.ms` in Java).
public final class KafkaAdminClient: Sendable {
    /// The cluster client (metadata, connections) the admin client talks through.
    package let cluster: KafkaClusterClient
    /// The client settings.
    public let configuration: KafkaClientConfiguration
    let logger: Logger
    /// Fired by ``close()``; ``run()`` waits on it.
    let closed = CloseSignal()

    /// Creates an admin client from Java-style client properties (`bootstrap.servers`, `client.id`,
    /// `request.timeout.ms`, TLS and SASL settings, …). No connection is made until the first request.
    ///
    /// - Throws: `KafkaConfigurationError` naming a bad property.
    public convenience init(
        properties: [String: String], eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "swift-kafka.admin")
    ) throws {
        try self.init(
            configuration: KafkaClientConfiguration(properties: properties), eventLoopGroup: eventLoopGroup,
            logger: logger)
    }

    /// Creates an admin client with `configuration`.
    public init(
        configuration: KafkaClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "swift-kafka.admin")
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.cluster = try KafkaClusterClient(
            configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Closes every connection (and ends ``run()``).
    public func close() async {
        closed.fire()
        await cluster.shutdown()
    }
}
