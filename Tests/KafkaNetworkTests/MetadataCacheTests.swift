import KafkaProtocol
import Testing

@testable import KafkaNetwork

/// The cluster metadata snapshot and the metadata cache: decoding, lookups, monotonic leader epochs, partial and
/// full updates, staleness.
@Suite(.timeLimit(.minutes(5))) struct MetadataCacheTests {
    typealias Partition = MetadataResponse.MetadataResponsePartition
    typealias Topic = MetadataResponse.MetadataResponseTopic
    typealias Broker = MetadataResponse.MetadataResponseBroker

    static let idA = KafkaUUID(high: 1, low: 1)
    static let idB = KafkaUUID(high: 2, low: 2)

    static func partition(_ index: Int32, leader: Int32 = 1, epoch: Int32 = -1, error: KafkaErrorCode = .none)
        -> Partition
    {
        Partition(
            errorCode: error.rawValue, partitionIndex: index, leaderId: leader, leaderEpoch: epoch,
            replicaNodes: [1, 2, 3], isrNodes: [1, 2], offlineReplicas: [3])
    }

    static func topic(
        _ name: String, id: KafkaUUID = idA, error: KafkaErrorCode = .none, partitions: [Partition]
    ) -> Topic {
        Topic(errorCode: error.rawValue, name: name, topicId: id, partitions: partitions)
    }

    static func response(topics: [Topic], clusterID: String? = "cluster-1", controller: Int32 = 2)
        -> MetadataResponse
    {
        var response = MetadataResponse()
        response.brokers = [
            Broker(nodeId: 1, host: "b1", port: 9092, rack: "r1"),
            Broker(nodeId: 2, host: "b2", port: 9093),
            Broker(nodeId: 3, host: "b3", port: 9094),
        ]
        response.clusterId = clusterID
        response.controllerId = controller
        response.topics = topics
        return response
    }

    /// A cache that has taken one full update with topic "t": partition 0 led by 1 at `epoch`.
    static func cache(epoch: Int32, at now: ContinuousClock.Instant) -> MetadataCache {
        var cache = MetadataCache(maxAge: .seconds(300))
        cache.update(
            with: response(topics: [topic("t", partitions: [partition(0, leader: 1, epoch: epoch)])]),
            requestedTopics: nil, now: now)
        return cache
    }

    // MARK: snapshot decoding

    @Test func decodesBrokersControllerAndClusterID() {
        let metadata = ClusterMetadata(response: Self.response(topics: []))
        #expect(metadata.clusterID == "cluster-1")
        #expect(metadata.controllerID == 2)
        #expect(metadata.brokers.count == 3)
        #expect(metadata.broker(1) == BrokerMetadata(nodeID: 1, host: "b1", port: 9092, rack: "r1"))
        #expect(metadata.broker(2)?.rack == nil)
        #expect(metadata.broker(9) == nil)
    }

    @Test func oldVersionDefaultsBecomeNil() {
        var response = MetadataResponse()  // v0: no cluster id, controller -1, epochs -1, zero topic id
        response.brokers = [Broker(nodeId: 0, host: "h", port: 9092)]
        response.topics = [Topic(name: "t", partitions: [Partition(partitionIndex: 0, leaderId: 0)])]
        let metadata = ClusterMetadata(response: response)
        #expect(metadata.clusterID == nil)
        #expect(metadata.controllerID == nil)
        #expect(metadata.topics["t"]?.topicID == nil)
        #expect(metadata.topics["t"]?.error == nil)
        #expect(metadata.partition(topic: "t", partition: 0)?.leaderEpoch == nil)
        #expect(metadata.partition(topic: "t", partition: 0)?.leader == 0)
        #expect(metadata.leader(topic: "t", partition: 0)?.host == "h")
    }

    @Test func decodesPartitionsAndTopicFields() throws {
        var offsets = Self.topic("__consumer_offsets", id: Self.idB, partitions: [Self.partition(0)])
        offsets.isInternal = true
        let response = Self.response(topics: [
            Self.topic(
                "t",
                partitions: [
                    Self.partition(2, leader: 3, epoch: 7), Self.partition(0, leader: 1, epoch: 5),
                    Self.partition(1, leader: -1, epoch: -1, error: .leaderNotAvailable),
                ]),
            offsets,
            Self.topic("creating", id: .zero, error: .leaderNotAvailable, partitions: []),
        ])
        let metadata = ClusterMetadata(response: response)
        let topic = try #require(metadata.topics["t"])
        #expect(topic.partitions.map(\.partition) == [0, 1, 2])
        #expect(topic.topicID == Self.idA)
        #expect(topic.isInternal == false)
        #expect(metadata.topics["__consumer_offsets"]?.isInternal == true)
        let p0 = try #require(metadata.partition(topic: "t", partition: 0))
        #expect(
            p0
                == PartitionMetadata(
                    topic: "t", partition: 0, leader: 1, leaderEpoch: 5, replicas: [1, 2, 3], inSyncReplicas: [1, 2],
                    offlineReplicas: [3], error: nil))
        let p1 = try #require(metadata.partition(topic: "t", partition: 1))
        #expect(p1.leader == nil)
        #expect(p1.leaderEpoch == nil)
        #expect(p1.error == .leaderNotAvailable)
        #expect(metadata.leader(topic: "t", partition: 2)?.nodeID == 3)
        let creating = try #require(metadata.topics["creating"])
        #expect(creating.error == .leaderNotAvailable)
        #expect(creating.topicID == nil)
        #expect(creating.partitions.isEmpty)
    }

    @Test func leaderLookupAndPartitionCount() {
        let response = Self.response(topics: [
            Self.topic("t", partitions: [Self.partition(0, leader: 2), Self.partition(1, leader: -1)]),
            Self.topic("ghost", partitions: [Self.partition(0, leader: 42)]),
            Self.topic("missing", error: .unknownTopicOrPartition, partitions: []),
        ])
        let metadata = ClusterMetadata(response: response)
        #expect(metadata.leader(topic: "t", partition: 0)?.port == 9093)
        #expect(metadata.leader(topic: "t", partition: 1) == nil)  // no leader
        #expect(metadata.leader(topic: "t", partition: 5) == nil)  // no such partition
        #expect(metadata.leader(topic: "ghost", partition: 0) == nil)  // leader not among the brokers
        #expect(metadata.leader(topic: "nope", partition: 0) == nil)
        // The node id alone, as the producer's sender asks: the leader need not be among the brokers.
        #expect(metadata.leaderID(topic: "t", partition: 0) == 2)
        #expect(metadata.leaderID(topic: "t", partition: 1) == nil)
        #expect(metadata.leaderID(topic: "t", partition: 5) == nil)
        #expect(metadata.leaderID(topic: "t", partition: -1) == nil)
        #expect(metadata.leaderID(topic: "ghost", partition: 0) == 42)
        #expect(metadata.leaderID(topic: "nope", partition: 0) == nil)
        // Partitions that are not in index order are still found.
        let sparse = TopicMetadata(
            name: "s", topicID: nil, isInternal: false, error: nil,
            partitions: [
                PartitionMetadata(
                    topic: "s", partition: 3, leader: 7, leaderEpoch: nil, replicas: [], inSyncReplicas: [],
                    offlineReplicas: [])
            ])
        #expect(sparse.leaderID(of: 3) == 7)
        #expect(sparse.leaderID(of: 0) == nil)
        #expect(metadata.partitionCount(topic: "t") == 2)
        #expect(metadata.partitionCount(topic: "missing") == nil)
        #expect(metadata.partitionCount(topic: "nope") == nil)
        #expect(ClusterMetadata.empty.brokers.isEmpty && ClusterMetadata.empty.topics.isEmpty)
    }

    @Test func hostileValuesDoNotTrap() throws {
        var response = MetadataResponse()
        response.controllerId = -7
        response.brokers = [
            Broker(nodeId: 1, host: "first", port: 9092), Broker(nodeId: 1, host: "second", port: 9093),
            Broker(nodeId: 2, host: "neg", port: -1), Broker(nodeId: 3, host: "zero", port: 0),
            Broker(nodeId: 4, host: "big", port: 70000), Broker(nodeId: 5, host: "", port: 9092),
            Broker(nodeId: Int32.min, host: "min", port: 65535),
        ]
        response.topics = [
            Topic(
                name: "t",
                partitions: [
                    Partition(partitionIndex: Int32.max, leaderId: Int32.max, leaderEpoch: Int32.max),
                    Partition(partitionIndex: 0, leaderId: 1, leaderEpoch: 1),
                    Partition(partitionIndex: 0, leaderId: 2, leaderEpoch: 9),
                    Partition(partitionIndex: -5, leaderId: 1), Partition(partitionIndex: Int32.min, leaderId: 1),
                ]),
            Topic(name: "t", partitions: []), Topic(name: nil, topicId: Self.idA), Topic(name: ""),
        ]
        let metadata = ClusterMetadata(response: response)
        #expect(metadata.controllerID == nil)
        #expect(Set(metadata.brokers.keys) == [1, Int32.min])
        #expect(metadata.broker(1)?.host == "first")
        #expect(Set(metadata.topics.keys) == ["t"])
        let topic = try #require(metadata.topics["t"])
        #expect(topic.partitions.map(\.partition) == [0, Int32.max])
        #expect(metadata.partition(topic: "t", partition: 0)?.leader == 1)  // first duplicate kept
        #expect(metadata.partition(topic: "t", partition: Int32.max)?.leaderEpoch == Int32.max)
        #expect(metadata.partition(topic: "t", partition: -5) == nil)
        #expect(metadata.partition(topic: "t", partition: Int32.min) == nil)
        #expect(metadata.leader(topic: "t", partition: Int32.max) == nil)
        #expect(metadata.partitionCount(topic: "t") == 2)

        var cache = MetadataCache(maxAge: .seconds(1))
        let t0 = ContinuousClock.now
        cache.update(with: response, requestedTopics: nil, now: t0)
        cache.update(with: response, requestedTopics: ["t", ""], now: t0)
        #expect(cache.snapshot.partitionCount(topic: "t") == 2)
    }

    // MARK: monotonic leader epochs

    @Test func olderEpochIsIgnoredAndReported() {
        let t0 = ContinuousClock.now
        var cache = Self.cache(epoch: 10, at: t0)
        let result = cache.update(
            with: Self.response(topics: [
                Self.topic("t", partitions: [Self.partition(0, leader: 2, epoch: 9), Self.partition(1, epoch: 3)])
            ]),
            requestedTopics: nil, now: t0.advanced(by: .seconds(1)))
        #expect(result.staleEpochPartitions == [TopicPartitionKey(topic: "t", partition: 0)])
        #expect(result.leaderChanges.isEmpty)
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leader == 1)
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leaderEpoch == 10)
        #expect(cache.snapshot.partition(topic: "t", partition: 1)?.leaderEpoch == 3)  // new partition accepted
    }

    @Test func equalAndNewerEpochsAreAccepted() {
        let t0 = ContinuousClock.now
        var cache = Self.cache(epoch: 10, at: t0)
        var result = cache.update(
            with: Self.response(topics: [Self.topic("t", partitions: [Self.partition(0, leader: 2, epoch: 10)])]),
            requestedTopics: nil, now: t0)
        #expect(result.staleEpochPartitions.isEmpty)
        #expect(result.leaderChanges == [TopicPartitionKey(topic: "t", partition: 0)])
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leader == 2)

        result = cache.update(
            with: Self.response(topics: [Self.topic("t", partitions: [Self.partition(0, leader: 3, epoch: 11)])]),
            requestedTopics: nil, now: t0)
        #expect(result.staleEpochPartitions.isEmpty)
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leader == 3)
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leaderEpoch == 11)
    }

    @Test func unknownEpochOnEitherSideIsAccepted() {
        let t0 = ContinuousClock.now
        var cache = Self.cache(epoch: 10, at: t0)
        var result = cache.update(
            with: Self.response(topics: [Self.topic("t", partitions: [Self.partition(0, leader: 2, epoch: -1)])]),
            requestedTopics: nil, now: t0)
        #expect(result.staleEpochPartitions.isEmpty)
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leader == 2)
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leaderEpoch == nil)

        // Cached epoch now unknown: any known epoch, however low, is accepted.
        result = cache.update(
            with: Self.response(topics: [Self.topic("t", partitions: [Self.partition(0, leader: 3, epoch: 0)])]),
            requestedTopics: nil, now: t0)
        #expect(result.staleEpochPartitions.isEmpty)
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leaderEpoch == 0)
    }

    @Test func recreatedTopicResetsEpochs() {
        let t0 = ContinuousClock.now
        var cache = Self.cache(epoch: 10, at: t0)
        let result = cache.update(
            with: Self.response(topics: [
                Self.topic("t", id: Self.idB, partitions: [Self.partition(0, leader: 2, epoch: 0)])
            ]),
            requestedTopics: nil, now: t0)
        #expect(result.staleEpochPartitions.isEmpty)
        #expect(cache.snapshot.topics["t"]?.topicID == Self.idB)
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leaderEpoch == 0)
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leader == 2)
    }

    @Test func differentClusterResetsEpochs() {
        let t0 = ContinuousClock.now
        var cache = Self.cache(epoch: 10, at: t0)
        cache.update(
            with: Self.response(
                topics: [Self.topic("t", partitions: [Self.partition(0, leader: 2, epoch: 1)])], clusterID: "other"),
            requestedTopics: nil, now: t0)
        #expect(cache.snapshot.clusterID == "other")
        #expect(cache.snapshot.partition(topic: "t", partition: 0)?.leaderEpoch == 1)
    }

    // MARK: partial and full updates

    @Test func fullUpdateRemovesAbsentTopicsPartialKeepsThem() {
        let t0 = ContinuousClock.now
        var cache = MetadataCache(maxAge: .seconds(300))
        cache.update(
            with: Self.response(topics: [
                Self.topic("a", partitions: [Self.partition(0)]), Self.topic("b", partitions: [Self.partition(0)]),
                Self.topic("c", partitions: [Self.partition(0)]),
            ]),
            requestedTopics: nil, now: t0)
        #expect(Set(cache.snapshot.topics.keys) == ["a", "b", "c"])

        // Partial: "a" is replaced, "c" was requested but is absent so it goes, "b" is kept.
        let result = cache.update(
            with: Self.response(topics: [Self.topic("a", partitions: [Self.partition(0, leader: 3)])], controller: 3),
            requestedTopics: ["a", "c"], now: t0)
        #expect(Set(cache.snapshot.topics.keys) == ["a", "b"])
        #expect(cache.snapshot.leader(topic: "a", partition: 0)?.nodeID == 3)
        #expect(result.leaderChanges == [TopicPartitionKey(topic: "a", partition: 0)])
        #expect(cache.snapshot.controllerID == 3)

        // Full: everything absent goes; brokers are replaced by the response's.
        var response = Self.response(topics: [Self.topic("a", partitions: [Self.partition(0, leader: 3)])])
        response.brokers = [Broker(nodeId: 3, host: "b3", port: 9094)]
        cache.update(with: response, requestedTopics: nil, now: t0)
        #expect(Set(cache.snapshot.topics.keys) == ["a"])
        #expect(Set(cache.snapshot.brokers.keys) == [3])
    }

    @Test func topicErrorsStayVisibleAndAskForARefreshSoon() {
        let t0 = ContinuousClock.now
        var cache = MetadataCache(maxAge: .seconds(300), errorRefreshDelay: .milliseconds(100))
        cache.trackedTopics = ["new", "denied"]
        let result = cache.update(
            with: Self.response(topics: [
                Self.topic("new", id: .zero, error: .leaderNotAvailable, partitions: []),
                Self.topic("denied", id: .zero, error: .topicAuthorizationFailed, partitions: []),
            ]),
            requestedTopics: ["new", "denied"], now: t0)
        #expect(result.topicsWithErrors == ["new": .leaderNotAvailable, "denied": .topicAuthorizationFailed])
        #expect(cache.snapshot.topics["new"]?.error == .leaderNotAvailable)
        #expect(cache.topicsAwaitingRecovery == ["new"])  // authorization failures are not stale metadata
        #expect(!cache.needsRefresh(now: t0.advanced(by: .milliseconds(50))))
        #expect(cache.needsRefresh(now: t0.advanced(by: .milliseconds(100))))

        // The topic now exists: the cache is fresh again.
        cache.update(
            with: Self.response(topics: [
                Self.topic("new", partitions: [Self.partition(0)]),
                Self.topic("denied", id: .zero, error: .topicAuthorizationFailed, partitions: []),
            ]),
            requestedTopics: ["new", "denied"], now: t0.advanced(by: .seconds(1)))
        #expect(cache.topicsAwaitingRecovery.isEmpty)
        #expect(!cache.needsRefresh(now: t0.advanced(by: .seconds(2))))
        #expect(cache.snapshot.partitionCount(topic: "new") == 1)
    }

    @Test func partitionWithoutLeaderAsksForARefreshSoon() {
        let t0 = ContinuousClock.now
        var cache = MetadataCache(maxAge: .seconds(300), errorRefreshDelay: .seconds(1))
        cache.update(
            with: Self.response(topics: [
                Self.topic("t", partitions: [Self.partition(0), Self.partition(1, leader: -1, error: .none)])
            ]),
            requestedTopics: nil, now: t0)
        #expect(!cache.needsRefresh(now: t0))
        #expect(cache.needsRefresh(now: t0.advanced(by: .seconds(1))))
    }

    // MARK: staleness

    @Test func needsRefreshFollowsMaxAge() {
        let t0 = ContinuousClock.now
        var cache = MetadataCache(maxAge: .seconds(30))
        #expect(cache.needsRefresh(now: t0))
        #expect(cache.nextRefreshDeadline() == nil)
        #expect(cache.lastRefresh == nil)
        cache.update(with: Self.response(topics: []), requestedTopics: nil, now: t0)
        #expect(cache.lastRefresh == t0)
        #expect(cache.nextRefreshDeadline() == t0.advanced(by: .seconds(30)))
        #expect(!cache.needsRefresh(now: t0.advanced(by: .seconds(29))))
        #expect(cache.needsRefresh(now: t0.advanced(by: .seconds(30))))
    }

    @Test func invalidateMakesTheCacheStaleUntilACoveringUpdate() {
        let t0 = ContinuousClock.now
        var cache = MetadataCache(maxAge: .seconds(300))
        cache.trackedTopics = ["a", "b"]
        cache.update(
            with: Self.response(topics: [Self.topic("a", partitions: [Self.partition(0)])]),
            requestedTopics: ["a", "b"], now: t0)
        #expect(!cache.needsRefresh(now: t0))

        cache.invalidate(topic: "a")
        #expect(cache.needsRefresh(now: t0))
        // A narrower update that does not carry "a" leaves it stale and does not advance lastRefresh.
        let t1 = t0.advanced(by: .seconds(5))
        cache.update(with: Self.response(topics: []), requestedTopics: ["b"], now: t1)
        #expect(cache.needsRefresh(now: t1))
        #expect(cache.lastRefresh == t0)
        // A narrower update carrying "a" clears it, still without advancing lastRefresh.
        cache.update(
            with: Self.response(topics: [Self.topic("a", partitions: [Self.partition(0)])]), requestedTopics: ["a"],
            now: t1)
        #expect(!cache.needsRefresh(now: t1))
        #expect(cache.lastRefresh == t0)

        cache.invalidate(topic: nil)
        #expect(cache.isInvalidated)
        #expect(cache.needsRefresh(now: t1))
        cache.update(with: Self.response(topics: []), requestedTopics: ["a", "b", "c"], now: t1)
        #expect(!cache.isInvalidated)
        #expect(!cache.needsRefresh(now: t1))
        #expect(cache.lastRefresh == t1)
    }

    // MARK: error classification

    @Test func invalidatesMetadataClassification() {
        let stale: [KafkaErrorCode] = [
            .notLeaderOrFollower, .leaderNotAvailable, .unknownTopicOrPartition, .fencedLeaderEpoch,
            .kafkaStorageError, .replicaNotAvailable, .unknownTopicId, .inconsistentTopicId, .notController,
            .offsetNotAvailable, .networkException, .listenerNotFound,
        ]
        for code in stale { #expect(code.invalidatesMetadata, "\(code)") }
        let other: [KafkaErrorCode] = [
            .none, .unknownLeaderEpoch, .notCoordinator, .coordinatorNotAvailable, .topicAuthorizationFailed,
            .requestTimedOut, .messageTooLarge, .unknownServerError, KafkaErrorCode(rawValue: 30000),
        ]
        for code in other { #expect(!code.invalidatesMetadata, "\(code)") }
        #expect(TopicPartitionKey(topic: "orders", partition: 3).description == "orders-3")
    }
}
