import Foundation
import KafkaConsumer
import KafkaProducer
import KafkaTestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Consumer groups that mix our consumers with Kafka's `kafka-console-consumer.sh` on the real broker.
@Suite("Real broker: consumer groups shared with Java console consumers", .timeLimit(.minutes(10)))
struct RealBrokerGroupTests {
    /// Each assignor with the name both clients send for it (2.3 has no cooperative-sticky).
    static let assignors: [(ours: String, java: String)] = [
        ("range", "org.apache.kafka.clients.consumer.RangeAssignor"),
        ("roundrobin", "org.apache.kafka.clients.consumer.RoundRobinAssignor"),
        ("sticky", "org.apache.kafka.clients.consumer.StickyAssignor"),
    ]

    /// One of our consumers polling in a task until stopped, collecting the values it read.
    final class OurMember: Sendable {
        let consumer: KafkaConsumer
        private let values = NIOLockedValueBox<[String]>([])
        private let task = NIOLockedValueBox<Task<Void, any Error>?>(nil)

        init(broker: RealKafkaBroker, group: String, topic: String, assignor: String) throws {
            consumer = try KafkaConsumer(
                configuration: RealBroker.consumerConfiguration(
                    broker,
                    [
                        "group.id": group, "partition.assignment.strategy": assignor, "auto.commit.interval.ms": "1000",
                        "session.timeout.ms": "10000", "heartbeat.interval.ms": "1000",
                    ]))
            try consumer.subscribe(topics: [topic])
            let consumer = consumer
            let values = values
            task.withLockedValue {
                $0 = Task {
                    while !Task.isCancelled {
                        let records = try await consumer.poll(timeout: .milliseconds(200))
                        values.withLockedValue { $0 += records.map(\.text) }
                    }
                }
            }
        }

        var read: [String] { values.withLockedValue { $0 } }

        /// Stops polling and leaves the group (committing what was read).
        func leave() async {
            consumer.wakeup()
            task.withLockedValue { $0 }?.cancel()
            _ = await task.withLockedValue { $0 }?.result
            await consumer.close()
        }
    }

    @Test(
        "every record read once by a group of two of ours and two Java console consumers; members leave mid-stream",
        arguments: 0..<3)
    func mixedGroup(assignorIndex: Int) async throws {
        let (ours, java) = Self.assignors[assignorIndex]
        let broker = try await RealKafkaBroker.shared()
        let topic = RealBroker.topic("group-\(ours)")
        let group = "mixed-\(ours)-\(UUID().uuidString.prefix(6))"
        try await RealBroker.createTopic(topic, partitions: 6, on: broker)

        let javaArguments = [
            "--bootstrap-server", broker.bootstrapServers, "--topic", topic, "--group", group,
            "--consumer-property", "partition.assignment.strategy=\(java)",
            "--consumer-property", "auto.offset.reset=earliest",
            "--consumer-property", "auto.commit.interval.ms=1000",
        ]
        let javaMembers = try (0..<2).map { _ in try broker.launchTool("kafka-console-consumer.sh", javaArguments) }
        let ourMembers = try (0..<2).map { _ in
            try OurMember(broker: broker, group: group, topic: topic, assignor: ours)
        }

        let producer = try KafkaProducer(configuration: RealBroker.producerConfiguration(broker, ["linger.ms": "5"]))
        func produce(_ range: Range<Int>) async throws {
            for index in range {
                try await producer.send(ProducerRecord(topic: topic, key: "k\(index)", value: "v\(index)")) { _ in }
            }
            await producer.flush()
        }
        func readSoFar() -> [String] {
            javaMembers.flatMap { $0.stdoutLines.map(String.init) } + ourMembers.flatMap(\.read)
        }
        func waitForCount(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while Set(readSoFar()).count < count && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }

        // Records are produced once all four members are in the group (a JVM takes seconds to join), so that each
        // of them gets partitions.
        let deadline = ContinuousClock.now + .seconds(90)
        var state = ""
        while ContinuousClock.now < deadline {
            let described = try await RealBroker.runOurs(
                "kafka-consumer-groups",
                ["--bootstrap-server", broker.bootstrapServers, "--describe", "--group", group, "--state"])
            state = described.stdout
            let row = state.split(separator: "\n").first { $0.hasPrefix(group) }?.split(separator: " ")
            if let row, row.contains("Stable"), row.last == "4" { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(state.contains("Stable"), "the group never had its four members: \(state)")
        try await produce(0..<1500)
        try await waitForCount(1500)
        // Every member got partitions (the group really is shared).
        #expect(
            javaMembers.allSatisfy { !$0.stdoutLines.isEmpty },
            "a Java member read nothing: \(javaMembers.map { $0.stderr.suffix(1500) })")
        #expect(ourMembers.allSatisfy { !$0.read.isEmpty }, "one of our members read nothing")

        // One member of each kind leaves; the others take over its partitions.
        let javaLeft = try await javaMembers[0].stop(grace: .seconds(30))
        await ourMembers[0].leave()
        try await produce(1500..<3000)
        try await waitForCount(3000)
        await producer.close()
        await ourMembers[1].leave()
        let javaLast = try await javaMembers[1].stop(grace: .seconds(30))

        var all: [String] = javaLeft.stdout.split(separator: "\n").map(String.init)
        all += javaLast.stdout.split(separator: "\n").map(String.init)
        for member in ourMembers { all += member.read }
        var counts: [String: Int] = [:]
        for value in all { counts[value, default: 0] += 1 }
        let missing = (0..<3000).map { "v\($0)" }.filter { counts[$0] == nil }
        let repeated = counts.filter { $0.value > 1 }.keys.sorted()
        #expect(missing.isEmpty, "\(missing.count) records never read, e.g. \(missing.prefix(5))")
        #expect(repeated.isEmpty, "\(repeated.count) records read twice, e.g. \(repeated.prefix(5))")
        #expect(javaLast.stdout.split(separator: "\n").count > 0)
    }
}
