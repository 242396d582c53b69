public import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A Kafka-compatible cluster of N brokers in this process, on loopback ports: a development and
/// test tool in the spirit of franz-go's `kfake`. **Never a broker for production**: no replication,
/// no durability guarantees, no authorization.
///
/// It implements the client-facing APIs (metadata, produce, fetch, offsets, topics and configs,
/// the classic group coordinator, producer ids) at every version this package can encode, and
/// offers fault control for tests: failing the next requests of an API, delaying or dropping
/// answers, answering with garbage or oversized frames, closing or dropping connections, stopping and
/// starting brokers, moving leaders and coordinators. Tests observe what clients sent through
/// ``receivedRequests``, ``connectionCount`` and ``authenticatedUsers``.
public final class DevCluster: Sendable {
    /// A broker as clients see it.
    public struct BrokerInfo: Sendable, Hashable {
        /// The node id.
        public var nodeID: Int32
        /// The advertised host.
        public var host: String
        /// The listening port.
        public var port: Int
        /// Whether the broker is running.
        public var isUp: Bool
    }

    /// One request a broker received, as the client sent it.
    public struct ReceivedRequest: Sendable, Hashable, CustomStringConvertible {
        /// The node id of the broker that received it.
        public var brokerID: Int32
        /// The API of the request.
        public var apiKey: KafkaAPIKey
        /// The request version.
        public var version: Int16
        /// The client id of the request header.
        public var clientID: String?
        /// The correlation id of the request header.
        public var correlationID: Int32
        /// For ApiVersions v3 and later: the client's software name.
        public var clientSoftwareName: String?
        /// For ApiVersions v3 and later: the client's software version.
        public var clientSoftwareVersion: String?

        public var description: String {
            "\(apiKey) v\(version) to broker \(brokerID) correlationID=\(correlationID) clientID=\(clientID ?? "null")"
        }
    }

    /// The cluster could not start or a control call was invalid.
    public struct DevClusterError: Error, Sendable, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    let core: DevClusterCore
    private let listeners: NIOLockedValueBox<[Int32: DevBrokerListener]>
    private let timer: NIOLockedValueBox<RepeatedTask?>
    private let group: any EventLoopGroup
    private let saver: NIOLockedValueBox<Task<Void, Never>?>

