public import KafkaProtocol

/// A broker of the cluster, as listed in a Metadata response.
public struct BrokerMetadata: Sendable, Hashable {
    /// The broker id (`node.id` / `broker.id`).
    public var nodeID: Int32
    /// The host name clients connect to.
    public var host: String
    /// The TCP port clients connect to (1...65535 for brokers decoded from a response).
    public var port: Int
    /// The rack the broker is in, nil when not configured.
    public var rack: String?

    /// Creates a broker description.
    public init(nodeID: Int32, host: String, port: Int, rack: String? = nil) {
        self.nodeID = nodeID
        self.host = host
        self.port = port
        self.rack = rack
    }
}

/// One partition of a topic: its leader, leader epoch and replicas.
public struct PartitionMetadata: Sendable, Hashable {
    /// The topic the partition belongs to.
    public var topic: String
    /// The partition index.
    public var partition: Int32
    /// The node id of the leader, nil when the partition has no leader (`leaderId` -1).
    public var leader: Int32?
    /// The leader epoch, nil when unknown (-1, or a response version older than 7).
    public var leaderEpoch: Int32?
    /// Every node that hosts a replica.
    public var replicas: [Int32]
    /// The replicas in sync with the leader.
    public var inSyncReplicas: [Int32]
    /// The replicas that are offline (response version 5 and later).
    public var offlineReplicas: [Int32]
    /// The partition-level error, nil for `NONE`.
    public var error: KafkaErrorCode?

    /// Creates a partition description.
    public init(
        topic: String, partition: Int32, leader: Int32?, leaderEpoch: Int32? = nil, replicas: [Int32] = [],
        inSyncReplicas: [Int32] = [], offlineReplicas: [Int32] = [], error: KafkaErrorCode? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.replicas = replicas
        self.inSyncReplicas = inSyncReplicas
        self.offlineReplicas = offlineReplicas
        self.error = error
    }

    /// The key that identifies this partition.
    public var key: TopicPartitionKey { TopicPartitionKey(topic: topic, partition: partition) }
}

/// A topic and its partitions.
public struct TopicMetadata: Sendable, Hashable {
    /// The topic name.
    public var name: String
    /// The topic id, nil when the broker did not send one (the all-zero uuid, or versions older than 10).
    public var topicID: KafkaUUID?
    /// Whether the topic is internal (`__consumer_offsets`, `__transaction_state`).
    public var isInternal: Bool
    /// The topic-level error, nil for `NONE` (for example LEADER_NOT_AVAILABLE while the topic is being created).
    public var error: KafkaErrorCode?
    /// The partitions, sorted by partition index, one entry per index.
    public var partitions: [PartitionMetadata]

    /// Creates a topic description. `partitions` should be sorted by index with no duplicates.
    public init(
        name: String, topicID: KafkaUUID? = nil, isInternal: Bool = false, error: KafkaErrorCode? = nil,
        partitions: [PartitionMetadata] = []
    ) {
        self.name = name
        self.topicID = topicID
        self.isInternal = isInternal
        self.error = error
        self.partitions = partitions
    }

    /// The node id of partition `index`'s leader, nil when the partition is unknown or has no leader (read in place,
    /// without copying the partition's description).
    public func leaderID(of index: Int32) -> Int32? {
        position(of: index).flatMap { partitions[$0].leader }
    }

    /// The partition with index `index`, nil when the topic has no such partition.
    public func partition(_ index: Int32) -> PartitionMetadata? {
        position(of: index).map { partitions[$0] }
    }

    /// Where partition `index` is in ``partitions``. They are normally dense and sorted, so the index is usually the
    /// position.
    private func position(of index: Int32) -> Int? {
        if index >= 0, Int(index) < partitions.count, partitions[Int(index)].partition == index { return Int(index) }
        return partitions.firstIndex { $0.partition == index }
    }
}

/// An immutable snapshot of what the client knows about the cluster.
///
/// Decoding a response never traps. Input the client cannot use is skipped, and the choices are:
/// - brokers with a port outside 1...65535 or an empty host are skipped; for a repeated node id the first entry wins;
/// - a negative controller id means "no controller" (nil);
/// - topics without a name (topics queried by id that do not exist) are skipped; for a repeated name the first wins;
/// - partitions with a negative index are skipped; for a repeated index the first entry wins; the rest are sorted;
/// - a negative leader id means "no leader" and a negative leader epoch means "unknown" (both nil).
public struct ClusterMetadata: Sendable, Hashable {
    /// The cluster id (response version 2 and later), nil when unknown.
    public var clusterID: String?
    /// The node id of the controller (response version 1 and later), nil when unknown.
    public var controllerID: Int32?
    /// The brokers, by node id.
    public var brokers: [Int32: BrokerMetadata]
    /// The topics, by name.
    public var topics: [String: TopicMetadata]

