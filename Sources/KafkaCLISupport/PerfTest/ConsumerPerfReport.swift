package import KafkaConsumer

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Counts consumed records and prints Kafka's lines: the per-interval lines of `--show-detailed-stats`
/// (`printConsumerProgress`) and the final summary.
///
/// Times in the output are whole milliseconds, as Kafka's; rates use the exact durations.
package struct ConsumerPerfReport {
    package let messages: Int
    let interval: Duration
    let detailed: Bool
    let dateFormat: DateFormat

    let start = ContinuousClock.now
    let startWallMillis = wallClockMillis()
    private(set) var end = ContinuousClock.now
    private(set) var endWallMillis: Int64 = 0
    private(set) var joinTime = Duration.zero
    package private(set) var count = 0
    package private(set) var bytes = 0
    private var lastReport = ContinuousClock.now
    private var lastReportCount = 0
    private var lastReportBytes = 0
    private var joinTimeInRound = Duration.zero

    package init(messages: Int, interval: Duration, detailed: Bool, dateFormat: DateFormat) {
        self.messages = messages
        self.interval = interval
        self.detailed = detailed
        self.dateFormat = dateFormat
        self.lastReport = start
    }

    package static func header(detailed: Bool) -> String {
        let extended = ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
        return detailed
            ? "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + extended
            : "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec" + extended
    }

    /// The topic was joined: the time since the start is the rebalance time.
    package mutating func joined() {
        joinTime = start.duration(to: .now)
        joinTimeInRound = joinTime
    }

    /// Counts `records` (at most up to `messages`), printing an interval line when one is due.
    package mutating func consumed(_ records: [ConsumerRecord], now: ContinuousClock.Instant) {
        var due = lastReport.duration(to: now) >= interval
        for record in records {
            guard count < messages else { break }
            count += 1
            bytes += (record.key?.readableBytes ?? 0) + (record.value?.readableBytes ?? 0)
            if due {
                if detailed { printProgress(now: now) }
                joinTimeInRound = .zero
                lastReport = now
                lastReportCount = count
                lastReportBytes = bytes
                due = false
            }
        }
    }

    package mutating func finished() {
        end = .now
        endWallMillis = wallClockMillis()
    }

    private func printProgress(now: ContinuousClock.Instant) {
        let elapsed = lastReport.duration(to: now)
        let seconds = PerfFigures.seconds(elapsed)
        let fetchMillis = PerfFigures.millis(elapsed) - PerfFigures.millis(joinTimeInRound)
        let fetchSeconds = PerfFigures.seconds(elapsed - joinTimeInRound)
        let intervalMB = Double(bytes - lastReportBytes) / 1_048_576
        let intervalCount = Double(count - lastReportCount)
        let nowWall = startWallMillis + PerfFigures.millis(start.duration(to: now))
        print(
            dateFormat.format(millis: nowWall)
                + cFormat(
                    ", %d, %.4f, %.4f, %ld, %.4f, %lld, %lld, %.4f, %.4f", 0,
                    Double(bytes) / 1_048_576, intervalMB / seconds, count, intervalCount / seconds,
                    PerfFigures.millis(joinTimeInRound), fetchMillis, fetchMillis <= 0 ? 0 : intervalMB / fetchSeconds,
                    fetchMillis <= 0 ? 0 : intervalCount / fetchSeconds))
        fflush(nil)  // all streams: the lines should show up at once in a pipe too
    }

    /// The final line (Kafka prints it without `--show-detailed-stats` only).
    package func summaryLine() -> String {
        let elapsed = start.duration(to: end)
        let megabytes = Double(bytes) / 1_048_576
        let seconds = PerfFigures.seconds(elapsed)
        let fetchSeconds = PerfFigures.seconds(elapsed - joinTime)
        return dateFormat.format(millis: startWallMillis) + ", " + dateFormat.format(millis: endWallMillis)
            + cFormat(
                ", %.4f, %.4f, %ld, %.4f, %lld, %lld, %.4f, %.4f", megabytes, megabytes / seconds, count,
                Double(count) / seconds, PerfFigures.millis(joinTime),
                PerfFigures.millis(elapsed) - PerfFigures.millis(joinTime),
                megabytes / fetchSeconds, Double(count) / fetchSeconds)
    }

    /// `--print-metrics`: this tool's counters and the fetch settings, as `name : value` rows.
    package func metricsTable(configuration: KafkaConsumerConfiguration) -> String {
        let seconds = PerfFigures.seconds(start.duration(to: end))
        let rows: [(String, String)] = [
            ("consumer-fetch-manager-metrics:records-consumed-total", cFormat("%.3f", Double(count))),
            ("consumer-fetch-manager-metrics:records-consumed-rate", cFormat("%.3f", Double(count) / seconds)),
            ("consumer-fetch-manager-metrics:bytes-consumed-total", cFormat("%.3f", Double(bytes))),
            ("consumer-fetch-manager-metrics:bytes-consumed-rate", cFormat("%.3f", Double(bytes) / seconds)),
            ("consumer-config:fetch.min.bytes", "\(configuration.fetchMinBytes)"),
            ("consumer-config:fetch.max.wait.ms", "\(PerfFigures.millis(configuration.fetchMaxWait))"),
            ("consumer-config:fetch.max.bytes", "\(configuration.fetchMaxBytes)"),
            ("consumer-config:max.partition.fetch.bytes", "\(configuration.maxPartitionFetchBytes)"),
            ("consumer-config:max.poll.records", "\(configuration.maxPollRecords)"),
        ]
        return PerfFigures.metricsTable(rows)
    }
}
