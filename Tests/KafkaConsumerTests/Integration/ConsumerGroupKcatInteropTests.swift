import KafkaConsumer
import KafkaNetwork
import KafkaTestSupport
import Testing

@testable import KafkaDevCluster

/// Interop: one consumer group mixing our consumers with a `kcat -G` consumer (librdkafka's balanced consumer), on
/// the dev cluster. Both clients must agree on the assignment whichever of them is the group leader (the leader runs
/// the assignor for everyone): together they cover every partition, no partition twice, and every record produced
/// once the group is stable reaches exactly one side.
@Suite(
    "Consumer groups mixing our consumers and kcat -G", .enabled(if: Kcat.runsTests, "kcat is not installed"),
    .timeLimit(.minutes(2)))
struct ConsumerGroupKcatInteropTests {
    static let topic = "mixed"
    static let partitionCount: Int32 = 6
    static let allPartitions = Set((0..<partitionCount).map { TopicPartition(topic: topic, partition: $0) })

    static func values(_ range: Range<Int>) -> [String] { range.map { "v\($0)" } }

    /// Who joins the group first, and so leads it and runs the assignor.
    enum Leader: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case ours
        case kcat
        var testDescription: String { "\(rawValue) first" }
    }

    /// Two of our consumers and one `kcat -G` consumer, with the same assignment strategy, share six partitions.
    @Test(arguments: ["range", "cooperative-sticky"], Leader.allCases)
    func ourConsumersAndKcatShareThePartitions(strategy: String, leader: Leader) async throws {
        try await ConsumerTests.withCluster(topics: [Self.topic: Self.partitionCount]) { cluster in
            let log = GroupLog()
            let group = "mixed-\(strategy)-\(leader.rawValue)"
            func member(_ name: String) throws -> GroupMember {
                try GroupMember(
                    name, cluster: cluster, group: group, topics: [Self.topic], log: log,
                    properties: ["partition.assignment.strategy": strategy])
            }
            func startKcat() throws -> KcatGroupConsumer {
                try KcatGroupConsumer(
                    bootstrap: cluster.bootstrapServers, group: group, topics: [Self.topic],
                    properties: [
                        "partition.assignment.strategy": strategy, "auto.offset.reset": "earliest",
                        "enable.auto.commit": "true", "auto.commit.interval.ms": "200",
                        "session.timeout.ms": "6000", "heartbeat.interval.ms": "200",
                    ])
            }

            // The first member gets all six partitions (and leads the group); then the others join.
            let a: GroupMember
            let kcat: KcatGroupConsumer
            switch leader {
            case .ours:
                a = try member("a")
                #expect(try await GroupTests.waitUntil { a.consumer.assignment.count == 6 }, "a got everything")
                kcat = try startKcat()
            case .kcat:
                kcat = try startKcat()
                #expect(
                    try await GroupTests.waitUntil { kcat.assignment.count == 6 },
                    "kcat got everything\n\(kcat.stderr)")
                a = try member("a")
            }
            defer { kcat.kill() }
            let b = try member("b")

            func assigned(_ member: GroupMember) -> Set<TopicPartition> { Set(member.consumer.assignment) }
            func kcatPartitions() -> Set<TopicPartition> {
                Set(kcat.assignment.map { TopicPartition(topic: $0.topic, partition: $0.partition) })
            }
            func diagnostics() -> String {
                """
                a: \(assigned(a).sorted()) b: \(assigned(b).sorted()) \
                kcat: \(kcatPartitions().sorted())
                our events: \(log.events)
                kcat stderr:
                \(kcat.stderr)
                """
            }
            /// Three pairwise disjoint assignments of two partitions each, covering the six partitions: balanced,
            /// which both assignors reach. (A cover such as 3/2/1 is only a step of a cooperative rebalance, whose
            /// next round may come more than a few seconds later on a loaded machine.)
            func shared() -> Bool {
                let assignments = [assigned(a), assigned(b), kcatPartitions()]
                return assignments.allSatisfy { $0.count == 2 }
                    && assignments.reduce(into: Set()) { $0.formUnion($1) } == Self.allPartitions
            }
            // Stable: balanced, and still so a second and a half later (no rebalance under way).
            var sharedSince: ContinuousClock.Instant?
            let stable = try await GroupTests.waitUntil(timeout: .seconds(60)) {
                guard shared() else {
                    sharedSince = nil
                    return false
                }
                let since = sharedSince ?? .now
                sharedSince = since
                return ContinuousClock.now - since >= .milliseconds(1500)
            }
            try #require(stable, "the group never settled into two partitions each\n\(diagnostics())")
            let groupState = cluster.core.state.withLockedValue { $0.cluster.groups.groups[group] }
            let leaderClient = groupState.flatMap { state in
                state.members.first { $0.memberID == state.leaderID }?.clientID
            }
            #expect(leaderClient == (leader == .ours ? "a" : "rdkafka"), "the group leader")
            #expect(groupState?.protocolName == strategy)

            let ours = assigned(a).union(assigned(b))
            let theirs = kcatPartitions()
            let kcatRebalances = kcat.rebalanceCount
            let generation = a.consumer.groupMetadata?.generationId

            // Produce to every partition, now that the group is stable.
            let values = Self.values(0..<300)
            try await GroupTests.produce(cluster, topic: Self.topic, values)
            for partition in 0..<Self.partitionCount {
                #expect(
                    (cluster.highWatermark(topic: Self.topic, partition: partition) ?? 0) > 0,
                    "records in partition \(partition)")
            }
            func kcatValues() -> [String] { kcat.records.map(\.value) }
            let received = try await GroupTests.waitUntil(timeout: .seconds(30)) {
                log.distinctValues.union(kcatValues()).count == values.count
            }
            // Give a duplicate, if any, the time to show up.
            try await Task.sleep(for: .milliseconds(1000))
            #expect(received, "every record received by one side\n\(diagnostics())")

            // No rebalance since the group was stable.
            #expect(assigned(a).union(assigned(b)) == ours, "\(diagnostics())")
            #expect(kcatPartitions() == theirs && kcat.rebalanceCount == kcatRebalances, "\(diagnostics())")
            #expect(a.consumer.groupMetadata?.generationId == generation)

            let ourRecords = log.processed
            let kcatRecords = kcat.records
            #expect(!ourRecords.isEmpty && !kcatRecords.isEmpty, "both sides received records")
            #expect(Set(ourRecords.map(\.value)).union(kcatRecords.map(\.value)) == Set(values))
            let onBothSides = Set(ourRecords.map(\.value)).intersection(kcatRecords.map(\.value))
            #expect(onBothSides.isEmpty, "received by both sides: \(onBothSides.sorted().prefix(10))")
            #expect(log.duplicates.isEmpty, "ours twice: \(log.duplicates.prefix(10))")
            #expect(kcatRecords.count == Set(kcatRecords.map(\.value)).count, "kcat twice")
            // Each side read only its own partitions.
            #expect(Set(ourRecords.map(\.partition)).isSubset(of: ours))
            #expect(
                Set(kcatRecords.map { TopicPartition(topic: $0.topic, partition: $0.partition) }).isSubset(of: theirs))

            // Hand over: ours leave one at a time (committing in partitionsRevoked), each once the group has
            // settled again, so that no commit races a rebalance. kcat ends up with every partition and resumes at
            // our committed offsets: it receives no record again.
            await a.stop()
            #expect(
                try await GroupTests.waitUntil(timeout: .seconds(30)) {
                    kcatPartitions().union(assigned(b)) == Self.allPartitions
                        && kcatPartitions().isDisjoint(with: assigned(b))
                },
                "b and kcat took over a's partitions\n\(diagnostics())")
            await b.stop()
            #expect(
                try await GroupTests.waitUntil(timeout: .seconds(30)) { kcatPartitions() == Self.allPartitions },
                "kcat took over every partition\n\(diagnostics())")
            #expect(a.error == nil && b.error == nil, "\(String(describing: a.error ?? b.error))")
            try await Task.sleep(for: .milliseconds(1000))
            let kcatAfterHandOver = kcat.records
            #expect(
                kcatAfterHandOver.count == kcatRecords.count,
                "kcat received records again after the hand-over: \(kcatAfterHandOver.dropFirst(kcatRecords.count).prefix(10))"
            )

            // kcat commits and leaves on SIGTERM, and exits 0.
            let exit = await kcat.stop()
            #expect(exit == .exited(0), "kcat \(exit)\n\(kcat.stderr)")

            // Every partition's committed offset is its end: ours committed theirs, kcat committed all.
            let checker = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(properties: [
                    "bootstrap.servers": cluster.bootstrapServers, "group.id": group, "enable.auto.commit": "false",
                ]))
            let committed = try await checker.committed(Self.allPartitions)
            await checker.close()
            for partition in Self.allPartitions.sorted() {
                #expect(
                    committed[partition]??.offset
                        == cluster.highWatermark(topic: Self.topic, partition: partition.partition),
                    "committed offset of \(partition)\n\(diagnostics())")
            }
        }
    }
}
