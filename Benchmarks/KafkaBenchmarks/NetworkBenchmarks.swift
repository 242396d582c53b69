import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import Logging

/// Request round trips over one loopback connection to a one-broker dev cluster in this process: one
/// request at a time, then many concurrent callers pipelined up to
/// `max.in.flight.requests.per.connection`. Client and broker share the machine's cores, so these are
/// lower bounds for the client alone.
func runNetworkBenchmarks() async throws {
    var brokerConfiguration = DevClusterConfiguration()
    brokerConfiguration.topics = ["bench": 12]
    // Hundreds of thousands of requests: the request log would only cost time.
    brokerConfiguration.requestLogLimit = 0
    let cluster = try await DevCluster(configuration: brokerConfiguration)
    guard let broker = cluster.brokers.first else { return }
    let clock = ContinuousClock()
    let request = MetadataRequest(topics: [.init(name: "bench")])

    for maxInFlight in [1, 5, 32] {
        var configuration = KafkaClientConfiguration(
            bootstrapServers: [BrokerAddress(host: broker.host, port: broker.port)])
        configuration.maxInFlightRequestsPerConnection = maxInFlight
        let settings = try ConnectionSettings(configuration: configuration)
        let connection = try await BrokerConnection.connect(
            to: BrokerAddress(host: broker.host, port: broker.port), kind: .admin, settings: settings,
            logger: Logger(label: "bench"))
        let callers = maxInFlight == 1 ? 1 : 64
        let perCaller = 20_000 / callers
        var best = 0.0
        for _ in 0..<3 {
            let elapsed = try await clock.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<callers {
                        group.addTask {
                            for _ in 0..<perCaller { _ = try await connection.send(request) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            best = max(best, Double(callers * perCaller) / seconds / 1000)
        }
        print(line("requests: \(callers) callers, in-flight \(maxInFlight)", best, "k req/s"))
        await connection.close()
    }
    await cluster.shutdown()
}
