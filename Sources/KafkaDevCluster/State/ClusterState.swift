import KafkaProtocol

/// Everything the dev cluster knows: brokers, topics with their partition logs, groups, producer
/// ids and configs. One value, mutated only under ``DevCluster``'s lock by the API handlers, which
/// are plain functions of `(inout ClusterState, request) -> response` and so testable without I/O.
struct ClusterState: Sendable {
    /// One broker of the cluster.
    struct Broker: Sendable, Hashable {
        var nodeID: Int32
        var host: String
        var port: Int32
        var rack: String?
        /// Stopped brokers are left out of metadata and lead nothing.
        var isUp = true
        /// Metadata requests this broker still answers with an empty cache (no broker, no topic), as a Kafka
        /// broker does between its start and the controller's first UpdateMetadata.
        var emptyMetadataAnswers = 0
    }

    /// One partition: placement and its log.
    struct Partition: Sendable {
        var index: Int32
        /// The leader's node id, or -1 while no replica is up.
        var leader: Int32
        var leaderEpoch: Int32 = 0
        var replicas: [Int32]
        var isr: [Int32]
        var log = PartitionLog()
        /// The reassignment in progress (AlterPartitionReassignments), if any; while it runs ``replicas`` is its
        /// ``Reassignment/allReplicas``.
        var reassignment: Reassignment?
    }

    /// One topic.
    struct Topic: Sendable {
        var name: String
        var id: KafkaUUID
        var partitions: [Partition]
        /// Topic-level config overrides (name -> value); defaults live in ``TopicConfigs``.
        var configs: [String: String] = [:]
        var isInternal = false
    }

    var clusterID: String
    /// Where each broker's one log directory is said to be (DescribeLogDirs): `<dataDirectory>/broker-<id>`, or
    /// `memory:/broker-<id>` for a cluster kept in memory.
    var logDirectoryRoot: String
    var brokers: [Broker]
    var controllerID: Int32
    var topics: [String: Topic] = [:]
    /// The partitions with a reassignment in progress, by topic (``advanceReassignments(now:)`` visits them).
    var reassigning: [String: Set<Int32>] = [:]
    /// Metadata auto-creation and its defaults.
    var autoCreateTopics: Bool
    var defaultPartitions: Int32
    var defaultReplicationFactor: Int16
    /// The broker-wide `message.max.bytes` (topics override it with `max.message.bytes`).
    var maxMessageBytes: Int32
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group waits.
    var groupInitialRebalanceDelayMs: Int32
    /// Coordinator overrides set by tests (key type and key -> node id).
    var coordinatorOverrides: [CoordinatorKey: Int32] = [:]
    /// The group coordinator's state (every group lives here; routing decides which broker answers).
    var groups = GroupCoordinatorState()
    /// Producer ids handed out by InitProducerId.
    var producerIDs = ProducerIDAllocator()
    /// The transaction coordinator's state per transactional id (see ``TransactionCoordinatorState``).
    var transactions = TransactionCoordinatorState()
    /// Incremental fetch sessions (KIP-227), by session id.
    var fetchSessions = FetchSessionCache()
    /// Broker-level dynamic configs (DescribeConfigs/AlterConfigs on BROKER resources).
    var brokerConfigs: [Int32: [String: String]] = [:]
    /// The levels set on each broker's loggers, by broker id (absent: ``BrokerLoggers/initialLevels``).
    var brokerLoggerLevels: [Int32: [String: String]] = [:]
    /// Client quotas by entity (DescribeClientQuotas/AlterClientQuotas).
    var clientQuotas: [DevQuotaEntity: [String: Double]] = [:]
    /// SCRAM credentials by user and mechanism id (1 SCRAM-SHA-256, 2 SCRAM-SHA-512); SCRAM logins check these.
    var scramCredentials: [String: [Int8: SCRAMStoredCredential]] = [:]
    /// The ACLs and the authorizer's settings (off unless ``DevClusterConfiguration/authorizer`` is set).
    var acls = DevAcls()

    /// A coordinator lookup key: FindCoordinator's key type (0 group, 1 transaction) and key.
    struct CoordinatorKey: Sendable, Hashable {
        var type: Int8
        var key: String
    }

