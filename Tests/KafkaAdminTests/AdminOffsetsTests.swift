import Foundation
import KafkaAdmin
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Testing

/// Committed offsets of groups (list, alter, delete), log offsets (ListOffsets) and record deletion
/// (DeleteRecords) on the dev cluster.
@Suite("Admin: offsets", .timeLimit(.minutes(2)))
struct AdminOffsetsTests {
    static let orders = "orders"

    static func key(_ topic: String, _ partition: Int32) -> TopicPartitionKey {
        TopicPartitionKey(topic: topic, partition: partition)
    }

    /// The error code of a result: `.none` for success, nil for no result.
    static func code<T>(_ result: Result<T, AdminError>?) -> KafkaErrorCode? {
        switch result {
        case .success?: KafkaErrorCode.none
        case .failure(let error)?: error.code
        case nil: nil
        }
    }

    static var nowMs: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    @Test("committed offsets: alter, list and delete round trip")
    func committedOffsetsRoundTrip() async throws {
        try await AdminTests.withAdmin(topics: [Self.orders: 3]) { _, admin in
            let altered = try await admin.alterConsumerGroupOffsets(
                "g",
                offsets: [
                    Self.key(Self.orders, 0): ConsumerGroupOffset(offset: 5, leaderEpoch: 0, metadata: "m0"),
                    Self.key(Self.orders, 1): ConsumerGroupOffset(offset: 7),
                    Self.key("nope", 0): ConsumerGroupOffset(offset: 1),
                ])
            #expect(altered.count == 3)
            #expect(Self.code(altered[Self.key(Self.orders, 0)]) == KafkaErrorCode.none)
            #expect(Self.code(altered[Self.key(Self.orders, 1)]) == KafkaErrorCode.none)
            let refused = altered[Self.key("nope", 0)]
            #expect(Self.code(refused) == .unknownTopicOrPartition)
            if case .failure(let error)? = refused {
                #expect(error.resourceKind == .partition)
                #expect(error.resourceName == "nope-0")
                #expect(error.topicPartition == Self.key("nope", 0))
                #expect(error.api == .offsetCommit)
            }

            let all = try await admin.listConsumerGroupOffsets("g")
            #expect(
                all == [
                    Self.key(Self.orders, 0): ConsumerGroupOffset(offset: 5, leaderEpoch: 0, metadata: "m0"),
                    Self.key(Self.orders, 1): ConsumerGroupOffset(offset: 7),
                ])
            let some = try await admin.listConsumerGroupOffsets(
                "g", partitions: [Self.key(Self.orders, 0), Self.key(Self.orders, 2)])
            #expect(some.keys.sorted() == [Self.key(Self.orders, 0)])
            #expect(try await admin.listConsumerGroupOffsets("unknown-group").isEmpty)

            // Plain offsets overwrite.
            let plain = try await admin.alterConsumerGroupOffsets("g", offsets: [Self.key(Self.orders, 1): 9])
            #expect(Self.code(plain[Self.key(Self.orders, 1)]) == KafkaErrorCode.none)
            #expect(try await admin.listConsumerGroupOffsets("g")[Self.key(Self.orders, 1)]?.offset == 9)

            let deleted = try await admin.deleteConsumerGroupOffsets("g", partitions: [Self.key(Self.orders, 0)])
            #expect(deleted.count == 1)
            #expect(Self.code(deleted[Self.key(Self.orders, 0)]) == KafkaErrorCode.none)
            #expect(try await admin.listConsumerGroupOffsets("g").keys.sorted() == [Self.key(Self.orders, 1)])

            await #expect {
                _ = try await admin.deleteConsumerGroupOffsets("missing", partitions: [Self.key(Self.orders, 0)])
            } throws: { error in
                (error as? AdminError).map {
                    $0.code == .groupIdNotFound && $0.resourceKind == .group && $0.resourceName == "missing"
                } ?? false
            }
        }
    }

    @Test("offsets of an active group cannot be altered", .enabled(if: Kcat.runsTests))
    func activeGroupRefusesAlter() async throws {
        try await AdminTests.withAdmin(topics: [Self.orders: 2]) { cluster, admin in
            let member = try AdminGroupsTests.startMember(cluster, group: "busy", topic: Self.orders)
            defer { member.kill() }
            #expect(
                try await AdminGroupsTests.eventually {
                    (try? await admin.describeConsumerGroups(["busy"])["busy"]?.get())?.state == "Stable"
                }, "kcat joined\n\(member.stderr)")

            let altered = try await admin.alterConsumerGroupOffsets(
                "busy", offsets: [Self.key(Self.orders, 0): 1, Self.key(Self.orders, 1): 1])
            #expect(altered.count == 2)
            for result in altered.values { #expect(Self.code(result) == .unknownMemberId) }

            // The member subscribes to the topic, so its offsets stay.
            let deleted = try await admin.deleteConsumerGroupOffsets("busy", partitions: [Self.key(Self.orders, 0)])
            #expect(Self.code(deleted[Self.key(Self.orders, 0)]) == .groupSubscribedToTopic)

            let exit = await member.stop()
            #expect(exit == .exited(0), "kcat left the group\n\(member.stderr)")
            #expect(
                try await AdminGroupsTests.eventually {
                    (try? await admin.describeConsumerGroups(["busy"])["busy"]?.get())?.state == "Empty"
                })
            let afterwards = try await admin.alterConsumerGroupOffsets("busy", offsets: [Self.key(Self.orders, 0): 1])
            #expect(Self.code(afterwards[Self.key(Self.orders, 0)]) == KafkaErrorCode.none)
        }
    }

    @Test("listOffsets: earliest, latest, by timestamp, max timestamp", .enabled(if: Kcat.runsTests))
    func listOffsets() async throws {
        try await AdminTests.withAdmin(topics: ["log": 1, "spread": 3]) { cluster, admin in
            let before = Self.nowMs
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "log", lines: ["a", "b", "c"])
            try await Task.sleep(for: .milliseconds(30))
            let middle = Self.nowMs
            try await Task.sleep(for: .milliseconds(30))
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "log", lines: ["d", "e", "f"])
            let log = Self.key("log", 0)

            let listed = try await admin.listOffsets([log: .earliest])
            #expect((try listed[log]?.get())?.offset == 0)
            #expect((try await admin.listOffsets([log: .latest])[log]?.get())?.offset == 6)
            #expect(
                (try await admin.listOffsets([log: .latest], isolationLevel: .readCommitted)[log]?.get())?.offset == 6)
            #expect((try await admin.listOffsets([log: .forTimestamp(before)])[log]?.get())?.offset == 0)
            let atMiddle = try #require(try await admin.listOffsets([log: .forTimestamp(middle)])[log]?.get())
            #expect(atMiddle.offset == 3)
            #expect(atMiddle.timestamp >= middle)
            let future = try await admin.listOffsets([log: .forTimestamp(Self.nowMs + 3_600_000)])
            #expect((try future[log]?.get())?.offset == -1)
            let max = try #require(try await admin.listOffsets([log: .maxTimestamp])[log]?.get())
            #expect((3...5).contains(max.offset))
            #expect(max.timestamp >= middle)

            // Partitions with different leaders, and partitions that do not exist, in one call.
            var specs: [TopicPartitionKey: OffsetSpec] = [log: .latest, Self.key("nope", 0): .latest]
            specs[Self.key("log", 7)] = .earliest
            for partition in Int32(0)..<3 { specs[Self.key("spread", partition)] = .latest }
            let leaders = Set((Int32(0)..<3).compactMap { cluster.leader(topic: "spread", partition: $0) })
            #expect(leaders.count > 1, "partitions of 'spread' have different leaders")
            let mixed = try await admin.listOffsets(specs)
            #expect(mixed.count == 6)
            #expect((try mixed[log]?.get())?.offset == 6)
            for partition in Int32(0)..<3 {
                #expect((try mixed[Self.key("spread", partition)]?.get())?.offset == 0)
            }
            #expect(Self.code(mixed[Self.key("nope", 0)]) == .unknownTopicOrPartition)
            #expect(Self.code(mixed[Self.key("log", 7)]) == .unknownTopicOrPartition)

            // A leader error is retried with fresh metadata.
            cluster.failNext(.listOffsets, error: .notLeaderOrFollower)
            #expect((try await admin.listOffsets([log: .latest])[log]?.get())?.offset == 6)
        }
    }

    @Test("deleteRecords moves the low watermark", .enabled(if: Kcat.runsTests))
    func deleteRecords() async throws {
        try await AdminTests.withAdmin(topics: ["log": 1]) { cluster, admin in
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "log", lines: ["a", "b", "c", "d", "e"])
            let log = Self.key("log", 0)

            let deleted = try await admin.deleteRecords([log: 2, Self.key("nope", 0): 1])
            #expect(deleted.count == 2)
            #expect((try deleted[log]?.get()) == 2)
            #expect(Self.code(deleted[Self.key("nope", 0)]) == .unknownTopicOrPartition)
            #expect((try await admin.listOffsets([log: .earliest])[log]?.get())?.offset == 2)
            #expect((try await admin.listOffsets([log: .latest])[log]?.get())?.offset == 5)

            let tooFar = try await admin.deleteRecords([log: 100])
            #expect(Self.code(tooFar[log]) == .offsetOutOfRange)

            cluster.failNext(.deleteRecords, error: .notLeaderOrFollower)
            #expect((try await admin.deleteRecords([log: -1])[log]?.get()) == 5)
            #expect((try await admin.listOffsets([log: .earliest])[log]?.get())?.offset == 5)
            let remaining = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "log")
            #expect(remaining.isEmpty)
        }
    }
}
