package import ArgumentParser
import KafkaNetwork

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The options of `kafka-consumer-perf-test` (Kafka's `ConsumerPerfOptions`), their validation and the consumer
/// properties they make.
package struct ConsumerPerfOptions: ParsableArguments {
    package init() {}

    @Option(
        name: .customLong("bootstrap-server"),
        help: ArgumentHelp("The server(s) to connect to (bootstrap.servers).", valueName: "server to connect to"))
    package var bootstrapServer: String?

    @Option(name: .customLong("topic"), help: ArgumentHelp("The topic to consume from.", valueName: "topic"))
    package var topic: String

    @Option(
        name: .customLong("messages"), help: ArgumentHelp("The number of messages to consume.", valueName: "count"))
    package var messages: Int

    @Option(name: .customLong("group"), help: ArgumentHelp("The group id to consume on.", valueName: "gid"))
    package var group: String = "perf-consumer-\(Int.random(in: 0..<100_000))"

    @Option(
        name: .customLong("fetch-size"),
        help: ArgumentHelp(
            "The amount of data to fetch in a single request (max.partition.fetch.bytes).", valueName: "size"))
    package var fetchSize: Int = 1_048_576

    @Flag(
        name: .customLong("from-latest"),
        help: ArgumentHelp(
            "If the consumer does not already have an established offset to consume from, start with the latest "
                + "message present in the log rather than the earliest message."))
    package var fromLatest: Bool = false

    @Option(
        name: .customLong("socket-buffer-size"),
        help: ArgumentHelp("The size of the tcp RECV size (ignored by this client).", valueName: "size"))
    package var socketBufferSize: Int = 2_097_152

    @Option(
        name: .customLong("consumer.config"),
        help: ArgumentHelp("Consumer config properties file.", valueName: "config file"))
    package var consumerConfig: String?

    @Flag(name: .customLong("print-metrics"), help: "Print out a short metrics summary.")
    package var printMetrics: Bool = false

    @Flag(
        name: .customLong("show-detailed-stats"),
        help: "If set, stats are reported for each reporting interval as configured by reporting-interval.")
    package var showDetailedStats: Bool = false

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp("The maximum allowed time in milliseconds between returned records.", valueName: "ms"))
    package var timeout: Int = 10_000

    @Option(
        name: .customLong("reporting-interval"),
        help: ArgumentHelp("Interval in milliseconds at which to print progress info.", valueName: "interval_ms"))
    package var reportingInterval: Int = 5_000

    @Option(
        name: .customLong("date-format"),
        help: ArgumentHelp(
            "The date format to use for formatting the time field (java.text.SimpleDateFormat letters).",
            valueName: "date format"))
    package var dateFormat: String = "yyyy-MM-dd HH:mm:ss:SSS"

    @Flag(name: .customLong("hide-header"), help: "If set, skips printing the header for the stats.")
    package var hideHeader: Bool = false

    @Option(name: .customLong("threads"), help: ArgumentHelp("Deprecated and ignored.", visibility: .hidden))
    package var threads: Int?

    @Option(name: .customLong("num-fetch-threads"), help: ArgumentHelp("Deprecated and ignored.", visibility: .hidden))
    package var numFetchThreads: Int?

    package func validate() throws {
        guard messages > 0 else { throw ValidationError("--messages must be positive, not \(messages).") }
        guard timeout >= 0 else { throw ValidationError("--timeout must not be negative, not \(timeout).") }
        guard reportingInterval > 0 else { throw ValidationError("Reporting interval must be greater than 0.") }
        guard fetchSize >= 0 else { throw ValidationError("--fetch-size must not be negative, not \(fetchSize).") }
        do {
            _ = try DateFormat(pattern: dateFormat)
        } catch {
            throw ValidationError("--date-format: \(error)")
        }
    }

    /// --consumer.config, then the tool's settings, as Kafka's `ConsumerPerfOptions.props()`.
    package func resolveProperties() throws -> [String: String] {
        var properties: [String: String] = [:]
        if let consumerConfig {
            properties = try PropertiesFile.load(path: consumerConfig)
        }
        if let bootstrapServer {
            properties["bootstrap.servers"] = bootstrapServer
        }
        if properties["bootstrap.servers", default: ""].isEmpty {
            guard let value = getenv("KAFKA_BOOTSTRAP_SERVERS").map({ String(cString: $0) }), !value.isEmpty else {
                throw ToolError(
                    "no bootstrap servers: use --bootstrap-server, bootstrap.servers in --consumer.config "
                        + "or KAFKA_BOOTSTRAP_SERVERS")
            }
            properties["bootstrap.servers"] = value
        }
        properties["group.id"] = group
        properties["receive.buffer.bytes"] = String(socketBufferSize)
        properties["max.partition.fetch.bytes"] = String(fetchSize)
        properties["auto.offset.reset"] = fromLatest ? "latest" : "earliest"
        properties["check.crcs"] = "false"
        if properties["client.id"] == nil { properties["client.id"] = "perf-consumer-client" }
        return properties
    }
}