    init(configuration: DevClusterConfiguration, ports: [Int32]) {
        clusterID = configuration.clusterID
        logDirectoryRoot = configuration.dataDirectory ?? "memory:"
        brokers = ports.enumerated().map { index, port in
            Broker(nodeID: Int32(index) + configuration.firstNodeID, host: configuration.host, port: port)
        }
        controllerID = configuration.firstNodeID
        autoCreateTopics = configuration.autoCreateTopics
        defaultPartitions = configuration.defaultPartitions
        defaultReplicationFactor = configuration.defaultReplicationFactor
        maxMessageBytes = configuration.maxMessageBytes
        groupInitialRebalanceDelayMs = configuration.groupInitialRebalanceDelayMs
        groups.config.initialRebalanceDelayMs = Int64(configuration.groupInitialRebalanceDelayMs)
        scramCredentials = DevScram.initialCredentials(configuration)
        if let authorizer = configuration.authorizer {
            acls = DevAcls(
                enabled: true, superUsers: authorizer.superUsers,
                allowEveryoneIfNoACLFound: authorizer.allowEveryoneIfNoACLFound)
        }
    }

    // MARK: - Brokers

    /// The brokers that are up, in node id order.
    var liveBrokers: [Broker] { brokers.filter(\.isUp) }

    func broker(_ nodeID: Int32) -> Broker? { brokers.first { $0.nodeID == nodeID } }

    func isUp(_ nodeID: Int32) -> Bool { broker(nodeID)?.isUp ?? false }

    // MARK: - Topics and partitions

    /// Looks a partition up by topic name and index.
    func partition(_ topic: String, _ index: Int32) -> Partition? {
        guard let topicState = topics[topic], index >= 0, Int(index) < topicState.partitions.count else { return nil }
        return topicState.partitions[Int(index)]
    }

    /// The topic name of a topic id, when such a topic exists.
    func topicName(for id: KafkaUUID) -> String? {
        topics.values.first { $0.id == id }?.name
    }

    /// Whether `broker` may serve produce and fetch requests for the partition: `.none` when it
    /// leads it, otherwise UNKNOWN_TOPIC_OR_PARTITION or NOT_LEADER_OR_FOLLOWER (as Kafka answers).
    func leadership(_ topic: String, _ index: Int32, broker: Int32) -> KafkaErrorCode {
        guard let partition = partition(topic, index) else { return .unknownTopicOrPartition }
        if partition.leader == -1 { return .leaderNotAvailable }
        return partition.leader == broker ? .none : .notLeaderOrFollower
    }

    /// Runs `body` on a partition's state in place; returns nil when the partition does not exist.
    mutating func withPartition<T>(_ topic: String, _ index: Int32, _ body: (inout Partition) throws -> T) rethrows
        -> T?
    {
        guard var topicState = topics[topic], index >= 0, Int(index) < topicState.partitions.count else { return nil }
        // Move the topic out while it is changed, so the partition's buffers stay uniquely referenced.
        topics[topic] = nil
        defer { topics[topic] = topicState }
        return try body(&topicState.partitions[Int(index)])
    }

