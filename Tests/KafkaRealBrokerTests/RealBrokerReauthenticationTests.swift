import Foundation
import KafkaConsumer
import KafkaNetwork
import KafkaProducer
import KafkaTestSupport
import MetricsTestKit
import NIOCore
import Testing

/// SASL re-authentication (KIP-368) against Kafka 2.3.0's SASL_REAUTH listener, whose sessions end after
/// `connections.max.reauth.ms` (a few seconds; `Tools/kafka-broker.sh`).
@Suite("Real broker: SASL re-authentication (KIP-368)", .timeLimit(.minutes(5)))
struct RealBrokerReauthenticationTests {
    /// A raw client that authenticates with PLAIN (SaslHandshake v1, SaslAuthenticate v1), prints the session
    /// lifetime, sends a Metadata request (`answered` when answered), waits past the lifetime without
    /// re-authenticating and sends another: `answered`, or `closed` when the broker closed the connection, or
    /// `no answer` within 10 s (Kafka 2.3.0 drops the request of an expired session and leaves the socket open).
    static let staleClient = #"""
        import socket, struct, sys, time
        host, port = sys.argv[1], int(sys.argv[2])
        s = socket.create_connection((host, port), timeout=30)
        def request(api, version, cid, body):
            header = struct.pack(">hhih", api, version, cid, 5) + b"stale"
            s.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        def response():
            head = b""
            while len(head) < 4:
                chunk = s.recv(4 - len(head))
                if not chunk: return None
                head += chunk
            size = struct.unpack(">i", head)[0]
            data = b""
            while len(data) < size:
                chunk = s.recv(size - len(data))
                if not chunk: return None
                data += chunk
            return data[4:]
        request(17, 1, 1, struct.pack(">h", 5) + b"PLAIN")
        assert struct.unpack(">h", response()[:2])[0] == 0
        token = b"\0alice\0alice-secret"
        request(36, 1, 2, struct.pack(">i", len(token)) + token)
        body = response()
        assert struct.unpack(">h", body[:2])[0] == 0, body
        at = 2
        length = struct.unpack(">h", body[at:at + 2])[0]; at += 2 + max(length, 0)
        length = struct.unpack(">i", body[at:at + 4])[0]; at += 4 + max(length, 0)
        lifetime = struct.unpack(">q", body[at:at + 8])[0]
        print("lifetime", lifetime, flush=True)
        request(3, 0, 3, struct.pack(">i", 0))
        print("answered" if response() is not None else "closed", flush=True)
        time.sleep(lifetime / 1000 + 1.5)
        s.settimeout(10)
        request(3, 0, 4, struct.pack(">i", 0))
        try:
            print("answered" if response() is not None else "closed")
        except ConnectionResetError:
            print("closed")
        except socket.timeout:
            print("no answer")
        """#

    @Test("a client that does not re-authenticate is refused once its session expired (no answer, or closed)")
    func brokerEnforcesTheSessionLifetime() async throws {
        let broker = try await RealKafkaBroker.shared()
        let parts = broker.saslReauthBootstrapServers.split(separator: ":")
        let outcome = try await ChildProcess.run(
            "/usr/bin/env", ["python3", "-c", Self.staleClient, String(parts[0]), String(parts[1])],
            timeout: .seconds(90))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        let lifetime = lines.first.flatMap { Int64($0.split(separator: " ").last ?? "") } ?? 0
        #expect(lifetime > 0 && lifetime <= broker.reauthenticationInterval.clampedMilliseconds, "\(lines)")
        #expect(lines.count == 3 && lines[1] == "answered", "within its session it is served: \(outcome.stdout)")
        #expect(lines.last == "closed" || lines.last == "no answer", "\(outcome.stdout)")
    }

    @Test(
        "our producer and consumer keep working across re-authentications, nothing lost",
        arguments: ["PLAIN", "SCRAM-SHA-512", "OAUTHBEARER"])
    func producerAndConsumerReauthenticate(mechanism: String) async throws {
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("reauth-\(mechanism.lowercased())")
        try await RealBroker.createTopic(topic, on: broker)
        let metrics = TestMetrics()
        var sasl = [
            "bootstrap.servers": broker.saslReauthBootstrapServers, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": mechanism,
        ]
        if mechanism == "OAUTHBEARER" {
            // Unsecured tokens that live ten seconds: the token cache replaces them during the run, and Kafka ends
            // a session no later than its token's expiry, so later re-authentications need the fresh tokens.
            sasl["sasl.jaas.config"] =
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                + #"unsecuredLoginStringClaim_sub="alice" unsecuredLoginLifetimeSeconds="10";"#
        } else {
            sasl["sasl.username"] = "alice"
            sasl["sasl.password"] = "alice-secret"
        }
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(properties: sasl.merging(["acks": "all"]) { $1 }),
            metricsFactory: metrics)
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                properties: sasl.merging(["auto.offset.reset": "earliest"]) { $1 }),
            metricsFactory: metrics)
        try consumer.assign([TopicPartition(topic: topic, partition: 0)])
        // Four session lifetimes: every connection re-authenticates at least three times.
        let duration = broker.reauthenticationInterval * 4
        async let produced = Self.produceSteadily(producer, topic: topic, for: duration)
        var received: [String] = []
        let start = ContinuousClock.now
        let end = start + duration
        // Every connection sends one SaslHandshake when it is set up and one per re-authentication attempt. At 60 %
        // of a session's lifetime, before any re-authentication (the earliest comes at 85 %), the handshakes so far
        // are the connections the clients need (a fixed two seconds missed connections a loaded CI machine set up
        // later); a later one that is neither a re-authentication nor one of those is a connection that failed.
        var earlySetups: Int64?
        let baseline = start + broker.reauthenticationInterval * 0.6
        while ContinuousClock.now < end {
            received += try await consumer.poll(timeout: .milliseconds(500)).map(Self.value)
            if earlySetups == nil, ContinuousClock.now >= baseline {
                earlySetups = Self.handshakes(metrics)
            }
        }
        let sent = try await produced
        let deadline = ContinuousClock.now + .seconds(30)
        while received.count < sent.count, ContinuousClock.now < deadline {
            received += try await consumer.poll(timeout: .milliseconds(500)).map(Self.value)
        }
        await consumer.close()
        await producer.close()

        #expect(sent.count >= 20, "the producer kept producing: \(sent.count)")
        #expect(received == sent, "no record lost, duplicated or reordered")
        let counted = metrics.counterTotal(label: "kafka_client_reauthentications_total")
        #expect(counted >= 3, "re-authentications: \(counted)")
        let setups = Self.handshakes(metrics) - counted
        #expect(setups == earlySetups, "no re-authentication failed and no connection was replaced")
        #expect(metrics.counterTotal(label: "kafka_client_connection_failures_total") == 0)
    }

    /// The SaslHandshake requests the clients sent.
    static func handshakes(_ metrics: TestMetrics) -> Int64 {
        metrics.counterTotal(label: "kafka_client_requests_total", dimensions: [("api", "SaslHandshake")])
    }

    static func value(_ record: ConsumerRecord) -> String {
        record.value.map { String(buffer: $0) } ?? "<null>"
    }

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
}
