import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProducer
import MetricsTestKit
import NIOCore
import Testing

/// SASL re-authentication (KIP-368) end to end: the dev cluster ends SASL sessions after eight seconds
/// (`connections.max.reauth.ms`) and closes a connection that sends a request after its session expired, so a
/// producer and a consumer that keep working for 28 seconds without losing a record re-authenticated in time,
/// with PLAIN, SCRAM, and OAUTHBEARER (a fresh token each time). (Eight seconds leave the client 0.4–1.2 s between
/// its re-authentication and the session's end, which the whole suite on a 2-core CI machine needs.)
@Suite(.timeLimit(.minutes(3)))
struct ReauthenticationDevClusterTests {
    /// Produces one record every 100 ms for `duration`, each acknowledged before the next; returns the values.
    static func produceSteadily(_ producer: KafkaProducer, topic: String, for duration: Duration) async throws
        -> [String]
    {
        var values: [String] = []
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            let value = "record-\(values.count)"
            _ = try await producer.send(ProducerRecord(topic: topic, key: nil, value: value))
            values.append(value)
            try await Task.sleep(for: .milliseconds(100))
        }
        return values
    }

    /// Runs the producer and the consumer side by side for `duration`, then reads what is left (up to 30 s).
    /// `early` is the cluster's accepted connections after four seconds, before the first re-authentication (at
    /// 85 % of an eight-second session at the earliest): every connection the clients need is open by then, so a
    /// later connection replaces one that failed.
    static func soak(
        producer: KafkaProducer, consumer: KafkaConsumer, topic: String, duration: Duration, cluster: DevCluster
    ) async throws -> (sent: [String], received: [String], early: Int) {
        try consumer.assign([TopicPartition(topic: topic, partition: 0)])
        let start = ContinuousClock.now
        async let produced = produceSteadily(producer, topic: topic, for: duration)
        var received: [String] = []
        var early: Int?
        let end = start + duration
        while ContinuousClock.now < end {
            received += try await consumer.poll(timeout: .milliseconds(500)).map { ConsumerTests.string($0.value) }
            if early == nil, ContinuousClock.now >= start + .seconds(4) { early = cluster.connectionCount }
        }
        let sent = try await produced
        let deadline = ContinuousClock.now + .seconds(30)
        while received.count < sent.count, ContinuousClock.now < deadline {
            received += try await consumer.poll(timeout: .milliseconds(500)).map { ConsumerTests.string($0.value) }
        }
        return (sent, received, early ?? 0)
    }

    @Test(arguments: ["PLAIN", "SCRAM-SHA-256"])
    func producerAndConsumerKeepWorkingAcrossReauthentications(mechanism: String) async throws {
        var configuration = DevClusterConfiguration()
        configuration.topics = ["reauth": 1]
        configuration.saslMechanisms = ["PLAIN", "SCRAM-SHA-256"]
        configuration.users = ["alice": "alice-secret"]
        configuration.connectionsMaxReauth = .seconds(8)
        try await DevCluster.withRunning(configuration) { cluster in
            let metrics = TestMetrics()
            let sasl = [
                "bootstrap.servers": cluster.bootstrapServers, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": mechanism, "sasl.username": "alice", "sasl.password": "alice-secret",
            ]
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    properties: sasl.merging(["client.id": "reauth-producer", "acks": "all"]) { $1 }),
                metricsFactory: metrics)
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(
                    properties: sasl.merging(["client.id": "reauth-consumer", "auto.offset.reset": "earliest"]) {
                        $1
                    }),
                metricsFactory: metrics)
            let outcome = try await Self.soak(
                producer: producer, consumer: consumer, topic: "reauth", duration: .seconds(28), cluster: cluster)
            await consumer.close()
            await producer.close()

            #expect(outcome.sent.count >= 20, "the producer kept producing")
            #expect(outcome.received == outcome.sent, "no record lost, duplicated or reordered")
            // Connections re-authenticated in time: on a quiet machine none outlives its session. The whole suite on
            // a 2-core CI machine can stall an event loop past a session's last second, so one late connection in
            // three re-authentications is tolerated there (without re-authentication every connection is closed at
            // each session's end: 14 closes and no re-authentication in the same run), and only connections closed
            // that way may have been replaced.
            let late = cluster.expiredSessionsClosed
            #expect(late * 3 < cluster.reauthenticationCount, "\(late) connections outlived their sessions")
            #expect(
                cluster.connectionCount - outcome.early <= late,
                "no connection failed and was replaced (\(outcome.early) open after 4 s, \(cluster.connectionCount) at the end, \(late) closed late)"
            )
            #expect(cluster.reauthenticationCount >= 3, "the broker saw \(cluster.reauthenticationCount)")
            let counted = metrics.counterTotal(label: "kafka_client_reauthentications_total")
            #expect(counted >= 3, "the clients counted \(counted)")
            #expect(counted <= Int64(cluster.reauthenticationCount), "a client counts only the answers it read")
            #expect(metrics.counterTotal(label: "kafka_client_connection_failures_total") == 0)
        }
    }

    /// OAUTHBEARER with unsecured tokens that live twelve seconds (the token cache replaces them after about ten) and
    /// eight-second sessions: by the second re-authentication a connection's first token has expired, and the dev
    /// cluster refuses an expired token, so 28 seconds of traffic without a lost record or a failed connection show
    /// that the re-authentications took new tokens from the cache.
    @Test func oauthBearerProducerAndConsumerReauthenticateWithFreshTokens() async throws {
        var configuration = DevClusterConfiguration()
        configuration.topics = ["reauth-oauth": 1]
        configuration.saslMechanisms = ["OAUTHBEARER"]
        configuration.connectionsMaxReauth = .seconds(8)
        try await DevCluster.withRunning(configuration) { cluster in
            let metrics = TestMetrics()
            let jaas =
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                + #"unsecuredLoginStringClaim_sub="alice" unsecuredLoginLifetimeSeconds="12";"#
            let sasl = [
                "bootstrap.servers": cluster.bootstrapServers, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": "OAUTHBEARER", "sasl.jaas.config": jaas,
            ]
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    properties: sasl.merging(["client.id": "reauth-oauth-producer", "acks": "all"]) { $1 }),
                metricsFactory: metrics)
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(
                    properties: sasl.merging([
                        "client.id": "reauth-oauth-consumer", "auto.offset.reset": "earliest",
                    ]) { $1 }),
                metricsFactory: metrics)
            let outcome = try await Self.soak(
                producer: producer, consumer: consumer, topic: "reauth-oauth", duration: .seconds(28),
                cluster: cluster)
            await consumer.close()
            await producer.close()

            #expect(outcome.sent.count >= 20, "the producer kept producing")
            #expect(outcome.received == outcome.sent, "no record lost, duplicated or reordered")
            // Connections re-authenticated in time: on a quiet machine none outlives its session. The whole suite on
            // a 2-core CI machine can stall an event loop past a session's last second, so one late connection in
            // three re-authentications is tolerated there (without re-authentication every connection is closed at
            // each session's end: 14 closes and no re-authentication in the same run), and only connections closed
            // that way may have been replaced.
            let late = cluster.expiredSessionsClosed
            #expect(late * 3 < cluster.reauthenticationCount, "\(late) connections outlived their sessions")
            #expect(
                cluster.connectionCount - outcome.early <= late,
                "no connection failed and was replaced (\(outcome.early) open after 4 s, \(cluster.connectionCount) at the end, \(late) closed late)"
            )
            #expect(cluster.reauthenticationCount >= 3, "the broker saw \(cluster.reauthenticationCount)")
            let counted = metrics.counterTotal(label: "kafka_client_reauthentications_total")
            #expect(counted >= 3, "the clients counted \(counted)")
            #expect(counted <= Int64(cluster.reauthenticationCount), "a client counts only the answers it read")
            #expect(metrics.counterTotal(label: "kafka_client_connection_failures_total") == 0)
        }
    }
}
