import Logging
import Metrics
import NIOCore
import NIOPosix

/// The connections of one client: at most one per broker address and ``ConnectionKind``, created
/// on demand, with reconnect backoff per broker (`reconnect.backoff.ms` growing exponentially, with
/// jitter, to `reconnect.backoff.max.ms`).
///
/// Concurrent callers asking for the same connection share one connection attempt. A caller that
/// asks while the broker is in backoff waits for the backoff to end (no busy loop).
actor ConnectionPool {
    private enum Slot {
        case connecting(Task<BrokerConnection, any Error>)
        case ready(BrokerConnection)
    }

    private struct Key: Hashable {
        var address: BrokerAddress
        var kind: ConnectionKind
    }

    private let settings: ConnectionSettings
    private let backoffTemplate: ReconnectBackoff
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private var slots: [Key: Slot] = [:]
    private var backoffs: [BrokerAddress: ReconnectBackoff] = [:]
    private var isShutDown = false
    private let reconnects: Counter
    private let connectionFailures: Counter

    init(
        settings: ConnectionSettings, reconnectBackoff: Duration, reconnectBackoffMax: Duration,
        eventLoopGroup: any EventLoopGroup, logger: Logger
    ) {
        self.settings = settings
        self.backoffTemplate = ReconnectBackoff(initial: reconnectBackoff, maximum: reconnectBackoffMax)
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        let dimensions = [("client_id", settings.clientID)]
        reconnects = Counter(
            label: "kafka_client_connections_created_total", dimensions: dimensions, factory: settings.metricsFactory)
        connectionFailures = Counter(
            label: "kafka_client_connection_failures_total", dimensions: dimensions, factory: settings.metricsFactory)
    }

    /// The ready connection to `address` for `kind`, connecting (after any backoff) if needed.
    func connection(to address: BrokerAddress, nodeID: Int32?, kind: ConnectionKind) async throws -> BrokerConnection {
        guard !isShutDown else { throw KafkaNetworkError(.shutDown, "the client is closed") }
        let key = Key(address: address, kind: kind)
        switch slots[key] {
        case .ready(let connection) where connection.isActive:
            return connection
        case .connecting(let task):
            return try await task.value
        case .ready, nil:
            break
        }
        let delay = backoffs[address, default: backoffTemplate].remainingDelay(now: .now)
        let settings = self.settings
        let group = eventLoopGroup
        let logger = self.logger
        let task = Task<BrokerConnection, any Error> {
            if delay > .zero {
                logger.debug(
                    "waiting before reconnecting",
                    metadata: ["kafka.broker.address": "\(address)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
            }
            return try await BrokerConnection.connect(
                to: address, nodeID: nodeID, kind: kind, settings: settings, eventLoopGroup: group, logger: logger)
        }
        slots[key] = .connecting(task)
        do {
            let connection = try await task.value
            if case .connecting = slots[key] { slots[key] = .ready(connection) }
            backoffs[address, default: backoffTemplate].recordSuccess()
            reconnects.increment()
            if isShutDown { await connection.close() }
            return connection
        } catch {
            if case .connecting = slots[key] { slots[key] = nil }
            let wait = backoffs[address, default: backoffTemplate].recordFailure(
                now: .now, random: Double.random(in: 0..<1))
            connectionFailures.increment()
            logger.debug(
                "connection attempt failed",
                metadata: ["kafka.broker.address": "\(address)", "error": "\(error)", "backoff": "\(wait)"])
            throw error
        }
    }

    /// Drops a connection that the caller found broken, so the next request reconnects.
    func discard(_ connection: BrokerConnection) async {
        let key = Key(address: connection.address, kind: connection.kind)
        if case .ready(let current) = slots[key], current === connection {
            slots[key] = nil
        }
        await connection.close()
    }

    /// The consecutive failures recorded for `address` (for tests and diagnostics).
    func consecutiveFailures(of address: BrokerAddress) -> Int {
        backoffs[address]?.consecutiveFailures ?? 0
    }

    /// Addresses with an open connection of `kind`.
    func connectedAddresses(kind: ConnectionKind) -> [BrokerAddress] {
        slots.compactMap { key, slot in
            if key.kind == kind, case .ready(let connection) = slot, connection.isActive { return key.address }
            return nil
        }
    }

    /// Closes every connection; later requests fail with `.shutDown`.
    func shutdown() async {
        isShutDown = true
        let current = slots
        slots = [:]
        for slot in current.values {
            switch slot {
            case .ready(let connection): await connection.close()
            case .connecting(let task): task.cancel()
            }
        }
    }
}