    /// Creates a snapshot from its parts.
    public init(
        clusterID: String? = nil, controllerID: Int32? = nil, brokers: [Int32: BrokerMetadata] = [:],
        topics: [String: TopicMetadata] = [:]
    ) {
        self.clusterID = clusterID
        self.controllerID = controllerID
        self.brokers = brokers
        self.topics = topics
    }

    /// A snapshot that knows nothing: no brokers, no topics.
    public static let empty = ClusterMetadata()

    /// The broker with id `nodeID`.
    public func broker(_ nodeID: Int32) -> BrokerMetadata? {
        brokers[nodeID]
    }

    /// The metadata of one partition, nil when the topic or the partition is unknown.
    public func partition(topic: String, partition: Int32) -> PartitionMetadata? {
        topics[topic]?.partition(partition)
    }

    /// The node id of a partition's leader, nil when the partition is unknown or has no leader. Read in place (the
    /// producer asks for every queued partition on every pass of its sender loop): ``partition(topic:partition:)``
    /// copies the partition's description, its replica lists included.
    public func leaderID(topic: String, partition: Int32) -> Int32? {
        topics[topic]?.leaderID(of: partition)
    }

    /// The leader of a partition, nil when the partition is unknown, has no leader, or its leader is not among
    /// ``brokers``.
    public func leader(topic: String, partition: Int32) -> BrokerMetadata? {
        guard let leader = self.partition(topic: topic, partition: partition)?.leader else { return nil }
        return brokers[leader]
    }

    /// The number of partitions of `topic`, nil when the topic is unknown or the snapshot holds no partition for it
    /// (for example while it reports an error).
    public func partitionCount(topic: String) -> Int? {
        guard let count = topics[topic]?.partitions.count, count > 0 else { return nil }
        return count
    }

    /// Decodes a Metadata response of any version into a snapshot (see the type's documentation for how odd
    /// input is handled).
    package init(response: MetadataResponse) {
        var brokers: [Int32: BrokerMetadata] = [:]
        for broker in response.brokers {
            guard brokers[broker.nodeId] == nil, (1...65535).contains(broker.port), !broker.host.isEmpty else {
                continue
            }
            brokers[broker.nodeId] = BrokerMetadata(
                nodeID: broker.nodeId, host: broker.host, port: Int(broker.port), rack: broker.rack)
        }
        var topics: [String: TopicMetadata] = [:]
        for topic in response.topics {
            guard let decoded = TopicMetadata(response: topic), topics[decoded.name] == nil else { continue }
            topics[decoded.name] = decoded
        }
        self.init(
            clusterID: response.clusterId, controllerID: response.controllerId >= 0 ? response.controllerId : nil,
            brokers: brokers, topics: topics)
    }
}

extension TopicMetadata {
    /// Decodes one topic of a Metadata response; nil when it has no usable name.
    init?(response topic: MetadataResponse.MetadataResponseTopic) {
        guard let name = topic.name, !name.isEmpty else { return nil }
        var seen = Set<Int32>()
        var partitions: [PartitionMetadata] = []
        partitions.reserveCapacity(topic.partitions.count)
        for partition in topic.partitions {
            guard partition.partitionIndex >= 0, seen.insert(partition.partitionIndex).inserted else { continue }
            partitions.append(
                PartitionMetadata(
                    topic: name, partition: partition.partitionIndex,
                    leader: partition.leaderId >= 0 ? partition.leaderId : nil,
                    leaderEpoch: partition.leaderEpoch >= 0 ? partition.leaderEpoch : nil,
                    replicas: partition.replicaNodes, inSyncReplicas: partition.isrNodes,
                    offlineReplicas: partition.offlineReplicas, error: KafkaErrorCode.nonZero(partition.errorCode)))
        }
        partitions.sort { $0.partition < $1.partition }
        self.init(
            name: name, topicID: topic.topicId == .zero ? nil : topic.topicId, isInternal: topic.isInternal,
            error: KafkaErrorCode.nonZero(topic.errorCode), partitions: partitions)
    }
}

extension KafkaErrorCode {
    /// The code for `rawValue`, nil for `NONE` (0).
    static func nonZero(_ rawValue: Int16) -> KafkaErrorCode? {
        rawValue == 0 ? nil : KafkaErrorCode(rawValue: rawValue)
    }
}

extension MetadataResponse {
    /// Throws when the response lists no broker: it comes from a broker whose metadata cache is still empty (it has
    /// just started and not yet heard from the controller) and says nothing about the cluster. As Java's
    /// `NetworkClient`, such a response is ignored (the error is retriable), instead of forgetting every topic.
    package func requireBrokers(from broker: some CustomStringConvertible) throws(KafkaNetworkError) {
        guard brokers.isEmpty else { return }
        throw KafkaNetworkError(
            .noBrokerAvailable, "\(broker) answered Metadata without any broker (it is starting)", api: .metadata)
    }
}
