import KafkaProtocol
import Metrics
import NIOCore

/// The metrics of one connection, reported through swift-metrics. Metric objects are created once
/// per API and reused; the object is confined to the connection's event loop.
///
/// | label | type | dimensions |
/// | --- | --- | --- |
/// | `kafka_client_requests_total` | counter | `client_id`, `broker`, `api` |
/// | `kafka_client_request_errors_total` | counter | `client_id`, `broker`, `api` |
/// | `kafka_client_request_duration_seconds` | timer | `client_id`, `broker`, `api` |
/// | `kafka_client_requests_in_flight` | meter | `client_id`, `broker` |
/// | `kafka_client_bytes_sent_total`, `kafka_client_bytes_received_total` | counter | `client_id`, `broker` |
/// | `kafka_client_reauthentications_total` | counter | `client_id`, `broker` |
final class ConnectionMetrics {
    private struct PerAPI {
        var requests: Counter
        var errors: Counter
        var latency: Timer
    }

    private let dimensions: [(String, String)]
    private var perAPI: [KafkaAPIKey: PerAPI] = [:]
    private let inFlight: Meter
    private let bytesSent: Counter
    private let bytesReceivedCounter: Counter
    private let reauthentications: Counter

    private let factory: any MetricsFactory

    init(clientID: String, broker: String, factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        dimensions = [("client_id", clientID), ("broker", broker)]
        inFlight = Meter(label: "kafka_client_requests_in_flight", dimensions: dimensions, factory: factory)
        bytesSent = Counter(label: "kafka_client_bytes_sent_total", dimensions: dimensions, factory: factory)
        bytesReceivedCounter = Counter(
            label: "kafka_client_bytes_received_total", dimensions: dimensions, factory: factory)
        reauthentications = Counter(
            label: "kafka_client_reauthentications_total", dimensions: dimensions, factory: factory)
    }

    private func metrics(for api: KafkaAPIKey) -> PerAPI {
        if let existing = perAPI[api] { return existing }
        let dimensions = self.dimensions + [("api", api.name)]
        let created = PerAPI(
            requests: Counter(label: "kafka_client_requests_total", dimensions: dimensions, factory: factory),
            errors: Counter(label: "kafka_client_request_errors_total", dimensions: dimensions, factory: factory),
            latency: Timer(label: "kafka_client_request_duration_seconds", dimensions: dimensions, factory: factory))
        perAPI[api] = created
        return created
    }

    /// A request was written; `awaitsResponse` requests count as in flight until answered or failed.
    func requestSent(api: KafkaAPIKey, bytes: Int, awaitsResponse: Bool) {
        metrics(for: api).requests.increment()
        bytesSent.increment(by: bytes)
        if awaitsResponse { inFlight.increment() }
    }

    func responseReceived(api: KafkaAPIKey, since start: NIODeadline) {
        metrics(for: api).latency.recordNanoseconds((NIODeadline.now() - start).nanoseconds)
        inFlight.decrement()
    }

    func requestFailed(api: KafkaAPIKey) {
        metrics(for: api).errors.increment()
        inFlight.decrement()
    }

    /// A SASL re-authentication of the connection completed (KIP-368).
    func reauthenticated() {
        reauthentications.increment()
    }

    func bytesReceived(_ count: Int) {
        bytesReceivedCounter.increment(by: count)
    }
}
