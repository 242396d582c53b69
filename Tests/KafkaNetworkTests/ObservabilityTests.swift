import KafkaDevCluster
import KafkaProtocol
import Logging
import MetricsTestKit
import NIOConcurrencyHelpers
import Testing

@testable import KafkaNetwork

/// What an operator sees: swift-metrics figures and swift-log records with structured metadata.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ObservabilityTests {
    /// Collects log records in memory.
    struct CapturingLogHandler: LogHandler {
        struct Record: Sendable {
            var level: Logger.Level
            var message: String
            var metadata: [String: String]
        }

        let records: NIOLockedValueBox<[Record]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            merged.merge(event.metadata ?? [:]) { $1 }
            let record = Record(
                level: event.level, message: "\(event.message)",
                metadata: merged.mapValues { "\($0)" })
            records.withLockedValue { $0.append(record) }
        }
    }

    @Test func requestsLatencyBytesConnectionsAndRefreshesAreCounted() async throws {
        var brokerConfiguration = DevClusterConfiguration()
        brokerConfiguration.topics = ["observed": 1]
        let broker = try await DevCluster(configuration: brokerConfiguration)
        let address = try #require(broker.brokers.first)
        let metrics = TestMetrics()
        var configuration = KafkaClientConfiguration(bootstrapServers: [
            BrokerAddress(host: address.host, port: address.port)
        ])
        configuration.clientID = "observed-client"
        // Long enough for a loaded machine's first Metadata; the dropped answer below waits this long.
        configuration.requestTimeout = .seconds(2)
        let client = try KafkaClusterClient(configuration: configuration, metricsFactory: metrics)
        _ = try await client.metadata(for: ["observed"])
        broker.dropResponses(count: 1)
        await #expect(throws: KafkaNetworkError.self) {
            try await client.send(MetadataRequest(), to: .anyBroker, kind: .admin)
        }

        let metadataDimensions = [
            ("client_id", "observed-client"), ("broker", "\(address.host):\(address.port)"), ("api", "Metadata"),
        ]
        #expect(metrics.counterTotal(label: "kafka_client_requests_total", dimensions: metadataDimensions) == 2)
        #expect(metrics.counterTotal(label: "kafka_client_request_errors_total", dimensions: metadataDimensions) == 1)
        let latency = try metrics.expectTimer("kafka_client_request_duration_seconds", metadataDimensions)
        #expect(latency.values.count == 1)
        #expect(metrics.counterTotal(label: "kafka_client_bytes_sent_total") > 0)
        #expect(metrics.counterTotal(label: "kafka_client_bytes_received_total") > 0)
        #expect(metrics.counterTotal(label: "kafka_client_connections_created_total") == 1)
        #expect(metrics.counterTotal(label: "kafka_client_metadata_refreshes_total") == 1)
        let apiVersions = [
            ("client_id", "observed-client"), ("broker", "\(address.host):\(address.port)"), ("api", "ApiVersions"),
        ]
        #expect(metrics.counterTotal(label: "kafka_client_requests_total", dimensions: apiVersions) == 1)
        let inFlight = try metrics.expectMeter(
            "kafka_client_requests_in_flight",
            [("client_id", "observed-client"), ("broker", "\(address.host):\(address.port)")])
        #expect(inFlight.lastValue == 0, "every request in flight was answered or failed")
        await client.shutdown()
        await broker.shutdown()
    }

    @Test func logsCarryBrokerAndAPIMetadata() async throws {
        let broker = try await DevCluster()
        let address = try #require(broker.brokers.first)
        let records = NIOLockedValueBox<[CapturingLogHandler.Record]>([])
        let logger = Logger(label: "observed") { _ in CapturingLogHandler(records: records) }
        let configuration = KafkaClientConfiguration(bootstrapServers: [
            BrokerAddress(host: address.host, port: address.port)
        ])
        let client = try KafkaClusterClient(configuration: configuration, logger: logger)
        _ = try await client.send(MetadataRequest(), to: .anyBroker, kind: .admin)
        let logged = records.withLockedValue { $0 }
        let setup = try #require(logged.first { $0.message == "connection setup request" })
        #expect(setup.metadata["kafka.broker.address"] == "\(address.host):\(address.port)")
        #expect(setup.metadata["kafka.api"] == "ApiVersions")
        #expect(setup.metadata["kafka.connection.kind"] == "admin")
        #expect(setup.metadata["kafka.client_id"] == "swift-kafka")
        let sent = try #require(logged.first { $0.message == "request sent" && $0.metadata["kafka.api"] == "Metadata" })
        #expect(sent.metadata["kafka.correlation_id"] != nil)
        #expect(sent.metadata["kafka.api.version"] != nil)
        await client.shutdown()
        await broker.shutdown()
    }
}
