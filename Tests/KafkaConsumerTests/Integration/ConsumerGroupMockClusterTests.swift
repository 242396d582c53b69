import KafkaConsumer
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

/// The group scenarios of `ConsumerGroupTests`, against librdkafka's mock cluster (an independent
/// implementation of the group coordinator: JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
/// OffsetFetch). Records are produced by kcat. Data is kept small: librdkafka 2.0.2's mock stalls on
/// large fetches.
///
/// What librdkafka 2.0.2's mock does differently from a Kafka broker, found by running these tests:
/// - ListOffsets v4+ responses carry 4 stray bytes per partition (see ``mockCluster(brokers:partitions:)``).
/// - OffsetCommit is refused with REBALANCE_IN_PROGRESS whenever the group is joining; a real
///   coordinator accepts commits of the current generation in PreparingRebalance and refuses them only
///   while awaiting SyncGroup. With an eager protocol (range) every member revokes — and commits in
///   `partitionsRevoked` — once it hears of the rebalance, that is while the group is joining, so on the
///   mock those commits fail and the partitions' next owners re-read records: "none twice" cannot hold
///   there, and the test checks it only when no commit was refused (cooperative-sticky revokes after
///   SyncGroup, while the group is stable).
/// - It accepts LeaveGroup v0–v1 only, and also starts every first rebalance of a group after a delay of
///   about 3 s.
///
/// Not covered here: static membership (KIP-345). Whether librdkafka 2.0.2's mock honours
/// `group.instance.id` was not tried; that scenario runs on the dev cluster only.
@Suite("Consumer groups on librdkafka's mock cluster", .timeLimit(.minutes(7)))
struct ConsumerGroupMockClusterTests {
    static let topic = "orders"

    static func values(_ range: Range<Int>) -> [String] { range.map { "v\($0)" } }

    /// A mock cluster of `brokers` brokers with topic ``topic``. ListOffsets is limited to v0–v2:
    /// librdkafka 2.0.2's mock answers v4+ with 4 stray trailing bytes per partition (it writes the
    /// leader epoch as an int64), which the consumer rightly refuses to decode ("ListOffsetsResponse v5:
    /// invalidLength: 4 unexpected trailing bytes"), so it could never reset to the earliest offset.
    static func mockCluster(brokers: Int = 3, partitions: Int) throws -> MockKafkaCluster {
        let cluster = try MockKafkaCluster(brokers: brokers)
        try cluster.setSupportedVersions(.listOffsets, min: 0, max: 2)
        try cluster.createTopic(topic, partitions: partitions, replicationFactor: 3)
        return cluster
    }

    /// Produces `values` with kcat, keyed so that they spread over the partitions.
    static func produce(_ cluster: MockKafkaCluster, _ values: [String]) async throws {
        try await Kcat.produce(
            bootstrap: cluster.bootstrapServers, topic: topic, lines: values.map { "key-\($0):\($0)" },
            keyDelimiter: ":")
    }

