import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

/// Consumer groups on the dev cluster (a real classic group coordinator): members joining and leaving
/// mid-stream, both rebalance protocols, static membership, coordinator moves, poll timeouts, patterns.
/// Records are produced by kcat; every test checks that each record was processed, and — with commits in
/// `partitionsRevoked` — none twice.
@Suite("Consumer groups on the dev cluster", .timeLimit(.minutes(2)))
struct ConsumerGroupTests {
    static let topic = "orders"

    static func values(_ range: Range<Int>) -> [String] { range.map { "v\($0)" } }

    /// Three members over 12 partitions; one leaves and another joins mid-stream. Every record is
    /// processed exactly once, because each member commits in `partitionsRevoked` (see
    /// ``GroupLog/unexcusedDuplicates`` for what a loaded machine can make at-least-once).
    @Test(arguments: ["range", "cooperative-sticky", "roundrobin", "sticky"])
    func membersLeavingAndJoiningMidStreamProcessEveryRecordOnce(strategy: String) async throws {
        try await ConsumerTests.withCluster(topics: [Self.topic: 12]) { cluster in
            let log = GroupLog()
            let properties = ["partition.assignment.strategy": strategy]
            try await GroupTests.produce(cluster, topic: Self.topic, Self.values(0..<600))
            func member(_ name: String) throws -> GroupMember {
                try GroupMember(
                    name, cluster: cluster, group: "g-\(strategy)", topics: [Self.topic], log: log,
                    properties: properties)
            }
            let a = try member("a")
            let b = try member("b")
            let c = try member("c")
            #expect(try await GroupTests.waitUntil { log.distinctValues.count == 600 }, "first half consumed")

            await c.stop()
            let d = try member("d")
            try await GroupTests.produce(cluster, topic: Self.topic, Self.values(600..<1200))
            #expect(try await GroupTests.waitUntil { log.distinctValues.count == 1200 }, "second half consumed")
            // Let the rebalance with d finish and d take part.
            #expect(
                try await GroupTests.waitUntil {
                    log.events.contains { if case .assigned("d", let p) = $0 { !p.isEmpty } else { false } }
                })
            try await GroupTests.produce(cluster, topic: Self.topic, Self.values(1200..<1500))
            #expect(try await GroupTests.waitUntil { log.distinctValues.count == 1500 }, "third part consumed")
            for member in [a, b, d] { await member.stop() }

            #expect(log.distinctValues == Set(Self.values(0..<1500)))
            let failedCommits = log.failedRevokeCommits
            #expect(failedCommits.allSatisfy { $0.groupMovedOn }, "\(failedCommits.prefix(3))")
            let twice = log.unexcusedDuplicates
            #expect(twice.isEmpty, "processed twice: \(twice.prefix(10)); events: \(log.events)")
            for member in [a, b, c, d] {
                #expect(member.error == nil, "\(member.name): \(String(describing: member.error))")
            }
            #expect(Set(log.processed.map(\.member)).isSuperset(of: ["a", "b", "d"]))
            if strategy == "cooperative-sticky" {
                // KIP-429: when d joined, the members that kept consuming revoked only what moved.
                let revokedByA = log.events.compactMap { event -> [TopicPartition]? in
                    if case .revoked("a", let partitions) = event { partitions } else { nil }
                }
                #expect(revokedByA.allSatisfy { $0.count < 12 }, "\(revokedByA)")
            }
        }
    }

    /// A static member that restarts within the session timeout gets its partitions back without a
    /// rebalance: the other member hears nothing and its generation does not change (KIP-345).
    @Test func staticMemberRestartCausesNoRebalance() async throws {
        try await ConsumerTests.withCluster(topics: [Self.topic: 4]) { cluster in
            let log = GroupLog()
            func member(_ name: String) throws -> GroupMember {
                try GroupMember(
                    name, cluster: cluster, group: "static", topics: [Self.topic], log: log,
                    properties: ["group.instance.id": "instance-\(name)", "session.timeout.ms": "10000"])
            }
            let a = try member("a")
            try await Task.sleep(for: .milliseconds(300))
            let b = try member("b")
            #expect(
                try await GroupTests.waitUntil {
                    a.consumer.assignment.count == 2 && b.consumer.assignment.count == 2
                })
            let generation = try #require(a.consumer.groupMetadata).generationId
            let eventsBefore = log.events.filter { if case .assigned("a", _) = $0 { true } else { false } }.count
            let partitionsOfB = b.consumer.assignment
            await b.stop()
            let b2 = try member("b")
            #expect(try await GroupTests.waitUntil { b2.consumer.assignment == partitionsOfB })
            try await GroupTests.produce(cluster, topic: Self.topic, Self.values(0..<100))
            #expect(try await GroupTests.waitUntil { log.distinctValues.count == 100 })
            #expect(a.consumer.groupMetadata?.generationId == generation, "no new generation")
            let eventsAfter = log.events.filter { if case .assigned("a", _) = $0 { true } else { false } }.count
            #expect(eventsAfter == eventsBefore, "a was not rebalanced")
            await a.stop()
            await b2.stop()
        }
    }

    /// The coordinator moves to another broker and heartbeats fail with coordinator errors: the members
    /// find it again and keep consuming, without losing or repeating records.
    @Test func coordinatorMovesAndHeartbeatFailuresAreSurvived() async throws {
        try await ConsumerTests.withCluster(topics: [Self.topic: 6]) { cluster in
            let log = GroupLog()
            let a = try GroupMember("a", cluster: cluster, group: "moving", topics: [Self.topic], log: log)
            let b = try GroupMember("b", cluster: cluster, group: "moving", topics: [Self.topic], log: log)
            try await GroupTests.produce(cluster, topic: Self.topic, Self.values(0..<300))
            #expect(try await GroupTests.waitUntil { log.distinctValues.count == 300 })
            let heartbeats = cluster.requestCount(.heartbeat)
            let lookups = cluster.requestCount(.findCoordinator)
            cluster.failNext(.heartbeat, count: 3, error: .notCoordinator)
            cluster.moveCoordinator(key: "moving", to: 3)
            try await Task.sleep(for: .seconds(1))
            try await GroupTests.produce(cluster, topic: Self.topic, Self.values(300..<600))
            #expect(try await GroupTests.waitUntil { log.distinctValues.count == 600 })
            cluster.moveCoordinator(key: "moving", to: 1)
            cluster.failNext(.heartbeat, count: 2, error: .coordinatorNotAvailable)
            try await Task.sleep(for: .seconds(1))
            try await GroupTests.produce(cluster, topic: Self.topic, Self.values(600..<900))
            #expect(try await GroupTests.waitUntil { log.distinctValues.count == 900 })
            #expect(cluster.requestCount(.heartbeat) > heartbeats + 5, "heartbeats kept going")
            #expect(cluster.requestCount(.findCoordinator) > lookups, "the coordinator was looked up again")
            await a.stop()
            await b.stop()
            #expect(log.duplicates.isEmpty, "\(log.duplicates.prefix(10))")
            #expect(a.error == nil && b.error == nil)
        }
    }

    /// A member that stops polling for longer than `max.poll.interval.ms` leaves the group; the other
    /// member takes all partitions, and the stale member's commit is refused clearly.
    @Test func aMemberThatStopsPollingLeavesAndItsCommitFails() async throws {
        try await ConsumerTests.withCluster(topics: [Self.topic: 4]) { cluster in
            let log = GroupLog()
            let a = try GroupMember("a", cluster: cluster, group: "slow", topics: [Self.topic], log: log)
            let slow = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(properties: [
                    "bootstrap.servers": cluster.bootstrapServers, "group.id": "slow", "enable.auto.commit": "false",
                    "max.poll.interval.ms": "1500", "heartbeat.interval.ms": "200", "session.timeout.ms": "6000",
                ]))
            try slow.subscribe(topics: [Self.topic])
            #expect(
                try await GroupTests.waitUntil {
                    _ = Task { try? await slow.poll(timeout: .milliseconds(1)) }
                    return slow.assignment.count == 2
                })
            // Stop polling `slow`: after 1.5 s it leaves, and `a` gets every partition.
            #expect(try await GroupTests.waitUntil(timeout: .seconds(15)) { a.consumer.assignment.count == 4 })
            await #expect(throws: KafkaConsumerError.self) {
                try await slow.commit([TopicPartition(topic: Self.topic, partition: 0): OffsetAndMetadata(offset: 1)])
            }
            await a.stop()
            await slow.close()
        }
    }

    /// A pattern subscription picks up a matching topic created later (metadata refreshed every 300 ms).
    @Test func patternSubscriptionPicksUpNewTopics() async throws {
        try await ConsumerTests.withCluster(topics: ["events-a": 2, "other": 1]) { cluster in
            let log = GroupLog()
            let member = try GroupMember(
                "p", cluster: cluster, group: "pattern", topics: [], log: log,
                properties: ["metadata.max.age.ms": "300"], pattern: "events-.*")
            #expect(try await GroupTests.waitUntil { member.consumer.assignment.count == 2 })
            try cluster.createTopic("events-b", partitions: 3, replicationFactor: 1)
            #expect(try await GroupTests.waitUntil { member.consumer.assignment.count == 5 })
            #expect(member.consumer.subscription == ["events-a", "events-b"])
            try await GroupTests.produce(cluster, topic: "events-b", Self.values(0..<10))
            try await GroupTests.produce(cluster, topic: "events-a", Self.values(10..<20))
            try await GroupTests.produce(cluster, topic: "other", ["ignored"])
            #expect(try await GroupTests.waitUntil { log.distinctValues.count >= 20 })
            try await Task.sleep(for: .milliseconds(300))
            await member.stop()
            #expect(log.distinctValues == Set(Self.values(0..<20)))
            #expect(member.error == nil)
        }
    }

    /// A subscribed topic created after the group formed is assigned soon after it exists (the metadata is refreshed
    /// with the retry backoff while a subscribed topic has no partitions), not after `metadata.max.age.ms` (5 min).
    @Test func aSubscribedTopicCreatedLaterIsAssignedWithoutWaitingForMetadataMaxAge() async throws {
        try await DevCluster.withRunning(
            brokers: 1, topics: ["present": 1], configure: { $0.autoCreateTopics = false }
        ) { cluster in
            let log = GroupLog()
            let member = try GroupMember(
                "m", cluster: cluster, group: "later", topics: ["present", "later"], log: log,
                properties: ["auto.offset.reset": "earliest"])
            #expect(try await GroupTests.waitUntil { member.consumer.assignment.count == 1 })
            try await Task.sleep(for: .seconds(1))
            #expect(member.consumer.assignment.count == 1, "the topic does not exist yet")
            try cluster.createTopic("later", partitions: 2, replicationFactor: 1)
            #expect(try await GroupTests.waitUntil(timeout: .seconds(45)) { member.consumer.assignment.count == 3 })
            try await GroupTests.produce(cluster, topic: "later", Self.values(0..<10))
            #expect(try await GroupTests.waitUntil(timeout: .seconds(45)) { log.distinctValues.count >= 10 })
            await member.stop()
            #expect(log.distinctValues == Set(Self.values(0..<10)))
            #expect(member.error == nil)
        }
    }

    /// `wakeup()` interrupts a waiting poll; auto-commit commits what was polled, and close commits too.
    @Test func wakeupInterruptsAPollAndAutoCommitCommitsPolledPositions() async throws {
        try await ConsumerTests.withCluster(topics: [Self.topic: 2]) { cluster in
            try await GroupTests.produce(cluster, topic: Self.topic, Self.values(0..<50))
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(properties: [
                    "bootstrap.servers": cluster.bootstrapServers, "group.id": "auto", "auto.offset.reset": "earliest",
                    "auto.commit.interval.ms": "200", "heartbeat.interval.ms": "200",
                ]))
            try consumer.subscribe(topics: [Self.topic])
            var seen = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while seen < 50, ContinuousClock.now < deadline {
                seen += try await consumer.poll(timeout: .seconds(1)).count
            }
            #expect(seen == 50)
            let partitions = Set((0..<2).map { TopicPartition(topic: Self.topic, partition: Int32($0)) })
            try await Task.sleep(for: .milliseconds(400))
            _ = try await consumer.poll(timeout: .milliseconds(10))
            let committed = try await consumer.committed(partitions)
            let total = committed.values.compactMap { $0?.offset }.reduce(0, +)
            #expect(total == 50, "auto-commit committed the polled positions: \(committed)")

            let started = ContinuousClock.now
            let waiting = Task { try await consumer.poll(timeout: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(200))
            consumer.wakeup()
            await #expect(throws: KafkaConsumerError(.wakeup)) { try await waiting.value }
            #expect(ContinuousClock.now - started < .seconds(30), "woken up, not returned at the poll's timeout")
            await consumer.close()
        }
    }

    /// close() sends LeaveGroup: the other member gets every partition long before the closed member's
    /// session (60 s) would expire; unsubscribe() also leaves, and the consumer can subscribe again.
    @Test func closeAndUnsubscribeLeaveTheGroupPromptly() async throws {
        try await ConsumerTests.withCluster(topics: [Self.topic: 4]) { cluster in
            let log = GroupLog()
            let properties = ["session.timeout.ms": "60000"]
            let a = try GroupMember(
                "a", cluster: cluster, group: "leaving", topics: [Self.topic], log: log, properties: properties)
            let b = try GroupMember(
                "b", cluster: cluster, group: "leaving", topics: [Self.topic], log: log, properties: properties)
            #expect(
                try await GroupTests.waitUntil { a.consumer.assignment.count == 2 && b.consumer.assignment.count == 2 })
            let closedAt = ContinuousClock.now
            await b.stop()
            #expect(try await GroupTests.waitUntil(timeout: .seconds(30)) { a.consumer.assignment.count == 4 })
            #expect(ContinuousClock.now - closedAt < .seconds(30), "a took over before b's session expired")

            // unsubscribe() from a polling loop's consumer: stop the loop first (one task polls at a time).
            await a.stop(close: false)
            await a.consumer.unsubscribe()
            #expect(a.consumer.assignment.isEmpty && a.consumer.subscription.isEmpty)
            #expect(
                log.events.contains(.revoked("a", (0..<4).map { TopicPartition(topic: Self.topic, partition: $0) })))
            try a.consumer.subscribe(topics: [Self.topic])
            // stop() woke the consumer up; a wakeup no poll consumed applies to the next one (as in Java).
            _ = try? await a.consumer.poll(timeout: .milliseconds(1))
            var polls = 0
            while a.consumer.assignment.count != 4 && polls < 100 {
                _ = try await a.consumer.poll(timeout: .milliseconds(100))
                polls += 1
            }
            #expect(a.consumer.assignment.count == 4, "subscribed again")
            await a.consumer.close()
        }
    }

    /// commitAsync returns at once and reports the outcome to its completion; the offsets are then
    /// committed.
    @Test func commitAsyncReportsItsOutcome() async throws {
        try await ConsumerTests.withCluster(topics: [Self.topic: 2]) { cluster in
            try await GroupTests.produce(cluster, topic: Self.topic, Self.values(0..<20))
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(properties: [
                    "bootstrap.servers": cluster.bootstrapServers, "group.id": "async", "auto.offset.reset": "earliest",
                    "enable.auto.commit": "false", "heartbeat.interval.ms": "200",
                ]))
            try consumer.subscribe(topics: [Self.topic])
            var seen = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while seen < 20, ContinuousClock.now < deadline {
                seen += try await consumer.poll(timeout: .seconds(1)).count
            }
            let outcome = AsyncStream.makeStream(
                of: Result<[TopicPartition: OffsetAndMetadata], KafkaConsumerError>.self)
            consumer.commitAsync { result in
                outcome.continuation.yield(result)
                outcome.continuation.finish()
            }
            var iterator = outcome.stream.makeAsyncIterator()
            let result = try #require(await iterator.next())
            let committed = try result.get()
            #expect(committed.values.map(\.offset).reduce(0, +) == 20)
            let stored = try await consumer.committed(Set(committed.keys))
            #expect(stored.values.compactMap { $0?.offset }.reduce(0, +) == 20)
            await consumer.close()
        }
    }
}
