import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

@testable import KafkaAdmin

/// Listing, describing and deleting consumer groups on the dev cluster, with a `kcat -G` member
/// for an active group and offset-only groups made with `alterConsumerGroupOffsets`.
@Suite("Admin: consumer groups", .timeLimit(.minutes(2)))
struct AdminGroupsTests {
    static let topic = "events"
    static let simpleGroups = (1...5).map { "simple-\($0)" }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    static func eventually(
        timeout: Duration = .seconds(20), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    /// Starts a `kcat -G` member of `group` reading `topic` with the range assignor.
    static func startMember(_ cluster: DevCluster, group: String, topic: String) throws -> KcatGroupConsumer {
        try KcatGroupConsumer(
            bootstrap: cluster.bootstrapServers, group: group, topics: [topic],
            properties: [
                "client.id": "kcat-member", "partition.assignment.strategy": "range",
                "auto.offset.reset": "earliest", "enable.auto.commit": "false",
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "200",
            ])
    }

    /// Makes an Empty, offset-only group by committing an offset for it.
    static func makeSimpleGroup(_ admin: KafkaAdminClient, _ group: String) async throws {
        let results = try await admin.alterConsumerGroupOffsets(
            group, offsets: [TopicPartitionKey(topic: topic, partition: 0): 1])
        #expect(results.count == 1)
        #expect(results.values.allSatisfy { (try? $0.get()) != nil }, "\(results)")
    }

    @Test("list, describe and delete groups with an active kcat member", .enabled(if: Kcat.runsTests))
    func listDescribeDelete() async throws {
        try await AdminTests.withAdmin(topics: [Self.topic: 4]) { cluster, admin in
            let member = try Self.startMember(cluster, group: "active", topic: Self.topic)
            defer { member.kill() }
            for group in Self.simpleGroups { try await Self.makeSimpleGroup(admin, group) }
            #expect(
                try await Self.eventually { member.assignment.count == 4 },
                "kcat got every partition\n\(member.stderr)")
            // kcat saw its assignment: the coordinator is Stable (it answered SyncGroup).
            #expect(
                try await Self.eventually {
                    let description = try await admin.describeConsumerGroups(["active"])["active"]
                    return (try? description?.get())?.state == "Stable"
                })

            // Listing: every broker lists the groups it coordinates; the answers are merged.
            let all = try await admin.listConsumerGroups()
            #expect(all.map(\.groupId) == ["active"] + Self.simpleGroups)
            #expect(
                all.first { $0.groupId == "active" }
                    == .init(groupId: "active", protocolType: "consumer", state: "Stable"))
            for listing in all where listing.groupId != "active" {
                #expect(listing.state == "Empty")
                #expect(listing.isSimpleConsumerGroup)
            }
            #expect(try await admin.listConsumerGroups(states: ["Stable"]).map(\.groupId) == ["active"])
            #expect(try await admin.listConsumerGroups(states: ["empty"]).map(\.groupId) == Self.simpleGroups)
            #expect(try await admin.listConsumerGroups(states: ["PreparingRebalance"]).isEmpty)

            // Describing.
            let described = try await admin.describeConsumerGroups(["active", "simple-1", "missing"])
            #expect(described.count == 3)
            let active = try #require(try described["active"]?.get())
            #expect(active.state == "Stable")
            #expect(active.protocolType == "consumer")
            #expect(active.partitionAssignor == "range")
            let coordinator = try await admin.cluster.coordinator(for: "active", type: .group)
            #expect(active.coordinator == coordinator)
            #expect(active.members.count == 1)
            let kcatMember = try #require(active.members.first)
            #expect(kcatMember.clientId == "kcat-member")
            #expect(!kcatMember.memberId.isEmpty)
            #expect(!kcatMember.clientHost.isEmpty)
            #expect(kcatMember.groupInstanceId == nil)
            #expect(kcatMember.assignment == (0..<4).map { TopicPartitionKey(topic: Self.topic, partition: $0) })

            let simple = try #require(try described["simple-1"]?.get())
            #expect(simple.state == "Empty")
            #expect(simple.members.isEmpty)
            #expect(simple.isSimpleConsumerGroup)
            let missing = try #require(try described["missing"]?.get())
            #expect(missing.state == "Dead")
            #expect(missing.members.isEmpty)

            // The groups are spread over several coordinators, so the listing above merged brokers.
            let coordinators = try await admin.describeConsumerGroups(["active"] + Self.simpleGroups)
                .values.compactMap { try? $0.get().coordinator.nodeID }
            #expect(Set(coordinators).count > 1, "coordinators: \(coordinators)")

