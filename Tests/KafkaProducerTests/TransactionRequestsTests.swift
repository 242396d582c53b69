import KafkaNetwork
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaProducer

@Suite(.timeLimit(.minutes(5))) struct TransactionRequestsTests {
    typealias Requests = TransactionRequests
    static let identity = ProducerIdentity(producerID: 987_654_321_012, epoch: 12)

    static func key(_ topic: String, _ partition: Int32) -> TopicPartitionKey {
        TopicPartitionKey(topic: topic, partition: partition)
    }

    /// Encodes `request` at `version` and decodes it back, checking that every byte was read.
    static func roundTrip<R: KafkaRequest>(_ request: R, version: Int16) throws -> R {
        var buffer = ByteBuffer()
        try request.encode(into: &buffer, version: version)
        let decoded = try R(from: &buffer, version: version)
        #expect(buffer.readableBytes == 0, "\(R.messageName) v\(version) left \(buffer.readableBytes) bytes")
        return decoded
    }

    // MARK: version ranges

    @Test func clientVersionRangesAreWithinTheGeneratedOnes() {
        #expect(AddPartitionsToTxnRequest.validVersions.contains(Requests.addPartitionsVersions.lowerBound))
        #expect(AddPartitionsToTxnRequest.validVersions.contains(Requests.addPartitionsVersions.upperBound))
        #expect(Requests.addPartitionsVersions.upperBound == 3, "v4+ is the broker-to-broker batch form")
        #expect(AddOffsetsToTxnRequest.validVersions.contains(Requests.addOffsetsVersions.lowerBound))
        #expect(AddOffsetsToTxnRequest.validVersions.contains(Requests.addOffsetsVersions.upperBound))
        #expect(EndTxnRequest.validVersions.contains(Requests.endTxnVersions.lowerBound))
        #expect(EndTxnRequest.validVersions.contains(Requests.endTxnVersions.upperBound))
        #expect(TxnOffsetCommitRequest.validVersions.contains(Requests.txnOffsetCommitVersions.lowerBound))
        #expect(TxnOffsetCommitRequest.validVersions.contains(Requests.txnOffsetCommitVersions.upperBound))
    }

    // MARK: AddPartitionsToTxn

    @Test func addPartitionsGroupsSortsAndDeduplicates() {
        let request = Requests.addPartitions(
            transactionalID: "txn-1", identity: Self.identity,
            partitions: [
                Self.key("zeta", 4), Self.key("alpha", 2), Self.key("zeta", 0), Self.key("alpha", 2),
                Self.key("mid", 7), Self.key("zeta", 4), Self.key("alpha", 0), Self.key("Alpha", 1),
            ])
        #expect(request.v3AndBelowTransactionalId == "txn-1")
        #expect(request.v3AndBelowProducerId == 987_654_321_012)
        #expect(request.v3AndBelowProducerEpoch == 12)
        #expect(request.transactions.isEmpty, "the v4+ batch form is not used")
        #expect(request.unknownTaggedFields.isEmpty)
        #expect(request.v3AndBelowTopics.map(\.name) == ["Alpha", "alpha", "mid", "zeta"])
        #expect(request.v3AndBelowTopics.map(\.partitions) == [[1], [0, 2], [7], [0, 4]])
    }

    @Test func addPartitionsWithNoPartitions() {
        let request = Requests.addPartitions(transactionalID: "t", identity: Self.identity, partitions: [])
        #expect(request.v3AndBelowTopics.isEmpty)
        #expect(request.v3AndBelowTransactionalId == "t")
    }

    @Test(arguments: TransactionRequests.addPartitionsVersions)
    func addPartitionsRoundTrips(_ version: Int16) throws {
        let request = Requests.addPartitions(
            transactionalID: "txn-ü-1", identity: Self.identity,
            partitions: [Self.key("b", 1), Self.key("a", 3), Self.key("b", 0), Self.key("a", 3)])
        let decoded = try Self.roundTrip(request, version: version)
        #expect(decoded == request)
        #expect(decoded.v3AndBelowTopics.map(\.name) == ["a", "b"])
    }

    @Test func addPartitionsIsNotEncodableInTheBatchVersions() {
        let request = Requests.addPartitions(
            transactionalID: "txn-1", identity: Self.identity, partitions: [Self.key("a", 0)])
        for version in AddPartitionsToTxnRequest.validVersions where !Requests.addPartitionsVersions.contains(version) {
            var buffer = ByteBuffer()
            #expect(throws: KafkaProtocolError.self, "v\(version)") {
                try request.encode(into: &buffer, version: version)
            }
        }
    }

    static func addPartitionsResponse(
        _ topics: [(String, [(Int32, KafkaErrorCode)])], errorCode: KafkaErrorCode = .none
    ) -> AddPartitionsToTxnResponse {
        AddPartitionsToTxnResponse(
            errorCode: errorCode.rawValue,
            resultsByTopicV3AndBelow: topics.map { topic, partitions in
                AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult(
                    name: topic,
                    resultsByPartition: partitions.map {
                        AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult(
                            partitionIndex: $0.0, partitionErrorCode: $0.1.rawValue)
                    })
            })
    }

    @Test func addPartitionsResultsReadsEveryPartition() {
        let response = Self.addPartitionsResponse([
            ("a", [(0, .none), (1, .topicAuthorizationFailed)]),
            ("b", [(2, .operationNotAttempted)]),
            ("unrequested", [(0, .none)]),
        ])
        let requested = [Self.key("a", 0), Self.key("a", 1), Self.key("b", 2), Self.key("c", 5)]
        let results = Requests.addPartitionsResults(response, requested: requested)
        #expect(
            results == [
                Self.key("a", 0): .none, Self.key("a", 1): .topicAuthorizationFailed,
                Self.key("b", 2): .operationNotAttempted, Self.key("c", 5): .unknownServerError,
            ])
    }

    @Test func addPartitionsResultsOfAnEmptyAnswer() {
        let requested = [Self.key("a", 0), Self.key("b", 1)]
        let results = Requests.addPartitionsResults(AddPartitionsToTxnResponse(), requested: requested)
        #expect(results == [Self.key("a", 0): .unknownServerError, Self.key("b", 1): .unknownServerError])
        #expect(Requests.addPartitionsResults(AddPartitionsToTxnResponse(), requested: []).isEmpty)
    }

    @Test func aTopLevelErrorAppliesToEveryPartition() {
        let response = Self.addPartitionsResponse(
            [("a", [(0, .none), (1, .topicAuthorizationFailed)])], errorCode: .clusterAuthorizationFailed)
        let requested = [Self.key("a", 0), Self.key("a", 1), Self.key("b", 0)]
        let results = Requests.addPartitionsResults(response, requested: requested)
        #expect(results.count == 3)
        #expect(results.values.allSatisfy { $0 == .clusterAuthorizationFailed })
    }

    @Test func addPartitionsResultsFeedTheStateMachine() throws {
        var machine = TransactionStateMachine(transactionalID: "t")
        try machine.startInitialization()
        machine.initializationSucceeded(Self.identity)
        try machine.beginTransaction()
        for key in [Self.key("a", 0), Self.key("a", 1)] { _ = try machine.recordSend(to: key) }
        let partitions = machine.takePartitionsToAdd()
        let request = Requests.addPartitions(transactionalID: "t", identity: machine.identity, partitions: partitions)
        #expect(request.v3AndBelowTopics == [.init(name: "a", partitions: [0, 1])])
        let response = Self.addPartitionsResponse([("a", [(0, .none), (1, .none)])])
        #expect(machine.partitionsAdded(Requests.addPartitionsResults(response, requested: partitions)) == nil)
        #expect(machine.mayDrain(Self.key("a", 0)) && machine.mayDrain(Self.key("a", 1)))
    }

    // MARK: TxnOffsetCommit

    static let offsets: [TopicPartitionKey: OffsetAndMetadata] = [
        key("in-b", 3): OffsetAndMetadata(offset: 300, leaderEpoch: 5, metadata: "m3"),
        key("in-a", 1): OffsetAndMetadata(offset: 42),
        key("in-b", 0): OffsetAndMetadata(offset: 0, leaderEpoch: 0, metadata: ""),
        key("in-a", 0): OffsetAndMetadata(offset: 9_000_000_000, leaderEpoch: nil, metadata: "ünïcode"),
    ]
    static let member = GroupMetadata(
        groupId: "group-1", generationId: 17, memberId: "consumer-1-abc", groupInstanceId: "instance-7")

    @Test func txnOffsetCommitCarriesTheGroupAndOffsets() {
        let request = Requests.txnOffsetCommit(
            transactionalID: "txn-1", identity: Self.identity, offsets: Self.offsets, group: Self.member)
        #expect(request.transactionalId == "txn-1")
        #expect(request.groupId == "group-1")
        #expect(request.producerId == Self.identity.producerID)
        #expect(request.producerEpoch == Self.identity.epoch)
        #expect(request.generationId == 17)
        #expect(request.memberId == "consumer-1-abc")
        #expect(request.groupInstanceId == "instance-7")
        #expect(request.topics.map(\.name) == ["in-a", "in-b"])
        typealias Partition = TxnOffsetCommitRequest.TxnOffsetCommitRequestPartition
        #expect(
            request.topics[0].partitions == [
                Partition(
                    partitionIndex: 0, committedOffset: 9_000_000_000, committedLeaderEpoch: -1,
                    committedMetadata: "ünïcode"),
                Partition(partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: ""),
            ])
        #expect(
            request.topics[1].partitions == [
                Partition(partitionIndex: 0, committedOffset: 0, committedLeaderEpoch: 0, committedMetadata: ""),
                Partition(partitionIndex: 3, committedOffset: 300, committedLeaderEpoch: 5, committedMetadata: "m3"),
            ])
    }

    @Test func txnOffsetCommitOfADynamicMemberAndOfNoGroupMember() {
        let dynamic = Requests.txnOffsetCommit(
            transactionalID: "t", identity: Self.identity, offsets: [Self.key("x", 0): OffsetAndMetadata(offset: 1)],
            group: GroupMetadata(groupId: "g", generationId: 3, memberId: "m"))
        #expect(dynamic.groupInstanceId == nil)
        #expect(dynamic.generationId == 3)
        #expect(dynamic.memberId == "m")
        let groupOnly = Requests.txnOffsetCommit(
            transactionalID: "t", identity: Self.identity, offsets: [:], group: GroupMetadata(groupId: "g"))
        #expect(groupOnly.generationId == -1)
        #expect(groupOnly.memberId == "")
        #expect(groupOnly.groupInstanceId == nil)
        #expect(groupOnly.topics.isEmpty)
    }

    @Test(arguments: TransactionRequests.txnOffsetCommitVersions)
    func txnOffsetCommitWithoutMemberRoundTrips(_ version: Int16) throws {
        // `GroupMetadata(groupId:)` (Java's `sendOffsetsToTransaction(offsets, groupId)`): encodable at every version.
        let request = Requests.txnOffsetCommit(
            transactionalID: "txn-1", identity: Self.identity, offsets: Self.offsets,
            group: GroupMetadata(groupId: "group-1"))
        let decoded = try Self.roundTrip(request, version: version)
        var expected = request
        if version < 2 {
            // The leader epoch exists from v2 on; older versions drop it.
            for topic in expected.topics.indices {
                for partition in expected.topics[topic].partitions.indices {
                    expected.topics[topic].partitions[partition].committedLeaderEpoch = -1
                }
            }
        }
        #expect(decoded == expected)
    }

    @Test(arguments: TransactionRequests.txnOffsetCommitVersions)
    func txnOffsetCommitWithMemberRoundTripsFromV3(_ version: Int16) throws {
        let request = Requests.txnOffsetCommit(
            transactionalID: "txn-1", identity: Self.identity, offsets: Self.offsets, group: Self.member,
            version: version)
        let decoded = try Self.roundTrip(request, version: version)
        if version >= 3 {
            #expect(decoded == request)
            #expect(decoded.generationId == 17 && decoded.memberId == "consumer-1-abc")
        } else {
            // Generation, member and instance id (KIP-447) exist from v3 on: older brokers get the offsets without
            // them (encoding would refuse to drop them silently).
            #expect(decoded.generationId == -1 && decoded.memberId == "" && decoded.groupInstanceId == nil)
            #expect(decoded.topics.map(\.name) == ["in-a", "in-b"])
        }
    }

    static func txnOffsetCommitResponse(_ topics: [(String, [(Int32, KafkaErrorCode)])]) -> TxnOffsetCommitResponse {
        TxnOffsetCommitResponse(
            topics: topics.map { topic, partitions in
                TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic(
                    name: topic,
                    partitions: partitions.map {
                        TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition(
                            partitionIndex: $0.0, errorCode: $0.1.rawValue)
                    })
            })
    }

    @Test func txnOffsetCommitErrorsWhenEveryOffsetWasStored() {
        let response = Self.txnOffsetCommitResponse([
            ("in-a", [(0, .none), (1, .none)]), ("in-b", [(0, .none), (3, .none)]),
        ])
        #expect(Requests.txnOffsetCommitErrors(response, requested: Self.offsets.keys).isEmpty)
        #expect(Requests.txnOffsetCommitErrors(response, requested: [TopicPartitionKey]()).isEmpty)
    }

    @Test func txnOffsetCommitErrorsNameTheRefusedAndMissingPartitions() {
        let response = Self.txnOffsetCommitResponse([
            ("in-a", [(0, .none), (1, .unknownMemberId)]),
            ("in-b", [(3, .coordinatorLoadInProgress)]),
            ("other", [(0, .groupAuthorizationFailed)]),
        ])
        let errors = Requests.txnOffsetCommitErrors(response, requested: Self.offsets.keys)
        #expect(
            errors == [
                Self.key("in-a", 1): .unknownMemberId, Self.key("in-b", 3): .coordinatorLoadInProgress,
                Self.key("in-b", 0): .unknownServerError,
            ])
        // Both abort the transaction: either may be reported.
        let worst = Requests.worst(errors.values)
        #expect(worst == .unknownMemberId || worst == .unknownServerError)
        #expect(Requests.worst([KafkaErrorCode.coordinatorLoadInProgress, .illegalGeneration]) == .illegalGeneration)
    }

    // MARK: worst

    static let worstCases: [([KafkaErrorCode], KafkaErrorCode?)] = [
        ([], nil),
        ([.concurrentTransactions], .concurrentTransactions),
        ([.concurrentTransactions, .coordinatorLoadInProgress, .notCoordinator], .notCoordinator),
        ([.notCoordinator, .unknownMemberId], .unknownMemberId),
        ([.illegalGeneration, .unknownTopicOrPartition], .illegalGeneration),
        ([.groupAuthorizationFailed, .invalidTxnState, .notCoordinator], .invalidTxnState),
        ([.producerFenced, .transactionalIdAuthorizationFailed, .topicAuthorizationFailed], .producerFenced),
        ([.unsupportedVersion, .invalidProducerEpoch], .invalidProducerEpoch),
        ([.operationNotAttempted, .fencedInstanceId], .fencedInstanceId),
    ]

    @Test(arguments: worstCases)
    func worst(_ codes: [KafkaErrorCode], _ expected: KafkaErrorCode?) {
        #expect(Requests.worst(codes) == expected)
        #expect(Requests.worst(codes.reversed()) == expected, "independent of the order")
        #expect(Requests.worst(Set(codes)) == expected)
    }

    // MARK: the other transactional requests, as the producer builds them

    @Test(arguments: TransactionRequests.addOffsetsVersions)
    func addOffsetsToTxnRoundTrips(_ version: Int16) throws {
        let request = AddOffsetsToTxnRequest(
            transactionalId: "txn-1", producerId: Self.identity.producerID, producerEpoch: Self.identity.epoch,
            groupId: "group-1")
        #expect(try Self.roundTrip(request, version: version) == request)
    }

    @Test(arguments: TransactionRequests.endTxnVersions, [true, false])
    func endTxnRoundTrips(_ version: Int16, _ commit: Bool) throws {
        let request = EndTxnRequest(
            transactionalId: "txn-1", producerId: Self.identity.producerID, producerEpoch: Self.identity.epoch,
            committed: commit)
        #expect(try Self.roundTrip(request, version: version) == request)
    }
}
