import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups, ListGroups and DeleteGroups through
/// their handlers.
@Suite(.timeLimit(.minutes(5))) struct GroupOffsetsAndAdminTests {
    typealias S = GroupTestSupport

    func harness() -> (HandlerHarness, Int32) {
        var harness = HandlerHarness(brokers: 3)
        harness.state.createTopic("t", partitions: 2, replicationFactor: 1)
        harness.state.createTopic("u", partitions: 1, replicationFactor: 1)
        return (harness, harness.state.coordinator(type: 0, key: "g"))
    }

    func commit(_ offset: Int64, topic: String = "t", partition: Int32 = 0, metadata: String? = "m")
        -> OffsetCommitRequest.OffsetCommitRequestTopic
    {
        .init(
            name: topic,
            partitions: [.init(partitionIndex: partition, committedOffset: offset, committedMetadata: metadata)])
    }

    /// Joins one consumer subscribed to `t` and syncs: a Stable group "g" at generation 1.
    func stableMember(_ h: inout HandlerHarness, _ node: Int32) throws -> String {
        let request = JoinGroupRequest(
            groupId: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: "consumer",
            protocols: [.init(name: "range", metadata: S.subscription(["t"]))])
        let joined = try h.respond(JoinGroupHandler.self, request, version: 3, broker: node)
        _ = try h.respond(
            SyncGroupHandler.self,
            SyncGroupRequest(
                groupId: "g", generationId: 1, memberId: joined.memberId,
                assignments: [.init(memberId: joined.memberId, assignment: S.bytes("A"))]), version: 3, broker: node)
        return joined.memberId
    }

    @Test func simpleCommitsAndFetchesAtEveryShape() throws {
        var (h, node) = harness()
        let v0 = try h.respond(
            OffsetCommitHandler.self, OffsetCommitRequest(groupId: "g", topics: [commit(5), commit(1, topic: "nope")]),
            version: 0, broker: node)
        #expect(
            v0.topics.map { $0.partitions.map(\.errorCode) } == [
                [0], [KafkaErrorCode.unknownTopicOrPartition.rawValue],
            ])
        #expect(h.state.groups.groups["g"]?.state == .empty)
        var v9Request = OffsetCommitRequest(groupId: "g", topics: [commit(7, partition: 1)])
        v9Request.topics[0].partitions[0].committedLeaderEpoch = 3
        _ = try h.respond(OffsetCommitHandler.self, v9Request, version: 9, broker: node)
        let tooLarge = try h.respond(
            OffsetCommitHandler.self,
            OffsetCommitRequest(groupId: "g", topics: [commit(9, metadata: String(repeating: "x", count: 4097))]),
            version: 9, broker: node)
        #expect(tooLarge.topics.first?.partitions.first?.errorCode == KafkaErrorCode.offsetMetadataTooLarge.rawValue)

        let v1 = try h.respond(
            OffsetFetchHandler.self,
            OffsetFetchRequest(
                groupId: "g",
                topics: [.init(name: "t", partitionIndexes: [0, 1]), .init(name: "u", partitionIndexes: [0])]),
            version: 1, broker: node)
        #expect(v1.topics.map { $0.partitions.map(\.committedOffset) } == [[5, 7], [-1]])
        #expect(v1.topics.first?.partitions.first?.metadata == "m")
        let all = try h.respond(
            OffsetFetchHandler.self, OffsetFetchRequest(groupId: "g", topics: nil), version: 7, broker: node)
        #expect(all.errorCode == 0)
        #expect(all.topics.map(\.name) == ["t"])
        #expect(all.topics.first?.partitions.map(\.committedLeaderEpoch) == [-1, 3])
        let batched = try h.respond(
            OffsetFetchHandler.self,
            OffsetFetchRequest(groups: [
                .init(groupId: "g", topics: nil),
                .init(groupId: "other", topics: [.init(name: "t", partitionIndexes: [0])]),
            ]), version: 9, broker: node)
        #expect(batched.groups.map(\.groupId) == ["g", "other"])
        #expect(batched.groups[0].topics.first?.partitions.map(\.committedOffset) == [5, 7])
        let otherNode = h.state.coordinator(type: 0, key: "other")
        if otherNode == node {
            #expect(batched.groups[1].topics.first?.partitions.first?.committedOffset == -1)
        } else {
            #expect(batched.groups[1].errorCode == KafkaErrorCode.notCoordinator.rawValue)
        }
        let v8 = try h.respond(
            OffsetFetchHandler.self, OffsetFetchRequest(groups: [.init(groupId: "g", topics: nil)]), version: 8,
            broker: node)
        #expect(v8.groups.first?.topics.first?.partitions.count == 2)
    }

    @Test func memberCommitsAreValidated() throws {
        var (h, node) = harness()
        let member = try stableMember(&h, node)
        func code(_ generation: Int32, _ memberID: String, version: Int16 = 9, group: String = "g") throws -> Int16? {
            try h.respond(
                OffsetCommitHandler.self,
                OffsetCommitRequest(
                    groupId: group, generationIdOrMemberEpoch: generation, memberId: memberID, topics: [commit(3)]),
                version: version, broker: h.state.coordinator(type: 0, key: group)
            ).topics.first?.partitions.first?.errorCode
        }
        #expect(try code(1, member) == 0)
        #expect(try code(2, member) == KafkaErrorCode.illegalGeneration.rawValue)
        #expect(try code(1, "stranger") == KafkaErrorCode.unknownMemberId.rawValue)
        #expect(try code(-1, "") == KafkaErrorCode.unknownMemberId.rawValue)  // simple commit to a live group
        #expect(try code(1, "m", version: 9, group: "absent") == KafkaErrorCode.groupIdNotFound.rawValue)
        #expect(try code(1, "m", version: 8, group: "absent") == KafkaErrorCode.illegalGeneration.rawValue)
        let fetched = try h.respond(
            OffsetFetchHandler.self, OffsetFetchRequest(groupId: "g", topics: nil), version: 6, broker: node)
        #expect(fetched.topics.first?.partitions.first?.committedOffset == 3)
        let other: Int32 = node == 1 ? 2 : 1
        let wrong = try h.respond(
            OffsetCommitHandler.self, OffsetCommitRequest(groupId: "g", topics: [commit(3)]), version: 2, broker: other)
        #expect(wrong.topics.first?.partitions.first?.errorCode == KafkaErrorCode.notCoordinator.rawValue)
        let wrongFetch = try h.respond(
            OffsetFetchHandler.self, OffsetFetchRequest(groupId: "g", topics: nil), version: 5, broker: other)
        #expect(wrongFetch.errorCode == KafkaErrorCode.notCoordinator.rawValue)
    }

    @Test func describeListAndDelete() throws {
        var (h, node) = harness()
        let member = try stableMember(&h, node)
        let described = try h.respond(
            DescribeGroupsHandler.self, DescribeGroupsRequest(groups: ["g", "unknown-group"]), version: 5,
            broker: node)
        let g = try #require(described.groups.first)
        #expect(g.groupState == "Stable")
        #expect(g.protocolType == "consumer")
        #expect(g.protocolData == "range")
        #expect(g.members.map(\.memberId) == [member])
        #expect(g.members.first?.clientHost == "/127.0.0.1")
        #expect(g.members.first?.clientId == "test-client")
        #expect(g.members.first?.memberMetadata == S.subscription(["t"]))
        #expect(g.members.first?.memberAssignment == S.bytes("A"))
        let unknownNode = h.state.coordinator(type: 0, key: "unknown-group")
        if unknownNode == node {
            #expect(described.groups[1].groupState == "Dead")
            #expect(described.groups[1].errorCode == 0)
        } else {
            #expect(described.groups[1].errorCode == KafkaErrorCode.notCoordinator.rawValue)
        }
        let v0 = try h.respond(
            DescribeGroupsHandler.self, DescribeGroupsRequest(groups: ["g"]), version: 0, broker: node)
        #expect(v0.groups.first?.members.count == 1)

        let listed = try h.respond(ListGroupsHandler.self, ListGroupsRequest(), version: 5, broker: node)
        #expect(listed.groups.map(\.groupId) == ["g"])
        #expect(listed.groups.first?.groupState == "Stable")
        #expect(listed.groups.first?.groupType == "classic")
        let filtered = try h.respond(
            ListGroupsHandler.self, ListGroupsRequest(statesFilter: ["empty"]), version: 4, broker: node)
        #expect(filtered.groups.isEmpty)
        let consumers = try h.respond(
            ListGroupsHandler.self, ListGroupsRequest(typesFilter: ["consumer"]), version: 5, broker: node)
        #expect(consumers.groups.isEmpty)
        let v0List = try h.respond(ListGroupsHandler.self, ListGroupsRequest(), version: 0, broker: node)
        #expect(v0List.groups.map(\.protocolType) == ["consumer"])
        let other: Int32 = node == 1 ? 2 : 1
        let elsewhere = try h.respond(ListGroupsHandler.self, ListGroupsRequest(), version: 0, broker: other)
        #expect(elsewhere.groups.isEmpty)

        let nonEmpty = try h.respond(
            DeleteGroupsHandler.self, DeleteGroupsRequest(groupsNames: ["g"]), version: 2, broker: node)
        #expect(nonEmpty.results.first?.errorCode == KafkaErrorCode.nonEmptyGroup.rawValue)
        _ = try h.respond(
            LeaveGroupHandler.self, LeaveGroupRequest(groupId: "g", memberId: member), version: 0, broker: node)
        let deleted = try h.respond(
            DeleteGroupsHandler.self, DeleteGroupsRequest(groupsNames: ["g"]), version: 0, broker: node)
        #expect(deleted.results.first?.errorCode == 0)
        #expect(h.state.groups.groups["g"] == nil)
        let again = try h.respond(
            DeleteGroupsHandler.self, DeleteGroupsRequest(groupsNames: ["g"]), version: 0, broker: node)
        #expect(again.results.first?.errorCode == KafkaErrorCode.groupIdNotFound.rawValue)
        let notCoordinator = try h.respond(
            DeleteGroupsHandler.self, DeleteGroupsRequest(groupsNames: ["g"]), version: 2, broker: other)
        #expect(notCoordinator.results.first?.errorCode == KafkaErrorCode.notCoordinator.rawValue)
    }

    @Test func offsetDeleteSparesSubscribedTopics() throws {
        var (h, node) = harness()
        let missing = try h.respond(
            OffsetDeleteHandler.self, OffsetDeleteRequest(groupId: "g", topics: []), version: 0, broker: node)
        #expect(missing.errorCode == KafkaErrorCode.groupIdNotFound.rawValue)
        let member = try stableMember(&h, node)
        _ = try h.respond(
            OffsetCommitHandler.self,
            OffsetCommitRequest(
                groupId: "g", generationIdOrMemberEpoch: 1, memberId: member,
                topics: [commit(4), commit(6, topic: "u")]),
            version: 8, broker: node)
        let response = try h.respond(
            OffsetDeleteHandler.self,
            OffsetDeleteRequest(
                groupId: "g",
                topics: [
                    .init(name: "t", partitions: [.init(partitionIndex: 0)]),
                    .init(name: "u", partitions: [.init(partitionIndex: 0)]),
                ]),
            version: 0, broker: node)
        #expect(response.errorCode == 0)
        #expect(
            response.topics.map { $0.partitions.map(\.errorCode) } == [
                [KafkaErrorCode.groupSubscribedToTopic.rawValue], [0],
            ])
        #expect(h.state.groups.groups["g"]?.offsets["t", 0]?.offset == 4)
        #expect(h.state.groups.groups["g"]?.offsets["u", 0] == nil)
        let invalid = try h.respond(
            OffsetDeleteHandler.self, OffsetDeleteRequest(groupId: ""), version: 0, broker: node)
        #expect(invalid.errorCode == KafkaErrorCode.invalidGroupId.rawValue)
        let other: Int32 = node == 1 ? 2 : 1
        let wrong = try h.respond(
            OffsetDeleteHandler.self, OffsetDeleteRequest(groupId: "g"), version: 0, broker: other)
        #expect(wrong.errorCode == KafkaErrorCode.notCoordinator.rawValue)
    }
}
