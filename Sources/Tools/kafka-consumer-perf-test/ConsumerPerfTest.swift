import ArgumentParser
import KafkaCLISupport
import KafkaConsumer
import KafkaNetwork
import NIOCore

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `kafka-consumer-perf-test`: this project's version of Apache Kafka's `bin/kafka-consumer-perf-test.sh`
/// (`org.apache.kafka.tools.ConsumerPerformance`), with the same flags and output.
///
/// ```
/// kafka-consumer-perf-test --bootstrap-server localhost:9092 --topic perf --messages 1000000
/// ```
@main
struct ConsumerPerfTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-consumer-perf-test",
        abstract: "Measure consumer throughput (as Apache Kafka's kafka-consumer-perf-test.sh).",
        discussion: """
            Reads --messages records of --topic and prints, in Apache Kafka's format, one line: start and \
            end time, MB (2^20 bytes of keys and values) and records consumed, their rates, the time taken \
            to join the topic (rebalance.time.ms) and the rates over the rest (fetch.time.ms). With \
            --show-detailed-stats it prints a line per --reporting-interval instead.

            As Kafka's tool, it joins the consumer group --group with the topic: rebalance.time.ms is the time \
            from subscribing until the group assigned partitions. Committed offsets of the group are honoured \
            and, with enable.auto.commit (the default), positions are committed.

            Consumer settings use the Java property names: --consumer.config FILE, then the tool's own \
            (group.id, max.partition.fetch.bytes from --fetch-size, auto.offset.reset, check.crcs=false, \
            client.id=perf-consumer-client unless set). bootstrap.servers comes from --bootstrap-server, \
            else the file, else the environment variable KAFKA_BOOTSTRAP_SERVERS.

            Differences from Kafka: it stops after exactly --messages records (Kafka counts the whole last \
            poll); when --timeout passes without a record before that, it prints the summary, names how \
            many records were consumed on standard error and exits 1 (Kafka warns and exits 0). \
            --date-format takes the common java.text.SimpleDateFormat letters (y M d H h k K m s S a E D \
            Z z and 'quoted text'), in local time. --print-metrics prints a short table of this tool's own \
            counters and the fetch settings, not the Java client's metrics. --socket-buffer-size sets \
            receive.buffer.bytes, which this client ignores; --threads and --num-fetch-threads are \
            accepted and ignored, as in Kafka. Bad arguments exit 2, failures 1.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    @Option(
        name: .customLong("bootstrap-server"),
        help: ArgumentHelp("The server(s) to connect to (bootstrap.servers).", valueName: "server to connect to"))
    var bootstrapServer: String?

    @Option(name: .customLong("topic"), help: ArgumentHelp("The topic to consume from.", valueName: "topic"))
    var topic: String

    @Option(
        name: .customLong("messages"), help: ArgumentHelp("The number of messages to consume.", valueName: "count"))
    var messages: Int

    @Option(name: .customLong("group"), help: ArgumentHelp("The group id to consume on.", valueName: "gid"))
    var group: String = "perf-consumer-\(Int.random(in: 0..<100_000))"

    @Option(
        name: .customLong("fetch-size"),
        help: ArgumentHelp(
            "The amount of data to fetch in a single request (max.partition.fetch.bytes).", valueName: "size"))
    var fetchSize: Int = 1_048_576

    @Flag(
        name: .customLong("from-latest"),
        help: ArgumentHelp(
            "If the consumer does not already have an established offset to consume from, start with the latest "
                + "message present in the log rather than the earliest message."))
    var fromLatest: Bool = false

    @Option(
        name: .customLong("socket-buffer-size"),
        help: ArgumentHelp("The size of the tcp RECV size (ignored by this client).", valueName: "size"))
    var socketBufferSize: Int = 2_097_152

    @Option(
        name: .customLong("consumer.config"),
        help: ArgumentHelp("Consumer config properties file.", valueName: "config file"))
    var consumerConfig: String?

    @Flag(name: .customLong("print-metrics"), help: "Print out a short metrics summary.")
    var printMetrics: Bool = false

    @Flag(
        name: .customLong("show-detailed-stats"),
        help: "If set, stats are reported for each reporting interval as configured by reporting-interval.")
    var showDetailedStats: Bool = false

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp("The maximum allowed time in milliseconds between returned records.", valueName: "ms"))
    var timeout: Int = 10_000

    @Option(
        name: .customLong("reporting-interval"),
        help: ArgumentHelp("Interval in milliseconds at which to print progress info.", valueName: "interval_ms"))
    var reportingInterval: Int = 5_000

    @Option(
        name: .customLong("date-format"),
        help: ArgumentHelp(
            "The date format to use for formatting the time field (java.text.SimpleDateFormat letters).",
            valueName: "date format"))
    var dateFormat: String = "yyyy-MM-dd HH:mm:ss:SSS"

    @Flag(name: .customLong("hide-header"), help: "If set, skips printing the header for the stats.")
    var hideHeader: Bool = false

    @Option(name: .customLong("threads"), help: ArgumentHelp("Deprecated and ignored.", visibility: .hidden))
    var threads: Int?

    @Option(name: .customLong("num-fetch-threads"), help: ArgumentHelp("Deprecated and ignored.", visibility: .hidden))
    var numFetchThreads: Int?

    /// Runs the command; usage errors exit 2 (as Kafka's tools), failures 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                KafkaTool.printError(fullMessage(for: error))
                terminate(2)
            }
            exit(withError: error)
        }
    }

    func validate() throws {
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

    func run() async throws {
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(properties: resolveProperties()))
        } catch {
            KafkaTool.printError("kafka-consumer-perf-test: \(error)")
            throw ExitCode(1)
        }
        let format = try DateFormat(pattern: dateFormat)
        if !hideHeader { print(ConsumerPerfReport.header(detailed: showDetailedStats)) }

        var report = ConsumerPerfReport(
            messages: messages, interval: .milliseconds(reportingInterval), detailed: showDetailedStats,
            dateFormat: format)
        let idleLimit = Duration.milliseconds(timeout)
        do {
            let early = try await Self.startConsuming(consumer: consumer, topic: topic, idleLimit: idleLimit)
            report.joined()
            if !early.isEmpty { report.consumed(early, now: .now) }
            var lastConsumed = ContinuousClock.now
            while report.count < messages, lastConsumed.duration(to: .now) <= idleLimit {
                let records = try await consumer.poll(timeout: .milliseconds(100))
                guard !records.isEmpty else { continue }
                lastConsumed = .now
                report.consumed(records, now: lastConsumed)
            }
        } catch {
            KafkaTool.printError("kafka-consumer-perf-test: \(error)")
            await consumer.close()
            throw ExitCode(1)
        }
        report.finished()
        let metrics = printMetrics ? report.metricsTable(configuration: consumer.configuration) : nil
        await consumer.close()

        if !showDetailedStats { print(report.summaryLine()) }
        if let metrics { print(metrics) }
        fflush(nil)
        if report.count < messages {
            KafkaTool.printError(
                "kafka-consumer-perf-test: consumed only \(report.count) of \(messages) messages: no record "
                    + "arrived for \(timeout) ms (--timeout)")
            throw ExitCode(1)
        }
    }

    /// Joins `topic` through the group (`subscribe`) and polls until the group assigned partitions: the step
    /// whose duration is reported as rebalance.time.ms (Kafka measures from before subscribing until its
    /// rebalance listener sees partitions assigned). Returns the records the joining polls returned.
    static func startConsuming(
        consumer: KafkaConsumer, topic: String, idleLimit: Duration
    ) async throws -> [ConsumerRecord] {
        let partitions = try await consumer.partitionsFor(topic: topic)
        guard !partitions.isEmpty else { throw ToolError("topic \(topic) has no partitions") }
        try consumer.subscribe(topics: [topic])
        let deadline = ContinuousClock.now + idleLimit
        var records: [ConsumerRecord] = []
        while consumer.assignment.isEmpty {
            guard ContinuousClock.now < deadline else {
                throw ToolError("the group assigned no partition of \(topic) within \(idleLimit) (--timeout)")
            }
            records += try await consumer.poll(timeout: .milliseconds(100))
        }
        return records
    }

    /// --consumer.config, then the tool's settings, as Kafka's `ConsumerPerfOptions.props()`.
    private func resolveProperties() throws -> [String: String] {
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

/// Ends the process with `code` (outside the command type, whose `exit(withError:)` hides the C function).
func terminate(_ code: Int32) -> Never {
    fflush(nil)
    exit(code)
}
