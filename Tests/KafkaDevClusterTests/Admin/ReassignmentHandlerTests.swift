import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// AlterPartitionReassignments, ListPartitionReassignments and ElectLeaders on the cluster state, without sockets.
@Suite struct ReassignmentHandlerTests {
    typealias S = ProduceTestSupport

    static func alter(
        _ harness: inout HandlerHarness, _ partitions: [(Int32, [Int32]?)], topic: String = "t"
    ) throws -> [Int32: KafkaErrorCode] {
        let response = try harness.respond(
            AlterPartitionReassignmentsHandler.self,
            AlterPartitionReassignmentsRequest(topics: [
                .init(name: topic, partitions: partitions.map { .init(partitionIndex: $0.0, replicas: $0.1) })
            ]))
        #expect(response.errorCode == 0)
        var codes: [Int32: KafkaErrorCode] = [:]
        for answer in response.responses.flatMap(\.partitions) {
            codes[answer.partitionIndex] = KafkaErrorCode(rawValue: answer.errorCode)
        }
        return codes
    }

    static func list(_ harness: inout HandlerHarness)
        throws -> [Int32: ListPartitionReassignmentsResponse.OngoingPartitionReassignment]
    {
        let response = try harness.respond(
            ListPartitionReassignmentsHandler.self, ListPartitionReassignmentsRequest(topics: nil))
        return Dictionary(response.topics.flatMap(\.partitions).map { ($0.partitionIndex, $0) }) { first, _ in first }
    }

    static func setBroker(_ harness: inout HandlerHarness, _ broker: Int32, up: Bool) {
        guard let index = harness.state.brokers.firstIndex(where: { $0.nodeID == broker }) else { return }
        harness.state.brokers[index].isUp = up
        harness.state.reelectLeaders()
    }