    /// Why a topic name is invalid (Kafka's rules), or nil when it is valid.
    static func invalidTopicNameReason(_ name: String) -> String? {
        if name.isEmpty { return "Topic name is illegal, it can't be empty" }
        if name == "." || name == ".." { return "Topic name cannot be \".\" or \"..\"" }
        if name.utf8.count > 249 { return "Topic name is illegal, it can't be longer than 249 characters" }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        if !allowed {
            return
                "Topic name \(name) is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        }
        return nil
    }

    /// Creates a topic, placing partitions round-robin over the live brokers (leader = first replica).
    ///
    /// - Parameter assignment: explicit replicas per partition (CreateTopics' replica assignment);
    ///   when given, `partitions` and `replicationFactor` are ignored.
    /// - Returns: the error code and message when the topic cannot be created.
    @discardableResult
    mutating func createTopic(
        _ name: String, partitions: Int32, replicationFactor: Int16, assignment: [[Int32]]? = nil,
        configs: [String: String] = [:], validateOnly: Bool = false
    ) -> (code: KafkaErrorCode, message: String?) {
        if let reason = Self.invalidTopicNameReason(name) { return (.invalidTopicException, reason) }
        if topics[name] != nil { return (.topicAlreadyExists, "Topic '\(name)' already exists.") }
        let placement: [[Int32]]
        if let assignment {
            guard !assignment.isEmpty else { return (.invalidReplicaAssignment, "Replica assignment is empty") }
            for replicas in assignment {
                guard !replicas.isEmpty, Set(replicas).count == replicas.count,
                    replicas.allSatisfy({ broker($0) != nil })
                else {
                    return (.invalidReplicaAssignment, "Invalid replica assignment \(replicas)")
                }
            }
            placement = assignment
        } else {
            guard partitions > 0 else {
                return (.invalidPartitions, "Number of partitions must be larger than 0.")
            }
            guard replicationFactor > 0 else {
                return (.invalidReplicationFactor, "Replication factor must be larger than 0.")
            }
            let live = liveBrokers.map(\.nodeID)
            guard Int(replicationFactor) <= live.count else {
                return (
                    .invalidReplicationFactor,
                    "Replication factor: \(replicationFactor) larger than available brokers: \(live.count)."
                )
            }
            placement = Self.place(
                partitions: Int(partitions), replicationFactor: Int(replicationFactor), on: live,
                offset: topics.count)
        }
        if validateOnly { return (.none, nil) }
        var topic = Topic(name: name, id: KafkaUUID.random(), partitions: [], configs: configs)
        for (index, replicas) in placement.enumerated() {
            topic.partitions.append(makePartition(Int32(index), replicas: replicas))
        }
        topics[name] = topic
        return (.none, nil)
    }

    /// A new partition on `replicas`, led by the first live one.
    func makePartition(_ index: Int32, replicas: [Int32]) -> Partition {
        let live = replicas.filter { isUp($0) }
        return Partition(index: index, leader: live.first ?? -1, replicas: replicas, isr: live)
    }

    /// Round-robin placement, shifted per topic so that leaders spread.
    static func place(partitions: Int, replicationFactor: Int, on brokers: [Int32], offset: Int) -> [[Int32]] {
        guard !brokers.isEmpty else { return [] }
        return (0..<partitions).map { p in
            (0..<replicationFactor).map { r in brokers[(p + offset + r) % brokers.count] }
        }
    }

    /// Brings every partition in line with the brokers that are up, as Kafka's controller does when a broker
    /// stops or starts; bumps the leader epoch on every leader change.
    ///
    /// - Stopped replicas leave the ISR, except the last member, which stays (a partition whose in-sync replicas
    ///   are all down keeps the last one, which may lead again when it returns).
    /// - A partition whose leader stopped is led by its first replica (in replica order) that is up and in the
    ///   ISR, or by none (-1) until such a replica starts again or an unclean election (ElectLeaders) picks an
    ///   out-of-sync one.
    /// - A replica that is up but out of the ISR rejoins it while the partition has a leader (the dev cluster
    ///   keeps one log per partition, so every follower is caught up at once), except a replica that a
    ///   reassignment is adding: it joins when it has copied the log (see ``advanceReassignments(now:)``).
    mutating func reelectLeaders() {
        for name in Array(topics.keys) {
            guard var topic = topics[name] else { continue }
            for i in topic.partitions.indices {
                refreshLeadership(&topic.partitions[i])
            }
            topics[name] = topic
        }
        if !isUp(controllerID), let first = liveBrokers.first { controllerID = first.nodeID }
    }

    /// ``reelectLeaders()`` for one partition.
    func refreshLeadership(_ partition: inout Partition) {
        var inSync = Set(partition.isr.filter { isUp($0) })
        if inSync.isEmpty, let last = partition.isr.last(where: { $0 == partition.leader }) ?? partition.isr.last {
            inSync = [last]
        }
        if partition.leader == -1 || !isUp(partition.leader) {
            let newLeader = partition.replicas.first { isUp($0) && inSync.contains($0) } ?? -1
            if newLeader != partition.leader {
                partition.leader = newLeader
                partition.leaderEpoch &+= 1
            }
        }
        if partition.leader != -1 {
            let adding = Set(partition.reassignment?.adding ?? [])
            for replica in partition.replicas where isUp(replica) && !adding.contains(replica) {
                inSync.insert(replica)
            }
        }
        partition.isr = partition.replicas.filter { inSync.contains($0) }
    }

    // MARK: - Coordinators

    /// The node that coordinates `key` (a group id or transactional id): an override set by a test,
    /// else a stable hash of the key over the live brokers (-1 when none is up).
    func coordinator(type: Int8, key: String) -> Int32 {
        if let node = coordinatorOverrides[CoordinatorKey(type: type, key: key)], isUp(node) { return node }
        let live = liveBrokers
        guard !live.isEmpty else { return -1 }
        var hash: UInt32 = 2_166_136_261
        for byte in key.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return live[Int(hash % UInt32(live.count))].nodeID
    }
}

extension KafkaUUID {
    /// A random version-4 style id that is never zero.
    static func random() -> KafkaUUID {
        var generator = SystemRandomNumberGenerator()
        var id = KafkaUUID(high: generator.next(), low: generator.next())
        id.high = (id.high & ~0xF000) | 0x4000
        if id == .zero { id.low = 1 }
        return id
    }
}
