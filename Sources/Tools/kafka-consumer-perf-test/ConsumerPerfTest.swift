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

            Shell completion: kafka-consumer-perf-test --generate-completion-script bash (or zsh, fish) prints a completion \
            script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    @OptionGroup var options: ConsumerPerfOptions

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

    func run() async throws {
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(properties: options.resolveProperties()))
        } catch {
            KafkaTool.printError("kafka-consumer-perf-test: \(error)")
            throw ExitCode(1)
        }
        let format = try DateFormat(pattern: options.dateFormat)
        if !options.hideHeader { print(ConsumerPerfReport.header(detailed: options.showDetailedStats)) }

        var report = ConsumerPerfReport(
            messages: options.messages, interval: .milliseconds(options.reportingInterval),
            detailed: options.showDetailedStats,
            dateFormat: format)
        let idleLimit = Duration.milliseconds(options.timeout)
        do {
            let early = try await Self.startConsuming(consumer: consumer, topic: options.topic, idleLimit: idleLimit)
            report.joined()
            if !early.isEmpty { report.consumed(early, now: .now) }
            var lastConsumed = ContinuousClock.now
            while report.count < options.messages, lastConsumed.duration(to: .now) <= idleLimit {
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
        let metrics = options.printMetrics ? report.metricsTable(configuration: consumer.configuration) : nil
        await consumer.close()

        if !options.showDetailedStats { print(report.summaryLine()) }
        if let metrics { print(metrics) }
        fflush(nil)
        if report.count < options.messages {
            KafkaTool.printError(
                "kafka-consumer-perf-test: consumed only \(report.count) of \(options.messages) messages: no record "
                    + "arrived for \(options.timeout) ms (--timeout)")
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
}

/// Ends the process with `code` (outside the command type, whose `exit(withError:)` hides the C function).
func terminate(_ code: Int32) -> Never {
    fflush(nil)
    exit(code)
}
