import Metrics

/// The consumer's swift-metrics instruments, labelled with `client_id` (names follow the Java client's metric
/// names, in the `kafka_consumer_` namespace).
struct ConsumerMetrics: Sendable {
    /// Records handed to the application by `poll` (`records-consumed-total`).
    let recordsConsumed: Counter
    /// Key and value bytes of the records handed to the application (`bytes-consumed-total`; null keys and
    /// values count as zero bytes, headers are not counted).
    let bytesConsumed: Counter
    /// Fetch requests sent (`fetch-total`).
    let fetchRequests: Counter
    /// Time from sending a fetch request until its answer, per request (`fetch-latency`); includes the time the
    /// broker held the request for `fetch.max.wait.ms`.
    let fetchLatency: Timer
    /// The largest lag over the assigned partitions after each fetch response: the high watermark (the last
    /// stable offset with `read_committed`) minus the position (`records-lag-max`). Records fetched but not yet
    /// handed out still count as lag.
    let recordsLag: Gauge
    /// Completed rebalances (`rebalance-total`).
    let rebalances: Counter
    /// Time an offset commit took, from the first request to the answer (`commit-latency`).
    let commitLatency: Timer

    init(clientID: String, factory: any MetricsFactory) {
        let dimensions = [("client_id", clientID)]
        func name(_ suffix: String) -> String { "kafka_consumer_\(suffix)" }
        recordsConsumed = Counter(label: name("records_consumed_total"), dimensions: dimensions, factory: factory)
        bytesConsumed = Counter(label: name("bytes_consumed_total"), dimensions: dimensions, factory: factory)
        fetchRequests = Counter(label: name("fetch_requests_total"), dimensions: dimensions, factory: factory)
        fetchLatency = Timer(label: name("fetch_latency"), dimensions: dimensions, factory: factory)
        recordsLag = Gauge(label: name("records_lag"), dimensions: dimensions, factory: factory)
        rebalances = Counter(label: name("rebalances_total"), dimensions: dimensions, factory: factory)
        commitLatency = Timer(label: name("commit_latency"), dimensions: dimensions, factory: factory)
    }

    /// Counts records handed to the application and their key and value bytes.
    func recordsHandedOut(_ records: [ConsumerRecord]) {
        guard !records.isEmpty else { return }
        var bytes = 0
        // By index: reading two fields does not copy the record.
        for index in records.indices {
            bytes += max(0, records[index].serializedKeySize) + max(0, records[index].serializedValueSize)
        }
        recordsConsumed.increment(by: records.count)
        bytesConsumed.increment(by: bytes)
    }

    /// Records the latency of a fetch request answered now, sent at `start`.
    func fetchAnswered(since start: ContinuousClock.Instant) {
        fetchLatency.recordNanoseconds(Self.nanoseconds(start.duration(to: .now)))
    }

    /// Records the largest lag over the assigned partitions, when any is known.
    func lagAfterFetch(_ maxLag: Int64?) {
        if let maxLag { recordsLag.record(maxLag) }
    }

    /// Counts a completed rebalance (the member joined and synced, its new assignment in place).
    func rebalanceCompleted() {
        rebalances.increment()
    }

    /// Records the latency of an offset commit that started at `start` and completed now.
    func commitCompleted(since start: ContinuousClock.Instant) {
        commitLatency.recordNanoseconds(Self.nanoseconds(start.duration(to: .now)))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? 0 : .max }
        return max(0, scaled &+ attoseconds / 1_000_000_000)
    }
}