    @Test("an unthrottled move completes at once: new replicas and ISR, the removed leader hands over, epoch bumped")
    func unthrottledMove() throws {
        var harness = S.harness(partitions: 1)  // t-0 on broker 1
        _ = try S.produce(&harness, S.batch(count: 5))
        let before = try #require(harness.state.partition("t", 0))
        #expect(before.replicas == [1] && before.leader == 1)
        #expect(try Self.alter(&harness, [(0, [2, 3])]) == [0: .none])
        let after = try #require(harness.state.partition("t", 0))
        #expect(after.replicas == [2, 3])
        #expect(after.isr == [2, 3])
        #expect(after.leader == 2)
        #expect(after.leaderEpoch == before.leaderEpoch + 1)
        #expect(try Self.list(&harness).isEmpty)
        // The old leader refuses produce; the new one takes it, after the records it already had.
        #expect(
            try S.produce(&harness, S.batch(count: 1), broker: 1).errorCode
                == KafkaErrorCode.notLeaderOrFollower.rawValue)
        let appended = try S.produce(&harness, S.batch(count: 1), broker: 2)
        #expect(appended.errorCode == 0 && appended.baseOffset == 5)
    }

    @Test("a throttled move runs at the throttle: adding replicas out of the ISR until they have copied the log")
    func throttledMove() throws {
        var harness = S.harness(partitions: 1)
        _ = try S.produce(&harness, S.batch(count: 20, valueSize: 100))
        let size = Int64(try #require(harness.state.partition("t", 0)?.log.sizeInBytes))
        harness.state.topics["t"]?.configs["follower.replication.throttled.replicas"] = "0:2,0:3"
        harness.state.topics["t"]?.configs["leader.replication.throttled.replicas"] = "0:1"
        for broker: Int32 in [1, 2, 3] {
            harness.state.brokerConfigs[broker] = [
                "leader.replication.throttled.rate": "\(size)", "follower.replication.throttled.rate": "\(size / 2)",
            ]
        }
        #expect(try Self.alter(&harness, [(0, [2, 3])]) == [0: .none])
        var running = try #require(try Self.list(&harness)[0])
        #expect(running.replicas == [2, 3, 1])
        #expect(running.addingReplicas == [2, 3])
        #expect(running.removingReplicas == [1])
        #expect(harness.state.partition("t", 0)?.isr == [1])
        #expect(harness.state.partition("t", 0)?.leader == 1)
        harness.now += 1000  // half the log copied (follower throttle: size/2 bytes per second)
        running = try #require(try Self.list(&harness)[0])
        #expect(harness.state.partition("t", 0)?.isr == [1])
        // The adding replicas hold what they copied, and lag by the same share of the offsets.
        let directory = try harness.respond(
            DescribeLogDirsHandler.self, DescribeLogDirsRequest(topics: nil), version: 4, broker: 2)
        let copy = try #require(directory.results.first?.topics.first?.partitions.first)
        #expect(copy.partitionSize == size / 2)
        #expect((10...11).contains(copy.offsetLag), "half of 20 offsets, rounded up")
        harness.now += 1100
        #expect(try Self.list(&harness).isEmpty)
        let done = try #require(harness.state.partition("t", 0))
        #expect(done.replicas == [2, 3] && done.isr == [2, 3] && done.leader == 2)
    }

    @Test("a cancelled move returns to the original replicas; cancelling nothing and bad targets are refused")
    func cancelAndErrors() throws {
        var harness = S.harness(partitions: 2)
        harness.state.topics["t"]?.configs["follower.replication.throttled.replicas"] = "*"
        harness.state.brokerConfigs[3] = ["follower.replication.throttled.rate": "1"]
        _ = try S.produce(&harness, S.batch(count: 3))
        let original = try #require(harness.state.partition("t", 0))
        #expect(try Self.alter(&harness, [(0, [original.replicas[0], 3])]) == [0: .none])
        #expect(harness.state.partition("t", 0)?.replicas.contains(3) == true)
        #expect(try Self.alter(&harness, [(0, nil)]) == [0: .none])
        let cancelled = try #require(harness.state.partition("t", 0))
        #expect(cancelled.replicas == original.replicas && cancelled.isr == original.isr)
        #expect(cancelled.leader == original.leader && cancelled.leaderEpoch == original.leaderEpoch)
        #expect(try Self.list(&harness).isEmpty)
        #expect(try Self.alter(&harness, [(0, nil)]) == [0: .noReassignmentInProgress])
        #expect(
            try Self.alter(&harness, [(0, []), (1, [2, 2])]) == [
                0: .invalidReplicaAssignment, 1: .invalidReplicaAssignment,
            ])
        #expect(try Self.alter(&harness, [(0, [9])]) == [0: .invalidReplicaAssignment])
        #expect(try Self.alter(&harness, [(7, [1])]) == [7: .unknownTopicOrPartition])
        #expect(try Self.alter(&harness, [(0, [1])], topic: "missing") == [0: .unknownTopicOrPartition])
    }

    static func elect(
        _ harness: inout HandlerHarness, type: Int8, partitions: [Int32]?, version: Int16 = 2
    ) throws -> [Int32: KafkaErrorCode] {
        let response = try harness.respond(
            ElectLeadersHandler.self,
            ElectLeadersRequest(
                electionType: type, topicPartitions: partitions.map { [.init(topic: "t", partitions: $0)] }),
            version: version)
        #expect(response.errorCode == 0)
        var codes: [Int32: KafkaErrorCode] = [:]
        for answer in response.replicaElectionResults.flatMap(\.partitionResult) {
            codes[answer.partitionId] = KafkaErrorCode(rawValue: answer.errorCode)
        }
        return codes
    }

    @Test("a preferred election moves leadership back to the first replica once it is back in the ISR")
    func preferredElection() throws {
        var harness = HandlerHarness(brokers: 3)
        harness.state.createTopic("t", partitions: 2, replicationFactor: 2, assignment: [[1, 2], [2, 1]])
        Self.setBroker(&harness, 1, up: false)
        #expect(harness.state.partition("t", 0)?.leader == 2)
        #expect(harness.state.partition("t", 0)?.isr == [2])
        #expect(try Self.elect(&harness, type: 0, partitions: [0]) == [0: .preferredLeaderNotAvailable])
        Self.setBroker(&harness, 1, up: true)
        let moved = try #require(harness.state.partition("t", 0))
        #expect(moved.leader == 2 && moved.isr == [1, 2])
        // Every partition: only those that needed an election are answered (v1+).
        #expect(try Self.elect(&harness, type: 0, partitions: nil) == [0: .none])
        let back = try #require(harness.state.partition("t", 0))
        #expect(back.leader == 1 && back.leaderEpoch == moved.leaderEpoch + 1)
        #expect(
            try Self.elect(&harness, type: 0, partitions: [0, 1]) == [0: .electionNotNeeded, 1: .electionNotNeeded])
        // v0 (Kafka 2.3's ElectPreferredLeaders) answers NONE for a partition already led by its preferred replica.
        #expect(
            try Self.elect(&harness, type: 0, partitions: [0, 5], version: 0) == [
                0: .none, 5: .unknownTopicOrPartition,
            ])
        #expect(try Self.elect(&harness, type: 0, partitions: nil, version: 0).count == 2)
        let invalid = try harness.respond(
            ElectLeadersHandler.self, ElectLeadersRequest(electionType: 7, topicPartitions: nil), version: 1)
        #expect(invalid.errorCode == KafkaErrorCode.invalidRequest.rawValue)
    }

    @Test("an unclean election gives a leaderless partition a live replica that is out of the ISR")
    func uncleanElection() throws {
        var harness = HandlerHarness(brokers: 3)
        harness.state.createTopic("t", partitions: 1, replicationFactor: 2, assignment: [[1, 2]])
        #expect(try Self.elect(&harness, type: 1, partitions: [0]) == [0: .electionNotNeeded])
        Self.setBroker(&harness, 2, up: false)
        Self.setBroker(&harness, 1, up: false)
        var partition = try #require(harness.state.partition("t", 0))
        #expect(partition.leader == -1)
        #expect(partition.isr == [1], "the last in-sync replica stays in the ISR")
        Self.setBroker(&harness, 2, up: true)
        partition = try #require(harness.state.partition("t", 0))
        #expect(partition.leader == -1, "an out-of-sync replica does not lead without an unclean election")
        #expect(try Self.elect(&harness, type: 0, partitions: [0]) == [0: .preferredLeaderNotAvailable])
        let epoch = partition.leaderEpoch
        #expect(try Self.elect(&harness, type: 1, partitions: [0]) == [0: .none])
        partition = try #require(harness.state.partition("t", 0))
        #expect(partition.leader == 2 && partition.isr == [2] && partition.leaderEpoch == epoch + 1)
        Self.setBroker(&harness, 1, up: true)
        #expect(harness.state.partition("t", 0)?.isr == [1, 2])
        Self.setBroker(&harness, 1, up: false)
        Self.setBroker(&harness, 2, up: false)
        #expect(try Self.elect(&harness, type: 1, partitions: [0]) == [0: .eligibleLeadersNotAvailable])
    }
}