            // Deleting: the group with a member is refused, the others are handled on their own.
            let deleted = try await admin.deleteConsumerGroups(["active", "simple-1", "missing"])
            #expect(deleted.count == 3)
            #expect(Self.code(deleted["active"]) == .nonEmptyGroup)
            #expect(Self.code(deleted["simple-1"]) == KafkaErrorCode.none)
            #expect(Self.code(deleted["missing"]) == .groupIdNotFound)
            #expect(!(try await admin.listConsumerGroups()).map(\.groupId).contains("simple-1"))

            // Once the member leaves, the group is Empty and can be deleted.
            let exit = await member.stop()
            #expect(exit == .exited(0), "kcat left the group\n\(member.stderr)")
            #expect(
                try await Self.eventually {
                    (try? await admin.describeConsumerGroups(["active"])["active"]?.get())?.state == "Empty"
                })
            #expect(Self.code(try await admin.deleteConsumerGroups(["active"])["active"]) == KafkaErrorCode.none)
            #expect(try await admin.listConsumerGroups().map(\.groupId) == Array(Self.simpleGroups.dropFirst()))
        }
    }

    @Test("coordinator errors are retried after a new lookup")
    func coordinatorErrorsAreRetried() async throws {
        try await AdminTests.withAdmin(topics: [Self.topic: 2]) { cluster, admin in
            try await Self.makeSimpleGroup(admin, "g")
            cluster.failNext(.describeGroups, count: 2, error: .notCoordinator)
            let described = try await admin.describeConsumerGroups(["g"])
            #expect((try described["g"]?.get())?.state == "Empty")
            cluster.failNext(.deleteGroups, error: .coordinatorLoadInProgress)
            #expect(Self.code(try await admin.deleteConsumerGroups(["g"])["g"]) == KafkaErrorCode.none)
            cluster.failNext(.listGroups, error: .coordinatorLoadInProgress)
            #expect(try await admin.listConsumerGroups().isEmpty)
        }
    }

    @Test("an empty request asks nothing")
    func emptyRequests() async throws {
        try await AdminTests.withAdmin(brokers: 1) { _, admin in
            let described = try await admin.describeConsumerGroups([])
            let deleted = try await admin.deleteConsumerGroups([])
            let listed = try await admin.listConsumerGroups()
            #expect(described.isEmpty)
            #expect(deleted.isEmpty)
            #expect(listed.isEmpty)
        }
    }

    @Test("member assignments decode defensively")
    func assignmentDecoding() throws {
        func bytes(_ values: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: values) }
        #expect(ConsumerAssignmentDecoder.partitions(from: ByteBuffer()).isEmpty)
        #expect(ConsumerAssignmentDecoder.partitions(from: bytes([0])).isEmpty)
        #expect(ConsumerAssignmentDecoder.partitions(from: bytes([0xFF, 0xFF, 1, 2, 3])).isEmpty)
        // Version 1: one topic "t" with partitions 2 and 0, null user data.
        var valid = ByteBuffer()
        valid.writeInteger(Int16(1))
        try ConsumerProtocolAssignment(
            assignedPartitions: [.init(topic: "t", partitions: [2, 0])], userData: nil
        ).encode(into: &valid, version: 1)
        #expect(
            ConsumerAssignmentDecoder.partitions(from: valid) == [
                TopicPartitionKey(topic: "t", partition: 0), TopicPartitionKey(topic: "t", partition: 2),
            ])
        // Truncated: no trap, no partitions.
        var truncated = valid
        truncated.moveWriterIndex(to: valid.writerIndex - 3)
        #expect(ConsumerAssignmentDecoder.partitions(from: truncated).isEmpty)
        // A huge array count.
        #expect(ConsumerAssignmentDecoder.partitions(from: bytes([0, 0, 0x7F, 0xFF, 0xFF, 0xFF])).isEmpty)
        // A newer version with trailing fields decodes with the newest known layout.
        var newer = ByteBuffer()
        newer.writeInteger(Int16(9))
        try ConsumerProtocolAssignment(assignedPartitions: [.init(topic: "u", partitions: [1])]).encode(
            into: &newer, version: 3)
        newer.writeInteger(Int32(42))
        #expect(ConsumerAssignmentDecoder.partitions(from: newer) == [TopicPartitionKey(topic: "u", partition: 1)])
    }

    /// The error code of a result: `.none` for success, nil for no result.
    static func code<T>(_ result: Result<T, AdminError>?) -> KafkaErrorCode? {
        switch result {
        case .success?: KafkaErrorCode.none
        case .failure(let error)?: error.code
        case nil: nil
        }
    }
}
