import Atomics
import KafkaProtocol
public import Logging
public import Metrics
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

/// The cluster core shared by producers, consumers and admin clients: connections per broker and
/// traffic kind, the metadata cache, coordinator lookups, routing and retries.
///
/// ```swift
/// let client = try KafkaClusterClient(configuration: .init(bootstrapServers: [.init(host: "localhost", port: 9092)]))
/// let metadata = try await client.metadata(for: ["orders"])
/// let response = try await client.send(ListOffsetsRequest(...), to: .leader(topic: "orders", partition: 0), kind: .fetch)
/// await client.shutdown()
/// ```
public final class KafkaClusterClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: KafkaClientConfiguration
    /// The retry rules derived from the configuration.
    package let retryPolicy: RetryPolicy
    let pool: ConnectionPool
    let logger: Logger
    let state: NIOLockedValueBox<State>
    /// A copy of the cache's generation in an atomic: the producer reads it for every record, and the state lock is
    /// busy with every request.
    private let publishedGeneration = ManagedAtomic<UInt64>(0)
    private let metadataRefreshes: Counter
    private let metadataRefreshFailures: Counter

    struct State {
        var cache: MetadataCache
        var refresh = MetadataRefreshStateMachine()
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiter = 0
        var lastRefreshError: (any Error)?
        var coordinators: [CoordinatorKey: BrokerMetadata] = [:]
        var coordinatorLookups: [CoordinatorKey: CoordinatorLookup] = [:]
        var nextCoordinatorLookup: UInt64 = 0
    }

    /// A FindCoordinator lookup that callers of ``coordinator(for:type:)`` share.
    struct CoordinatorLookup {
        var id: UInt64
        var task: Task<BrokerMetadata, any Error>

        /// What a caller finds: the cached coordinator, or the lookup to wait for.
        enum Found {
            case cached(BrokerMetadata)
            case running(CoordinatorLookup)
        }
    }

    struct CoordinatorKey: Hashable {
        var key: String
        var type: CoordinatorType
    }

    /// Creates a client. No connection is made until the first request.
    ///
    /// - Parameters:
    ///   - configuration: the client settings (bootstrap servers, security, timeouts, retries).
    ///   - eventLoopGroup: where the connections run.
    ///   - logger: where the client logs (with `kafka.*` metadata); nothing is printed.
    ///   - metricsFactory: where metrics go; by default swift-metrics' bootstrapped system.
    ///
    /// - Throws: ``KafkaConfigurationError`` for inconsistent settings, ``KafkaNetworkError`` for
    ///   unusable TLS material.
    public init(
        configuration: KafkaClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "swift-kafka"),
        metricsFactory: (any MetricsFactory)? = nil
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "kafka.client_id"] = "\(configuration.clientID)"
        self.logger = logger
        self.retryPolicy = RetryPolicy(
            backoff: configuration.retryBackoff, backoffMax: configuration.retryBackoffMax,
            retries: configuration.retries)
        var settings = try ConnectionSettings(configuration: configuration)
        if let metricsFactory { settings.metricsFactory = metricsFactory }
        self.pool = ConnectionPool(
            settings: settings, reconnectBackoff: configuration.reconnectBackoff,
            reconnectBackoffMax: configuration.reconnectBackoffMax, eventLoopGroup: eventLoopGroup, logger: logger)
        self.state = NIOLockedValueBox(
            State(
                cache: MetadataCache(
                    maxAge: configuration.metadataMaxAge, errorRefreshDelay: configuration.retryBackoff)))
        let dimensions = [("client_id", configuration.clientID)]
        metadataRefreshes = Counter(
            label: "kafka_client_metadata_refreshes_total", dimensions: dimensions, factory: settings.metricsFactory)
        metadataRefreshFailures = Counter(
            label: "kafka_client_metadata_refresh_failures_total", dimensions: dimensions,
            factory: settings.metricsFactory)
    }

    /// Closes every connection. Requests in flight fail; later requests fail with `.shutDown`; coordinator lookups
    /// still retrying are cancelled.
    public func shutdown() async {
        await pool.shutdown()
        let (waiters, lookups) = state.withLockedValue { state in
            let waiters = state.waiters
            state.waiters = [:]
            return (waiters, state.coordinatorLookups.values.map(\.task))
        }
        for lookup in lookups { lookup.cancel() }
        for waiter in waiters.values {
            waiter.resume(throwing: KafkaNetworkError(.shutDown, "the client is closed"))
        }
    }

    // MARK: metadata

    /// The current snapshot, without any network traffic.
    public var cachedMetadata: ClusterMetadata {
        state.withLockedValue { $0.cache.snapshot }
    }

    /// The current snapshot and its generation (which grows with every metadata update), without network traffic.
    package var cachedMetadataWithGeneration: (metadata: ClusterMetadata, generation: UInt64) {
        state.withLockedValue { ($0.cache.snapshot, $0.cache.generation) }
    }

    /// The generation of the cached metadata: it grows with every metadata update.
    package var metadataGeneration: UInt64 {
        publishedGeneration.load(ordering: .acquiring)
    }

    /// Closes a connection that failed, and forgets it so that the next request reconnects.
    package func discard(_ connection: BrokerConnection) async {
        await pool.discard(connection)
    }

    /// Metadata that includes `topics` (nil: keeps the tracked topics), refreshed first when the
    /// cache is stale (older than `metadata.max.age.ms`, invalidated, or missing a topic).
    public func metadata(for topics: Set<String>? = nil) async throws -> ClusterMetadata {
        let needsRefresh = state.withLockedValue { state -> Bool in
            if let topics {
                let missing = topics.subtracting(state.cache.trackedTopics)
                state.cache.trackedTopics.formUnion(topics)
                if !missing.isEmpty { return true }
                if topics.contains(where: { state.cache.snapshot.topics[$0] == nil }) { return true }
            }
            return state.cache.needsRefresh(now: .now)
        }
        if needsRefresh {
            try await refreshMetadata()
        }
        return cachedMetadata
    }

    /// Marks the cached metadata of `topic` (nil: everything) stale, after an error such as
    /// NOT_LEADER_OR_FOLLOWER; the next ``metadata(for:)`` refreshes.
    public func invalidateMetadata(topic: String? = nil) {
        state.withLockedValue { $0.cache.invalidate(topic: topic) }
    }

    /// Refreshes the metadata of the tracked topics (`allTopics`: every topic of the cluster).
    /// Concurrent calls coalesce: one Metadata request serves every caller it covers.
    public func refreshMetadata(allTopics: Bool = false) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start = state.withLockedValue { state -> Set<String>?? in
                let topics: Set<String>? = allTopics ? nil : state.cache.trackedTopics
                let waiter = state.nextWaiter
                state.nextWaiter += 1
                state.waiters[waiter] = continuation
                switch state.refresh.requestRefresh(topics: topics, waiter: waiter) {
                case .startRequest(let topics): return .some(topics)
                case .wait: return .none
                }
            }
            if case .some(let topics) = start {
                Task { await self.runRefresh(topics: topics) }
            }
        }
    }

    /// Refreshes the metadata every `metadata.max.age.ms` until the task is cancelled.
    package func runPeriodicMetadataRefresh() async {
        while !Task.isCancelled {
            let deadline = state.withLockedValue { $0.cache.nextRefreshDeadline() } ?? .now
            let delay = ContinuousClock.now.duration(to: deadline)
            if delay > .zero {
                do { try await Task.sleep(for: delay) } catch { return }
            }
            do {
                try await refreshMetadata()
            } catch {
                do { try await Task.sleep(for: retryPolicy.backoff) } catch { return }
            }
        }
    }

    private func runRefresh(topics: Set<String>?) async {
        var topics = topics
        while true {
            metadataRefreshes.increment()
            let result: Result<Void, any Error>
            do {
                let response = try await fetchMetadata(topics: topics)
                state.withLockedValue { state in
                    let update = state.cache.update(with: response, requestedTopics: topics, now: .now)
                    let generation = state.cache.generation
                    publishedGeneration.store(generation, ordering: .releasing)
                    if !update.staleEpochPartitions.isEmpty {
                        logger.debug(
                            "ignored metadata with older leader epochs",
                            metadata: ["partitions": "\(update.staleEpochPartitions.map(\.description))"])
                    }
                }
                result = .success(())
            } catch {
                metadataRefreshFailures.increment()
                logger.debug("metadata refresh failed", metadata: ["error": "\(error)"])
                result = .failure(error)
            }
            let (resume, next) = state.withLockedValue {
                state -> ([CheckedContinuation<Void, any Error>], Set<String>??) in
                let completion: MetadataRefreshStateMachine.CompletionAction
                switch result {
                case .success: completion = state.refresh.requestSucceeded()
                case .failure: completion = state.refresh.requestFailed()
                }
                let ids: [Int]
                var next: Set<String>?? = .none
                switch completion {
                case .resume(let waiters): ids = waiters
                case .resumeAndStart(let waiters, let following):
                    ids = waiters
                    next = .some(following)
                }
                return (ids.compactMap { state.waiters.removeValue(forKey: $0) }, next)
            }
            for continuation in resume { continuation.resume(with: result) }
            guard case .some(let following) = next else { return }
            topics = following
        }
    }

    /// Sends one Metadata request to the first broker that answers: known brokers (connected ones
    /// first), then the bootstrap servers.
    private func fetchMetadata(topics: Set<String>?) async throws -> MetadataResponse {
        var lastError: (any Error)?
        for (address, nodeID) in await candidateBrokers() {
            do {
                let connection = try await pool.connection(to: address, nodeID: nodeID, kind: .admin)
                let version = try connection.versions.version(for: MetadataRequest.self)
                var request = MetadataRequest()
                if let topics {
                    request.topics = topics.sorted().map { MetadataRequest.MetadataRequestTopic(name: $0) }
                } else {
                    request.topics = version == 0 ? [] : nil
                }
                if version >= 4 {
                    request.allowAutoTopicCreation = topics != nil && configuration.allowAutoTopicCreation
                }
                let response = try await connection.send(request, version: version)
                try response.requireBrokers(from: address)
                return response
            } catch let error as KafkaNetworkError where !error.isRetriable {
                throw error
            } catch {
                lastError = error
            }
        }
        throw KafkaNetworkError(
            .noBrokerAvailable,
            "no broker answered a Metadata request (bootstrap.servers: "
                + configuration.bootstrapServers.map(\.description).joined(separator: ",")
                + ")\(lastError.map { "; last error: \($0)" } ?? "")",
            api: .metadata)
    }

    /// Brokers to try for a request that any broker can answer.
    func candidateBrokers() async -> [(BrokerAddress, Int32?)] {
        let snapshot = cachedMetadata
        let connected = Set(await pool.connectedAddresses(kind: .admin))
        var known = snapshot.brokers.values.map { (BrokerAddress(host: $0.host, port: $0.port), Optional($0.nodeID)) }
        known.shuffle()
        known.sort { connected.contains($0.0) && !connected.contains($1.0) }
        var seen = Set(known.map(\.0))
        var result = known
        for address in configuration.bootstrapServers where !seen.contains(address) {
            seen.insert(address)
            result.append((address, nil))
        }
        return result
    }
}