    /// Starts the brokers; returns once every one listens.
    public init(configuration: DevClusterConfiguration = DevClusterConfiguration()) async throws {
        guard configuration.brokerCount >= 1 else {
            throw DevClusterError(description: "a dev cluster needs at least one broker")
        }
        let group = MultiThreadedEventLoopGroup.singleton
        var bound: [(Int32, DevBrokerListener)] = []
        // Bind first (ports may be ephemeral), then create the core that advertises them.
        let coreBox = NIOLockedValueBox<DevClusterCore?>(nil)
        do {
            for index in 0..<configuration.brokerCount {
                let nodeID = configuration.firstNodeID + Int32(index)
                let port = configuration.port == 0 ? 0 : configuration.port + index
                let listener = try await DevBrokerListener.bind(
                    host: configuration.host, port: port, nodeID: nodeID, tls: configuration.tls, group: group,
                    core: { coreBox.withLockedValue { $0 } })
                bound.append((nodeID, listener))
            }
        } catch {
            for (_, listener) in bound { await listener.close() }
            throw DevClusterError(description: "cannot listen on \(configuration.host): \(error)")
        }
        let core: DevClusterCore
        do {
            core = try DevClusterCore(configuration: configuration, ports: bound.map { Int32($0.1.port) })
        } catch {
            for (_, listener) in bound { await listener.close() }
            throw DevClusterError(
                description: "cannot load the data directory \(configuration.dataDirectory ?? ""): \(error)")
        }
        coreBox.withLockedValue { $0 = core }
        self.core = core
        self.group = group
        self.listeners = NIOLockedValueBox(Dictionary(uniqueKeysWithValues: bound))
        let task = group.next().scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) {
            _ in core.tick()
        }
        self.timer = NIOLockedValueBox(task)
        if core.store != nil {
            self.saver = NIOLockedValueBox(
                Task.detached {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        try? core.save()
                    }
                })
        } else {
            self.saver = NIOLockedValueBox(nil)
        }
    }

    /// The bootstrap list, `host:port` of every broker joined by commas.
    public var bootstrapServers: String {
        brokers.map { "\($0.host):\($0.port)" }.joined(separator: ",")
    }

    /// The brokers in node id order.
    public var brokers: [BrokerInfo] {
        core.state.withLockedValue { locked in
            locked.cluster.brokers.map {
                BrokerInfo(nodeID: $0.nodeID, host: $0.host, port: Int($0.port), isUp: $0.isUp)
            }
        }
    }

    /// Stops every broker and closes every connection. Calling it again does nothing.
    public func shutdown() async {
        timer.withLockedValue { task in
            task?.cancel()
            task = nil
        }
        let all = listeners.withLockedValue { Array($0.values) }
        for listener in all { await listener.close() }
        core.tick()
        if let saver = saver.withLockedValue({ task in
            defer { task = nil }; return task
        }) {
            saver.cancel()
            await saver.value
        }
        try? core.save()
    }

    /// Writes what changed to the data directory now (the cluster also does so every second and at
    /// shutdown).
    ///
    /// - Throws: when the directory cannot be written; without a data directory it does nothing.
    public func save() throws {
        try core.save()
    }

    /// Re-evaluates timeouts now (sessions, rebalances, long polls); the cluster also does so every
    /// 10 ms. Useful after moving a ``ManualDevClock``.
    public func tick() { core.tick() }

    // MARK: - Topics

    /// Creates a topic (like CreateTopics), placing partitions round-robin over the live brokers.
    public func createTopic(
        _ name: String, partitions: Int32, replicationFactor: Int16 = 1, configs: [String: String] = [:]
    ) throws {
        let result = core.mutate {
            $0.createTopic(name, partitions: partitions, replicationFactor: replicationFactor, configs: configs)
        }
        guard result.code == .none else {
            throw DevClusterError(description: "cannot create topic \(name): \(result.message ?? "\(result.code)")")
        }
    }

    /// The names of the topics.
    public var topicNames: [String] {
        core.state.withLockedValue { $0.cluster.topics.keys.sorted() }
    }

    /// The leader of a partition (-1 when it has none), nil when the partition does not exist.
    public func leader(topic: String, partition: Int32) -> Int32? {
        core.state.withLockedValue { $0.cluster.partition(topic, partition)?.leader }
    }

    /// The high watermark (next offset) of a partition, nil when the partition does not exist.
    public func highWatermark(topic: String, partition: Int32) -> Int64? {
        core.state.withLockedValue { $0.cluster.partition(topic, partition)?.log.highWatermark }
    }

    // MARK: - Faults

    /// Answers the next `count` requests of `api` (any broker) with `error` on everything they ask.
    public func failNext(_ api: KafkaAPIKey, count: Int = 1, error: KafkaErrorCode) {
        core.state.withLockedValue { $0.faults.failures[api] = (max(count, 0), error) }
    }

    /// Handles the next `count` requests of `api` (of any API when nil) as usual but never sends their
    /// answers (a lost answer: a produce is written, a commit stored); later answers on the same
    /// connection still go out.
    public func dropResponses(to api: KafkaAPIKey? = nil, count: Int = 1) {
        core.state.withLockedValue { $0.faults.dropNext[api] = max(count, 0) }
    }

    /// Answers each of the next `count` requests of `api` (of any API when nil) with a correctly sized
    /// frame of random bytes instead of its answer.
    public func respondWithGarbage(to api: KafkaAPIKey? = nil, count: Int = 1) {
        core.state.withLockedValue { $0.faults.garbageNext[api] = max(count, 0) }
    }

    /// Answers each of the next `count` requests of `api` (of any API when nil) with a size prefix of
    /// 1 GiB followed by a few bytes.
    public func respondWithOversizedFrame(to api: KafkaAPIKey? = nil, count: Int = 1) {
        core.state.withLockedValue { $0.faults.oversizedNext[api] = max(count, 0) }
    }

    /// Closes the connection upon receiving each of the next `count` requests of `api` (of any API
    /// when nil), after sending the answers to the earlier requests on it; the request is not handled.
    public func closeConnection(onNext api: KafkaAPIKey? = nil, count: Int = 1) {
        core.state.withLockedValue { $0.faults.closeNext[api] = max(count, 0) }
    }

    /// Delays every answer to `api` (or to every API when nil) by `delay`; zero turns it off.
    public func delayResponses(to api: KafkaAPIKey? = nil, by delay: Duration) {
        core.state.withLockedValue { locked in
            if let api {
                locked.faults.delays[api] = max(delay, .zero)
            } else {
                locked.faults.delayAll = max(delay, .zero)
            }
        }
    }

    /// Closes every client connection of `broker` (of every broker when nil); the brokers keep
    /// listening.
    public func dropConnections(broker: Int32? = nil) async {
        let targets = listeners.withLockedValue { all in
            all.filter { broker == nil || $0.key == broker }.map(\.value)
        }
        for listener in targets { await listener.dropConnections() }
    }

    /// Stops a broker: it stops listening, its connections close, and its partitions move to another
    /// live replica (or have no leader), as when a Kafka broker dies.
    ///
    /// - Parameters:
    ///   - nodeID: the broker's node id.
    ///   - noticedAfter: how long the cluster takes to notice. A Kafka broker that shuts down cleanly
    ///     hands its partitions over at once (`.zero`, the default); one that is killed is noticed only when its
    ///     ZooKeeper session expires (`zookeeper.session.timeout.ms`, 6 s in Kafka 2.3). Until then the metadata
    ///     still names it as the leader of its partitions, and clients find its port refusing connections.
    public func stopBroker(_ nodeID: Int32, noticedAfter: Duration = .zero) async throws {
        guard let listener = listeners.withLockedValue({ $0[nodeID] }) else {
            throw DevClusterError(description: "no broker \(nodeID)")
        }
        let core = self.core
        @Sendable func notice() {
            core.mutate { state in
                guard let index = state.brokers.firstIndex(where: { $0.nodeID == nodeID }) else { return }
                state.brokers[index].isUp = false
                state.reelectLeaders()
            }
        }
        if noticedAfter <= .zero { notice() }
        await listener.close()
        guard noticedAfter > .zero else { return }
        let listeners = self.listeners
        Task {
            try? await Task.sleep(for: noticedAfter)
            // A broker started again meanwhile re-registered: nothing to notice.
            if listeners.withLockedValue({ $0[nodeID] }) === listener { notice() }
        }
    }

    /// Starts a stopped broker again on its former port; leaderless partitions get it as leader.
    ///
    /// - Parameters:
    ///   - nodeID: the broker's node id.
    ///   - emptyMetadataAnswers: how many Metadata requests the restarted broker answers with an empty
    ///     cache (no broker, every topic unknown), as a Kafka broker does until the controller's first
    ///     UpdateMetadata reaches it.
    public func startBroker(_ nodeID: Int32, emptyMetadataAnswers: Int = 0) async throws {
        guard let old = listeners.withLockedValue({ $0[nodeID] }) else {
            throw DevClusterError(description: "no broker \(nodeID)")
        }
        guard !old.isOpen else { return }
        let core = self.core
        // The freed port is in the ephemeral range: an outgoing connection of this process may hold it for a
        // moment (bind then fails with EADDRINUSE). Try again for up to two seconds before giving up.
        var attempt = 0
        let listener: DevBrokerListener
        while true {
            do {
                listener = try await DevBrokerListener.bind(
                    host: core.configuration.host, port: old.port, nodeID: nodeID, tls: core.configuration.tls,
                    group: group, core: { core })
                break
            } catch let error as IOError where error.errnoCode == EADDRINUSE && attempt < 20 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        listeners.withLockedValue { $0[nodeID] = listener }
        core.mutate { state in
            guard let index = state.brokers.firstIndex(where: { $0.nodeID == nodeID }) else { return }
            state.brokers[index].isUp = true
            state.brokers[index].emptyMetadataAnswers = emptyMetadataAnswers
            state.reelectLeaders()
        }
    }

    /// Makes `broker` the leader of a partition (bumping the leader epoch); the old leader answers
    /// NOT_LEADER_OR_FOLLOWER from then on.
    public func moveLeader(topic: String, partition: Int32, to broker: Int32) throws {
        let error: String? = core.mutate { state in
            guard state.broker(broker)?.isUp == true else { return "broker \(broker) is not up" }
            let moved: Void? = state.withPartition(topic, partition) { p in
                if p.leader != broker {
                    p.leader = broker
                    p.leaderEpoch &+= 1
                }
                if !p.replicas.contains(broker) { p.replicas.append(broker) }
                if !p.isr.contains(broker) { p.isr.append(broker) }
            }
            return moved == nil ? "no partition \(topic)-\(partition)" : nil
        }
        if let error { throw DevClusterError(description: error) }
    }

    /// Makes `broker` the coordinator of a group (`type` 0) or transactional id (`type` 1); the
    /// others answer NOT_COORDINATOR for it.
    public func moveCoordinator(key: String, type: Int8 = 0, to broker: Int32) {
        core.mutate { $0.coordinatorOverrides[ClusterState.CoordinatorKey(type: type, key: key)] = broker }
    }

    // MARK: - Observations

    /// How many requests of `api` the cluster has received (on any broker).
    public func requestCount(_ api: KafkaAPIKey) -> Int {
        core.state.withLockedValue { $0.requestCounts[api] ?? 0 }
    }

    /// The requests the brokers received, in order of arrival, on any connection: the newest
    /// ``DevClusterConfiguration/requestLogLimit`` of them. Raw SASL tokens (after SaslHandshake v0)
    /// are not requests and are not listed.
    public var receivedRequests: [ReceivedRequest] {
        let limit = max(core.configuration.requestLogLimit, 0)
        return core.state.withLockedValue { Array($0.requestLog.suffix(limit)) }
    }

    /// The number of client connections the brokers accepted so far.
    public var connectionCount: Int {
        core.state.withLockedValue { $0.connectionCount }
    }

    /// The users that completed SASL authentication, in order: one entry per authenticated connection.
    public var authenticatedUsers: [String] {
        core.state.withLockedValue { $0.authenticatedUsers }
    }

    /// How many times a connection authenticated again on the same connection (KIP-368 re-authentication, which
    /// ``DevClusterConfiguration/connectionsMaxReauth`` makes clients do).
    public var reauthenticationCount: Int {
        core.state.withLockedValue { $0.reauthentications }
    }

    /// How many connections the brokers closed because a request other than SaslHandshake or SaslAuthenticate
    /// arrived after the connection's SASL session had expired (``DevClusterConfiguration/connectionsMaxReauth``).
    public var expiredSessionsClosed: Int {
        core.state.withLockedValue { $0.expiredSessionsClosed }
    }
}

extension DevCluster {
    /// Starts a cluster with `configuration`, runs `body` against it and shuts it down afterwards, also when `body`
    /// throws — the shape every test and tool that needs a throwaway cluster wants.
    public static func withRunning<T>(
        _ configuration: DevClusterConfiguration, _ body: (DevCluster) async throws -> T
    ) async throws -> T {
        let cluster = try await DevCluster(configuration: configuration)
        do {
            let result = try await body(cluster)
            await cluster.shutdown()
            return result
        } catch {
            await cluster.shutdown()
            throw error
        }
    }

    /// ``withRunning(_:_:)`` for a cluster of `brokers` brokers holding `topics` (name: partition count), with any
    /// other setting changed by `configure`.
    public static func withRunning<T>(
        brokers: Int, topics: [String: Int32], configure: (inout DevClusterConfiguration) -> Void = { _ in },
        _ body: (DevCluster) async throws -> T
    ) async throws -> T {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = brokers
        configuration.topics = topics
        configure(&configuration)
        return try await withRunning(configuration, body)
    }
}
