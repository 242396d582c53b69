import Metrics

/// The consumer's swift-metrics instruments (to be filled in).
struct ConsumerMetrics: Sendable {
    init(clientID: String, factory: any MetricsFactory) {}
}
