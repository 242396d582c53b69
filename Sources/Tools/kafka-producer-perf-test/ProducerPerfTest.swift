import ArgumentParser
import KafkaCLISupport
import KafkaNetwork
import KafkaProducer
import NIOCore

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `kafka-producer-perf-test`: this project's version of Apache Kafka's `bin/kafka-producer-perf-test.sh`
/// (`org.apache.kafka.tools.ProducerPerformance`), with the same flags and output.
///
/// ```
/// kafka-producer-perf-test --topic perf --num-records 1000000 --record-size 100 --throughput -1 \
///     --producer-props bootstrap.servers=localhost:9092 acks=1
/// ```
@main
struct ProducerPerfTest: AsyncParsableCommand {
    /// Kafka's exit codes: 2 for usage errors (ArgumentParser's default is 64), 1 for failures.
    static func main() async { await KafkaTool.main(Self.self) }

    static let configuration = CommandConfiguration(
        commandName: "kafka-producer-perf-test",
        abstract: "Measure producer throughput and latency (as Apache Kafka's kafka-producer-perf-test.sh).",
        discussion: """
            Sends --num-records records of --record-size random bytes (uppercase letters, chosen once) or of \
            payloads read from --payload-file, without keys, at most --throughput records per second. Every \
            5 seconds it prints a window line, and at the end a summary with latency percentiles, in Apache \
            Kafka's format. Latency is the time from handing a record to the producer to its acknowledgement.

            Producer settings use the Java property names: --producer.config FILE, then --producer-props \
            k=v ... on top, then --bootstrap-server. Without any bootstrap.servers, the environment \
            variable KAFKA_BOOTSTRAP_SERVERS is used.

            Exits 1 (after the summary) when any record failed, printing the first error on standard error.

            Example:
              kafka-producer-perf-test --topic perf --num-records 1000000 --record-size 100 \\
                --throughput -1 --producer-props bootstrap.servers=localhost:9092 acks=1

            Shell completion: kafka-producer-perf-test --generate-completion-script bash (or zsh, fish) prints a completion \
            script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    @OptionGroup var options: ProducerPerfOptions

    func run() async throws {
        let properties: [String: String]
        let payloads: [ByteBuffer]
        let configuration: KafkaProducerConfiguration
        do {
            properties = try options.resolveProperties()
            if options.transactionalID != nil || options.transactionDurationMs != nil
                || properties["transactional.id"] != nil
            {
                throw ToolError(
                    "transactions are not supported by this producer yet "
                        + "(--transactional-id, --transaction-duration-ms, transactional.id)")
            }
            payloads = try options.loadPayloads()
            configuration = try KafkaProducerConfiguration(properties: properties)
        } catch {
            KafkaTool.printError("kafka-producer-perf-test: \(error)")
            throw ExitCode(1)
        }
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(configuration: configuration)
        } catch {
            KafkaTool.printError("kafka-producer-perf-test: \(error)")
            throw ExitCode(1)
        }

        let stats = PerfStats(numRecords: options.numRecords)
        var throttler = ThroughputThrottler(targetThroughput: options.throughput, start: stats.start)
        var random = PerfRandom(seed: 0)
        var sendError: KafkaProducerError?
        var record = ProducerRecord(topic: options.topic, value: payloads.first)
        let monotonic = options.payloadMonotonic

        // A progress line on standard error when it is a terminal and standard output (the window lines) is not.
        let progress = ProgressLine(
            label: "sending records", unit: "records", total: options.numRecords,
            isTerminal: ProgressLine.standardErrorIsTerminal && isatty(STDOUT_FILENO) == 0, interval: .milliseconds(200)
        )
        // Untimed records share one completion without a context (see PerfStats: a closure capturing the send's start
        // is allocated per record); timed ones capture their start.
        stats.makeCurrent()
        // The completions reach `stats` unretained (`CurrentRun`): it lives until every path below closed the producer.
        defer { withExtendedLifetime(stats) {} }
        let untimed = PerfStats.untimedCompletion
        let throttling = options.throughput > 0
        // Read once: asking `stats` per record retained and released it (and the sender touches it too).
        let sampling = stats.sampling
        let start = stats.start
        for index in 0..<options.numRecords {
            progress.update(index + 1)
            if monotonic {
                record.value = ByteBuffer(string: String(index))
            } else if payloads.count > 1 {
                // The high word of a 64 × 64-bit product: a uniform index without a division per record.
                record.value = payloads[Int(random.next().multipliedFullWidth(by: UInt64(payloads.count)).high)]
            }
            do {
                if index % sampling == 0 {  // stats.isTimed(index)
                    try await producer.send(
                        record, completion: PerfStats.timedCompletion(sentAt: PerfStats.nanoseconds(since: start)))
                } else {
                    try await producer.send(record, completion: untimed)
                }
            } catch {
                sendError = error
                break
            }
            if throttling && throttler.shouldThrottle(amountSoFar: index, now: .now) {
                await throttler.throttle()
            }
        }

        progress.finish()
        if let sendError {
            KafkaTool.printError("kafka-producer-perf-test: could not send record: \(sendError)")
            await producer.close(timeout: .seconds(5))
            throw ExitCode(1)
        }

        if options.printMetrics {
            await producer.flush()
            print(stats.totalLine())
            printMetricsSummary(stats: stats, configuration: configuration)
            await producer.close()
        } else {
            await producer.close()
            print(stats.totalLine())
        }

        let failures = stats.failures
        if failures.count > 0 {
            KafkaTool.printError(
                "kafka-producer-perf-test: \(failures.count) record(s) failed; first error: \(failures.first ?? "?")")
            throw ExitCode(1)
        }
    }

    // MARK: - Metrics

    private func printMetricsSummary(stats: PerfStats, configuration: KafkaProducerConfiguration) {
        let (count, bytes) = stats.totals
        let failures = stats.failures.count
        let seconds = max(PerfFigures.seconds(stats.start.duration(to: .now)), 1e-9)
        let rows: [(String, String)] = [
            ("producer-metrics:record-send-total", cFormat("%.3f", Double(count))),
            ("producer-metrics:record-send-rate", cFormat("%.3f", Double(count) / seconds)),
            ("producer-metrics:record-error-total", cFormat("%.3f", Double(failures))),
            ("producer-metrics:byte-total", cFormat("%.3f", Double(bytes))),
            ("producer-metrics:byte-rate", cFormat("%.3f", Double(bytes) / seconds)),
            ("producer-config:acks", "\(configuration.acks)"),
            ("producer-config:batch.size", "\(configuration.batchSize)"),
            ("producer-config:linger.ms", "\(PerfFigures.seconds(configuration.linger) * 1000)"),
            ("producer-config:buffer.memory", "\(configuration.bufferMemory)"),
            ("producer-config:compression.type", "\(configuration.compression)"),
            ("producer-config:enable.idempotence", "\(configuration.isIdempotent)"),
        ]
        print(PerfFigures.metricsTable(rows))
    }
}

/// Throttles like Kafka's `ThroughputThrottler`: once the average rate since the start exceeds the target,
/// each record adds `1 / target` seconds of sleep deficit, which is slept off once it reaches 2 ms.
struct ThroughputThrottler {
    static let minimumSleepNanoseconds: Int64 = 2_000_000

    let start: ContinuousClock.Instant
    let targetThroughput: Double
    let sleepNanoseconds: Int64
    var sleepDeficitNanoseconds: Int64 = 0

    init(targetThroughput: Double, start: ContinuousClock.Instant) {
        self.start = start
        self.targetThroughput = targetThroughput
        self.sleepNanoseconds = targetThroughput > 0 ? Int64(1e9 / targetThroughput) : Int64.max
    }

    func shouldThrottle(amountSoFar: Int, now: ContinuousClock.Instant) -> Bool {
        guard targetThroughput > 0 else { return false }
        let elapsed = PerfFigures.seconds(start.duration(to: now))
        return elapsed > 0 && Double(amountSoFar) / elapsed > targetThroughput
    }

    mutating func throttle() async {
        sleepDeficitNanoseconds += sleepNanoseconds
        guard sleepDeficitNanoseconds >= Self.minimumSleepNanoseconds else { return }
        let deadline = ContinuousClock.now + .nanoseconds(sleepDeficitNanoseconds)
        while ContinuousClock.now < deadline {
            do {
                try await Task.sleep(until: deadline, tolerance: .zero, clock: .continuous)
            } catch {
                break
            }
        }
        sleepDeficitNanoseconds = 0
    }
}
