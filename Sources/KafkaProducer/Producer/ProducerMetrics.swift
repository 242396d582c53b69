import Metrics

/// The producer's swift-metrics instruments, labelled with `client_id` (names follow the Java client's metric
/// names, in the `kafka_producer_` namespace).
struct ProducerMetrics: Sendable {
    /// Records acknowledged by the broker (`record-send-total`).
    let recordsSent: Counter
    /// Bytes of acknowledged batches, as sent (compressed) (`byte-total`).
    let bytesSent: Counter
    /// Records that failed (`record-error-total`).
    let recordErrors: Counter
    /// Batch retries (`record-retry-total`, counted per batch).
    let retries: Counter
    /// Produce requests sent (`request-total`).
    let requests: Counter
    /// Size of each batch sent, in bytes (`batch-size`).
    let batchSize: Recorder
    /// Records per batch (`records-per-request` per partition).
    let recordsPerBatch: Recorder
    /// Time batches waited in the accumulator before their first send (`record-queue-time`).
    let queueTime: Timer
    /// Time from `send` until the broker acknowledged, measured once per batch with its oldest record
    /// (`request-latency` as the application sees it).
    let recordLatency: Timer
    /// Memory reserved for queued and in-flight batches (`buffer-total-bytes` minus `buffer-available-bytes`).
    let bufferUsed: Gauge

    init(clientID: String, factory: any MetricsFactory) {
        let dimensions = [("client_id", clientID)]
        func name(_ suffix: String) -> String { "kafka_producer_\(suffix)" }
        recordsSent = Counter(label: name("records_sent_total"), dimensions: dimensions, factory: factory)
        bytesSent = Counter(label: name("bytes_sent_total"), dimensions: dimensions, factory: factory)
        recordErrors = Counter(label: name("record_errors_total"), dimensions: dimensions, factory: factory)
        retries = Counter(label: name("batch_retries_total"), dimensions: dimensions, factory: factory)
        requests = Counter(label: name("produce_requests_total"), dimensions: dimensions, factory: factory)
        batchSize = Recorder(label: name("batch_size_bytes"), dimensions: dimensions, factory: factory)
        recordsPerBatch = Recorder(label: name("batch_records"), dimensions: dimensions, factory: factory)
        queueTime = Timer(label: name("record_queue_time"), dimensions: dimensions, factory: factory)
        recordLatency = Timer(label: name("record_latency"), dimensions: dimensions, factory: factory)
        bufferUsed = Gauge(label: name("buffer_used_bytes"), dimensions: dimensions, factory: factory)
    }
}
