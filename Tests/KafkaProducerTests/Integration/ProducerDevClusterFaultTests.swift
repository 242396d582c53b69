import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import KafkaTestSupport
import MetricsTestKit
import NIOCore
import Testing

/// The idempotent producer with five requests in flight against the dev cluster, which — unlike
/// librdkafka's mock — checks sequence numbers as a broker does: a batch that arrives after an
/// earlier one of its partition failed is refused with OUT_OF_ORDER_SEQUENCE_NUMBER, and a resent
/// batch the broker already has is answered DUPLICATE_SEQUENCE_NUMBER. So here order per partition
/// is asserted at max.in.flight=5 too, together with no loss and no duplicates. (These tests found a
/// deadlock: an epoch bump waiting for retries that sat in the queue behind it.)
@Suite("Producer faults on the dev cluster", .serialized, .timeLimit(.minutes(5)))
struct ProducerDevClusterFaultTests {
    let cluster: DevCluster
    let topic = "events"
    let partitions = 6

    init() async throws {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 3
        configuration.port = 0
        cluster = try await DevCluster(configuration: configuration)
        try cluster.createTopic(topic, partitions: Int32(partitions), replicationFactor: 3)
    }

    func makeProducer(_ properties: [String: String] = [:]) throws -> KafkaProducer {
        var all = [
            "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "2", "retry.backoff.ms": "20",
            "batch.size": "2000", "max.in.flight.requests.per.connection": "5",
        ]
        all.merge(properties) { _, new in new }
        return try KafkaProducer(configuration: try KafkaProducerConfiguration(properties: all))
    }

    func record(_ index: Int) -> ProducerRecord {
        ProducerRecord(topic: topic, key: index % 3 == 0 ? nil : "key-\(index % 40)", value: "r-\(index)")
    }

    /// Sends `count` records, running `actions[index]` before record `index`, pausing briefly every
    /// 20 records so that faults land while requests are in flight; then flushes and reads back.
    func run(
        _ count: Int, producer: KafkaProducer, actions: [Int: @Sendable () async throws -> Void]
    ) async throws {
        let collector = OutcomeCollector()
        let records = (0..<count).map(record)
        for (index, record) in records.enumerated() {
            if let action = actions[index] { try await action() }
            if index % 20 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            try await producer.send(record, completion: collector.handler(for: index))
        }
        await producer.flush()
        await producer.close()
        let results = collector.snapshot
        let sent = records.enumerated().map {
            SentRecord(index: $0.offset, record: $0.element, result: results[$0.offset])
        }
        let read = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: topic)
        verifyReadBack(sent: sent, read: read, partitions: partitions)
        await cluster.shutdown()
    }

    @Test(arguments: [KafkaErrorCode.notLeaderOrFollower, .requestTimedOut, .notEnoughReplicas])
    func failedRequestsAmongFiveInFlightKeepOrderWithoutLossOrDuplicates(error: KafkaErrorCode) async throws {
        let producer = try makeProducer()
        let cluster = self.cluster
        try await run(
            800, producer: producer,
            actions: [
                100: { cluster.failNext(.produce, count: 2, error: error) },
                400: { cluster.failNext(.produce, count: 3, error: error) },
            ])
        #expect(cluster.requestCount(.produce) > 5)
    }

    @Test func lostAnswersAreResentAndDeduplicatedByTheBroker() async throws {
        let producer = try makeProducer(["request.timeout.ms": "400", "delivery.timeout.ms": "20000"])
        let cluster = self.cluster
        try await run(
            600, producer: producer,
            actions: [
                150: { cluster.dropResponses(to: .produce, count: 1) },
                350: { cluster.dropResponses(to: .produce, count: 2) },
            ])
    }

    /// Many lost answers, each closing a connection with up to five requests in flight, while later batches of
    /// the same partitions are acknowledged: the producer must never send a batch that would make the broker
    /// forget an unresolved one (a CI run once saw duplicates and OUT_OF_ORDER failures here).
    @Test func manyLostAnswersNeverOutrunTheBrokersDuplicateWindow() async throws {
        let producer = try makeProducer(["request.timeout.ms": "400", "delivery.timeout.ms": "60000"])
        let cluster = self.cluster
        var actions: [Int: @Sendable () async throws -> Void] = [:]
        for index in stride(from: 50, to: 2000, by: 100) {
            actions[index] = { cluster.dropResponses(to: .produce, count: 1 + index % 3) }
        }
        try await run(2000, producer: producer, actions: actions)
    }

    /// Every broker's connections dropped in turn mid-stream: answers lost with them are resent and
    /// deduplicated by the broker; exactly once, in order.
    @Test(arguments: [1, 5])
    func disconnectsOfEveryBrokerAreSurvivedExactlyOnce(inFlight: Int) async throws {
        let producer = try makeProducer([
            "reconnect.backoff.ms": "10", "reconnect.backoff.max.ms": "50",
            "max.in.flight.requests.per.connection": "\(inFlight)",
        ])
        let cluster = self.cluster
        var actions: [Int: @Sendable () async throws -> Void] = [:]
        for (step, broker) in [Int32(1), 2, 3].enumerated() {
            actions[100 + step * 150] = { await cluster.dropConnections(broker: broker) }
        }
        try await run(600, producer: producer, actions: actions)
    }

    @Test func leadersMovedTwiceMidStreamAreFollowedInOrder() async throws {
        let producer = try makeProducer()
        let cluster = self.cluster
        let topic = self.topic
        try await run(
            800, producer: producer,
            actions: [
                300: {
                    for partition in Int32(0)..<6 {
                        try cluster.moveLeader(topic: topic, partition: partition, to: partition % 3 + 1)
                    }
                    for partition in Int32(0)..<6 {
                        try cluster.moveLeader(topic: topic, partition: partition, to: (partition + 1) % 3 + 1)
                    }
                }
            ])
    }

    /// A killed broker is noticed only when its ZooKeeper session expires: meanwhile the metadata still names it
    /// as the leader, and its port refuses connections. Batches for it wait in the accumulator (a refused
    /// connection is not an attempt, so `retries=3` is no limit here) and none fails; the fault fired: the
    /// producer's connections were refused.
    @Test func aKilledBrokerNoticedLateFailsNothing() async throws {
        let metrics = TestMetrics()
        let producer = try KafkaProducer(
            configuration: try KafkaProducerConfiguration(properties: [
                "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "2", "retry.backoff.ms": "20",
                "batch.size": "2000", "retries": "3", "client.id": "late-notice", "reconnect.backoff.ms": "20",
                "reconnect.backoff.max.ms": "200",
            ]), metricsFactory: metrics)
        let cluster = self.cluster
        try await run(
            800, producer: producer,
            actions: [
                300: { try await cluster.stopBroker(2, noticedAfter: .milliseconds(1500)) },
                // Records keep coming while the broker is gone and not yet noticed.
                450: { try await Task.sleep(for: .milliseconds(1200)) },
                650: { try await cluster.startBroker(2) },
            ])
        let refused = try metrics.expectCounter(
            "kafka_client_connection_failures_total", [("client_id", "late-notice")]
        ).totalValue
        #expect(refused > 0, "no connection was refused: the fault did not fire")
    }

    @Test func aBrokerStoppedMidStreamHandsItsPartitionsOver() async throws {
        let producer = try makeProducer(["reconnect.backoff.ms": "10", "reconnect.backoff.max.ms": "50"])
        let cluster = self.cluster
        try await run(
            800, producer: producer,
            actions: [
                300: { try await cluster.stopBroker(2) },
                600: { try await cluster.startBroker(2) },
            ])
    }
}