    /// Three members over 12 partitions; one is closed and another joins mid-stream. Every record is
    /// processed exactly once, because each member commits in `partitionsRevoked` (unless a member's session
    /// expired and it lost its partitions, which a loaded machine can cause: at-least-once then applies).
    ///
    /// This test found two problems. LeaveGroup could not be encoded at any version (the member id and the
    /// member list were both set). And librdkafka 2.0.2's mock marks the group synced as soon as the leader's
    /// SyncGroup carries every assignment, so a follower whose SyncGroup arrives after the leader's is
    /// answered INVALID_REQUEST; the consumer now rejoins on such unexpected SyncGroup errors, as librdkafka
    /// does, instead of failing for good.
    @Test(arguments: ["range", "cooperative-sticky"])
    func membersLeavingAndJoiningMidStreamProcessEveryRecordOnce(strategy: String) async throws {
        let cluster = try Self.mockCluster(partitions: 12)
        let log = GroupLog()
        func member(_ name: String) throws -> GroupMember {
            try GroupMember(
                name, bootstrap: cluster.bootstrapServers, group: "g-\(strategy)", topics: [Self.topic], log: log,
                properties: ["partition.assignment.strategy": strategy], pollsOnAfterRefusedCommit: true)
        }
        try await Self.produce(cluster, Self.values(0..<150))
        let a = try member("a")
        let b = try member("b")
        let c = try member("c")
        #expect(try await GroupTests.waitUntil { log.distinctValues.count == 150 }, "first part consumed")

        await c.stop()
        let d = try member("d")
        try await Self.produce(cluster, Self.values(150..<300))
        // Each rebalance on the mock waits up to session.timeout.ms - 1 s for members: allow a few in a row. On a
        // loaded machine the mock's quirk above (a follower's SyncGroup after the leader's is refused, and the
        // follower rejoins) can repeat for a dozen rebalances before the joining member gets its partitions.
        #expect(
            try await GroupTests.waitUntil(timeout: .seconds(150)) { log.distinctValues.count == 300 },
            """
            second part consumed; missing: \(Set(Self.values(0..<300)).subtracting(log.distinctValues).sorted().prefix(10)); \
            assignments: \([a, b, d].map { "\($0.name): \($0.consumer.assignment)" }); \
            errors: \([a, b, c, d].map { "\($0.name): \(String(describing: $0.error))" }); events: \(log.events)
            """)
        // Let the rebalance with d finish and d take part.
        #expect(
            try await GroupTests.waitUntil(timeout: .seconds(60)) {
                log.events.contains { if case .assigned("d", let p) = $0 { !p.isEmpty } else { false } }
            }, "d was assigned partitions")
        try await Self.produce(cluster, Self.values(300..<400))
        #expect(
            try await GroupTests.waitUntil(timeout: .seconds(60)) { log.distinctValues.count == 400 },
            """
            third part consumed; missing: \(Set(Self.values(0..<400)).subtracting(log.distinctValues).sorted().prefix(10)); \
            assignments: \([a, b, d].map { "\($0.name): \($0.consumer.assignment)" }); events: \(log.events)
            """)
        for member in [a, b, d] { await member.stop() }

        #expect(log.distinctValues == Set(Self.values(0..<400)))
        // A commit in partitionsRevoked can be refused because the group moved on: the mock refuses every
        // commit while the group is joining (REBALANCE_IN_PROGRESS, which a real coordinator accepts), and on
        // a loaded machine the next generation can be formed before a revoking member commits
        // (ILLEGAL_GENERATION, as with Kafka). The next owner of those partitions then re-reads from the last
        // committed offset (at-least-once), as it does for partitions a member lost when its session expired.
        // Nowhere else may a record be processed twice.
        let failedCommits = log.failedRevokeCommits
        #expect(failedCommits.allSatisfy { $0.groupMovedOn }, "\(failedCommits.prefix(3))")
        let twice = log.unexcusedDuplicates
        #expect(twice.isEmpty, "processed twice: \(twice.prefix(10)); events: \(log.events)")
        for member in [a, b, c, d] {
            #expect(member.error == nil, "\(member.name): \(String(describing: member.error))")
        }
        #expect(Set(log.processed.map(\.member)).isSuperset(of: ["a", "b", "d"]))
    }

    /// The coordinator moves to another broker and heartbeats fail with coordinator errors mid-stream:
    /// the members find the coordinator again and keep consuming, without losing or repeating records.
    @Test func coordinatorMovesAndHeartbeatFailuresAreSurvived() async throws {
        let cluster = try Self.mockCluster(partitions: 6)
        let group = "moving"
        let log = GroupLog()
        let a = try GroupMember(
            "a", bootstrap: cluster.bootstrapServers, group: group, topics: [Self.topic], log: log,
            pollsOnAfterRefusedCommit: true)
        let b = try GroupMember(
            "b", bootstrap: cluster.bootstrapServers, group: group, topics: [Self.topic], log: log,
            pollsOnAfterRefusedCommit: true)
        try await Self.produce(cluster, Self.values(0..<100))
        #expect(try await GroupTests.waitUntil { log.distinctValues.count == 100 })
        #expect(
            try await GroupTests.waitUntil {
                a.consumer.assignment.count + b.consumer.assignment.count == 6
            }, "both members settled")

        // Each coordinator move lands on a broker that differs from the previous one, whichever the mock
        // picked at first (it hashes the group id): 3 then 1, and then 2.
        cluster.pushRequestErrors(.heartbeat, [.notCoordinator, .notCoordinator, .coordinatorNotAvailable])
        try cluster.setCoordinator(.group, key: group, broker: 3)
        try await Task.sleep(for: .seconds(1))
        try await Self.produce(cluster, Self.values(100..<200))
        #expect(try await GroupTests.waitUntil { log.distinctValues.count == 200 })

        try cluster.setCoordinator(.group, key: group, broker: 1)
        cluster.pushRequestErrors(.heartbeat, [.coordinatorNotAvailable, .notCoordinator])
        try await Task.sleep(for: .milliseconds(500))
        try await Self.produce(cluster, Self.values(200..<250))
        try cluster.setCoordinator(.group, key: group, broker: 2)
        try await Self.produce(cluster, Self.values(250..<300))
        #expect(try await GroupTests.waitUntil { log.distinctValues.count == 300 })

        await a.stop()
        await b.stop()
        #expect(log.distinctValues == Set(Self.values(0..<300)))
        // No record twice, unless its partition was lost (heartbeats failing long enough can expire a
        // session on the mock: the member then had no chance to commit, and at-least-once applies), or the
        // commit made when it was revoked was refused because the group moved on (see
        // membersLeavingAndJoiningMidStreamProcessEveryRecordOnce).
        let failedCommits = log.failedRevokeCommits
        #expect(failedCommits.allSatisfy { $0.groupMovedOn }, "\(failedCommits.prefix(3))")
        let twice = log.unexcusedDuplicates
        #expect(twice.isEmpty, "processed twice: \(twice.prefix(10)); events: \(log.events)")
        #expect(a.error == nil, "a: \(String(describing: a.error))")
        #expect(b.error == nil, "b: \(String(describing: b.error))")
    }

    /// Auto-commit: consumer A consumes part of the records and is closed; consumer B of the same group
    /// consumes the rest. Together they see every record.
    ///
    /// Which records may both see: auto-commit alone would leave at most what A polled within the last
    /// `auto.commit.interval.ms` uncommitted, but `close()` commits A's positions (the positions after
    /// every record a poll returned) before leaving, and B only joins — and fetches its committed
    /// offsets — once A has left. So no record is seen by both, and the test expects none.
    @Test func autoCommitHandsOverWithoutDuplicates() async throws {
        let cluster = try Self.mockCluster(partitions: 4)
        let group = "auto"
        try await Self.produce(cluster, Self.values(0..<200))
        func consumer(_ name: String) throws -> KafkaConsumer {
            try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(properties: [
                    "bootstrap.servers": cluster.bootstrapServers, "group.id": group, "client.id": name,
                    "auto.offset.reset": "earliest", "enable.auto.commit": "true", "auto.commit.interval.ms": "300",
                    "session.timeout.ms": "6000", "heartbeat.interval.ms": "200", "fetch.max.wait.ms": "100",
                    "max.poll.records": "10", "retry.backoff.ms": "50",
                ]))
        }
        func key(_ record: ConsumerRecord) -> String { "\(record.partition)@\(record.offset)" }
        func value(_ record: ConsumerRecord) -> String { record.value.map { String(buffer: $0) } ?? "" }

        let a = try consumer("a")
        try a.subscribe(topics: [Self.topic])
        var seenByA: [String: String] = [:]
        var deadline = ContinuousClock.now + .seconds(30)
        while seenByA.count < 80, ContinuousClock.now < deadline {
            for record in try await a.poll(timeout: .milliseconds(200)) { seenByA[key(record)] = value(record) }
        }
        #expect(seenByA.count >= 80 && seenByA.count < 200, "a consumed part: \(seenByA.count)")
        await a.close()

        let b = try consumer("b")
        try b.subscribe(topics: [Self.topic])
        var seenByB: [String: String] = [:]
        deadline = ContinuousClock.now + .seconds(30)
        while Set(seenByA.values).union(seenByB.values).count < 200, ContinuousClock.now < deadline {
            for record in try await b.poll(timeout: .milliseconds(200)) { seenByB[key(record)] = value(record) }
        }
        await b.close()

        #expect(Set(seenByA.values).union(seenByB.values) == Set(Self.values(0..<200)), "every record consumed")
        let both = Set(seenByA.keys).intersection(seenByB.keys).sorted()
        #expect(both.isEmpty, "seen by both a and b: \(both.count): \(both.prefix(10))")
    }
}
