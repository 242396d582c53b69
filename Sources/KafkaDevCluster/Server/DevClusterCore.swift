import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore

/// The shared heart of a ``DevCluster``: the cluster state under one lock, the parked requests
/// (long polls, joins waiting for a rebalance), the injected faults, and request dispatch.
///
/// Connections call ``process(_:body:connection:)`` on their event loop; answers that are ready
/// at once come back as the result, later ones through the connection's delivery callback.
final class DevClusterCore: Sendable {
    /// A request answered later.
    struct Parked: Sendable {
        var deadline: Int64
        /// Re-evaluates the request; returns the encoded response frame when ready.
        var poll: @Sendable (inout ClusterState, Int64, Bool) -> ByteBuffer?
        /// Hands the answer to the connection, on its event loop.
        var deliver: @Sendable (Immediate) -> Void
    }

    /// Faults injected by tests. The per-request counters are keyed by API; the nil key counts
    /// requests of any API, used when no counter of the request's own API is left.
    struct Faults: Sendable {
        var failures: [KafkaAPIKey: (count: Int, error: KafkaErrorCode)] = [:]
        var delays: [KafkaAPIKey: Duration] = [:]
        var delayAll: Duration = .zero
        var dropNext: [KafkaAPIKey?: Int] = [:]
        var closeNext: [KafkaAPIKey?: Int] = [:]
        var garbageNext: [KafkaAPIKey?: Int] = [:]
        var oversizedNext: [KafkaAPIKey?: Int] = [:]

        /// Consumes one request of `api` from `counters`; false when none is left.
        static func take(_ counters: inout [KafkaAPIKey?: Int], _ api: KafkaAPIKey) -> Bool {
            for key in [api, nil] as [KafkaAPIKey?] {
                if let remaining = counters[key], remaining > 0 {
                    counters[key] = remaining - 1
                    return true
                }
            }
            return false
        }
    }

    /// What a connection does with a request instead of answering it.
    enum ConnectionFault: Sendable {
        /// Close the connection (after the answers to earlier requests).
        case close
        /// Answer with a correctly sized frame of random bytes.
        case garbage
        /// Answer with a size prefix of 1 GiB followed by a few bytes.
        case oversized
    }

    /// How a connection treats a request it has just read, decided by ``receive(_:body:brokerID:)``.
    struct Intake: Sendable {
        /// Instead of the answer.
        var fault: ConnectionFault?
        /// Handle the request as usual but never send its answer.
        var dropAnswer: Bool
        /// How long to hold the answer back.
        var delay: Duration
    }

    struct Locked: Sendable {
        var cluster: ClusterState
        var faults = Faults()
        var parked: [Parked] = []
        var requestCounts: [KafkaAPIKey: Int] = [:]
        /// Every request received, oldest first; trimmed to the newest `requestLogLimit` once it holds
        /// twice as many.
        var requestLog: [DevCluster.ReceivedRequest] = []
        var connectionCount = 0
        var authenticatedUsers: [String] = []
        var reauthentications = 0
        var expiredSessionsClosed = 0
    }

    /// What a connection does with a request right away.
    enum Immediate {
        case send(ByteBuffer)
        case close
        case nothing
        /// The answer comes later through `deliver`.
        case pending
    }

    /// Who sent a request.
    struct Connection: Sendable {
        var brokerID: Int32
        var clientHost: String
        /// The principal of the connection's SASL session (`User:ANONYMOUS` without one).
        var principal = "User:ANONYMOUS"
        /// Delivers a later answer (`.send`, `.close` or `.nothing`); safe to call from any thread.
        var deliver: @Sendable (Immediate) -> Void
    }

    let configuration: DevClusterConfiguration
    let clock: any DevClock
    /// The version ranges ApiVersions advertises; a request outside its API's range closes the connection.
    let advertisedVersions: [KafkaAPIKey: ClosedRange<Int16>]
    let state: NIOLockedValueBox<Locked>

    /// Where the data directory is kept, when the cluster has one.
    let store: DevClusterStore?

    init(configuration: DevClusterConfiguration, ports: [Int32]) throws {
        self.configuration = configuration
        self.clock = configuration.clock
        self.advertisedVersions = DevApiVersions.advertised(configuration: configuration)
        var cluster = ClusterState(configuration: configuration, ports: ports)
        if let directory = configuration.dataDirectory {
            let store = try DevClusterStore(directory: directory)
            try store.load(into: &cluster)
            self.store = store
        } else {
            self.store = nil
        }
        for (name, partitions) in configuration.topics.sorted(by: { $0.key < $1.key }) {
            if cluster.topics[name] == nil {
                cluster.createTopic(name, partitions: partitions, replicationFactor: 1)
            }
        }
        state = NIOLockedValueBox(Locked(cluster: cluster))
    }

    /// Writes what changed since the last save to the data directory (nothing without one).
    func save() throws {
        guard let store else { return }
        let snapshot = state.withLockedValue { store.snapshot($0.cluster) }
        try store.write(snapshot)
    }

    /// Records a request read by a connection of `brokerID` and decides, in the same step, the
    /// injected faults and the delay that apply to it: a test that sees the request recorded can change
    /// the faults for the next requests without affecting this one.
    func receive(_ header: RequestHeader, body: ByteBuffer, brokerID: Int32) -> Intake {
        let apiKey = KafkaAPIKey(rawValue: header.requestApiKey)
        var request = DevCluster.ReceivedRequest(
            brokerID: brokerID, apiKey: apiKey, version: header.requestApiVersion, clientID: header.clientId,
            correlationID: header.correlationId)
        if apiKey == .apiVersions, header.requestApiVersion >= 3,
            ApiVersionsRequest.validVersions.contains(header.requestApiVersion),
            let decoded = try? ApiVersionsRequest.decode(from: body, version: header.requestApiVersion)
        {
            request.clientSoftwareName = decoded.clientSoftwareName
            request.clientSoftwareVersion = decoded.clientSoftwareVersion
        }
        let limit = max(configuration.requestLogLimit, 0)
        return state.withLockedValue { locked in
            locked.requestCounts[apiKey, default: 0] += 1
            if limit > 0 {
                locked.requestLog.append(request)
                if locked.requestLog.count >= 2 * limit {
                    locked.requestLog.removeFirst(locked.requestLog.count - limit)
                }
            }
            let delay = max(locked.faults.delays[apiKey] ?? .zero, locked.faults.delayAll)
            if Faults.take(&locked.faults.closeNext, apiKey) {
                return Intake(fault: .close, dropAnswer: false, delay: .zero)
            }
            if Faults.take(&locked.faults.dropNext, apiKey) {
                return Intake(fault: nil, dropAnswer: true, delay: delay)
            }
            if Faults.take(&locked.faults.garbageNext, apiKey) {
                return Intake(fault: .garbage, dropAnswer: false, delay: delay)
            }
            if Faults.take(&locked.faults.oversizedNext, apiKey) {
                return Intake(fault: .oversized, dropAnswer: false, delay: delay)
            }
            return Intake(fault: nil, dropAnswer: false, delay: delay)
        }
    }

    /// Counts a connection accepted by any broker.
    func connectionOpened() {
        state.withLockedValue { $0.connectionCount += 1 }
    }

    /// Records a completed SASL authentication.
    /// A connection authenticated again (KIP-368).
    func reauthenticated() {
        state.withLockedValue { $0.reauthentications += 1 }
    }

    /// A connection was closed because its SASL session had expired.
    func expiredSessionClosed() {
        state.withLockedValue { $0.expiredSessionsClosed += 1 }
    }

    func authenticated(_ user: String) {
        state.withLockedValue { $0.authenticatedUsers.append(user) }
    }

    /// Decodes and answers one request (header already read, recorded by ``receive(_:body:brokerID:)``).
    /// With `dropAnswer` the request is handled (a produce is written), only its answer is lost.
    func process(
        _ header: RequestHeader, body: ByteBuffer, connection: Connection, dropAnswer: Bool = false
    ) -> Immediate {
        let apiKey = KafkaAPIKey(rawValue: header.requestApiKey)
        guard let handler = DevAPIRegistry.handlers[apiKey] else { return .close }
        let now = clock.nowMillis()
        let context = RequestContext(
            brokerID: connection.brokerID, version: header.requestApiVersion, clientID: header.clientId,
            clientHost: connection.clientHost, now: now, principal: connection.principal)
        var deliveries: [(@Sendable (Immediate) -> Void, Immediate)] = []
        let immediate = state.withLockedValue { locked -> Immediate in
            var target = connection
            if dropAnswer {
                target.deliver = { answer in
                    if case .close = answer { connection.deliver(.close) } else { connection.deliver(.nothing) }
                }
            }
            locked.cluster.groups.tick(now: now)
            locked.cluster.abortTimedOutTransactions(now: now)
            locked.cluster.advanceReassignments(now: now)
            let result = Self.dispatch(
                handler, header: header, body: body, locked: &locked, context: context, connection: target)
            deliveries = Self.pollParked(&locked, now: now)
            if dropAnswer, case .send = result { return .nothing }
            return result
        }
        for (deliver, frame) in deliveries { deliver(frame) }
        return immediate
    }

    /// Re-evaluates parked requests (after a change or on the timer).
    func tick() {
        let now = clock.nowMillis()
        let deliveries = state.withLockedValue { locked in
            locked.cluster.groups.tick(now: now)
            locked.cluster.abortTimedOutTransactions(now: now)
            locked.cluster.advanceReassignments(now: now)
            return Self.pollParked(&locked, now: now)
        }
        for (deliver, frame) in deliveries { deliver(frame) }
    }

    /// Runs `body` on the cluster state, then wakes parked requests the change may have completed.
    @discardableResult
    func mutate<T>(_ body: (inout ClusterState) throws -> T) rethrows -> T {
        let now = clock.nowMillis()
        var deliveries: [(@Sendable (Immediate) -> Void, Immediate)] = []
        let result = try state.withLockedValue { locked in
            defer { deliveries = Self.pollParked(&locked, now: now) }
            return try body(&locked.cluster)
        }
        for (deliver, frame) in deliveries { deliver(frame) }
        return result
    }

    private static func pollParked(_ locked: inout Locked, now: Int64) -> [(
        @Sendable (Immediate) -> Void, Immediate
    )] {
        guard !locked.parked.isEmpty else { return [] }
        var ready: [(@Sendable (Immediate) -> Void, Immediate)] = []
        var index = 0
        while index < locked.parked.count {
            let parked = locked.parked[index]
            let expired = now >= parked.deadline
            if let frame = parked.poll(&locked.cluster, now, expired) {
                ready.append((parked.deliver, frame.readableBytes > 0 ? .send(frame) : .close))
                locked.parked.remove(at: index)
            } else if expired {
                ready.append((parked.deliver, .close))
                locked.parked.remove(at: index)
            } else {
                index += 1
            }
        }
        return ready
    }

    private static func dispatch<H: DevAPIHandler>(
        _: H.Type, header: RequestHeader, body: ByteBuffer, locked: inout Locked, context: RequestContext,
        connection: Connection
    ) -> Immediate {
        let version = header.requestApiVersion
        guard H.Request.validVersions.contains(version),
            let request = try? H.Request.decode(from: body, version: version)
        else { return .close }
        let correlationID = header.correlationId
        if let failure = locked.faults.failures[H.apiKey], failure.count > 0 {
            locked.faults.failures[H.apiKey] = (failure.count - 1, failure.error)
            let response = H.errorResponse(to: request, error: failure.error, context: context)
            return frame(H.Request.self, response, version: version, correlationID: correlationID).map {
                .send($0)
            } ?? .close
        }
        if locked.cluster.acls.enabled, let denial = H.denial(of: request, in: locked.cluster, context: context) {
            let response = H.errorResponse(to: request, error: denial, context: context)
            return frame(H.Request.self, response, version: version, correlationID: correlationID).map {
                .send($0)
            } ?? .close
        }
        switch H.handle(request, in: &locked.cluster, context: context) {
        case .respond(let response):
            return frame(H.Request.self, response, version: version, correlationID: correlationID).map {
                .send($0)
            } ?? .close
        case .noResponse:
            return .nothing
        case .close:
            return .close
        case .park(let deadline, let poll):
            locked.parked.append(
                Parked(
                    deadline: deadline,
                    poll: { state, now, expired in
                        guard let response = poll(&state, now, expired) else { return nil }
                        return frame(H.Request.self, response, version: version, correlationID: correlationID)
                            ?? ByteBuffer()
                    },
                    deliver: connection.deliver
                ))
            return .pending
        }
    }

    /// A whole response frame: size, response header at the version `R` calls for, body; nil when
    /// the response cannot be encoded at `version` (a bug in the handler: the connection closes).
    static func frame<R: KafkaRequest>(_: R.Type, _ response: R.Response, version: Int16, correlationID: Int32)
        -> ByteBuffer?
    {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(0))
        do {
            try ResponseHeader(correlationId: correlationID).encode(
                into: &buffer, version: R.responseHeaderVersion(for: version))
            try response.encode(into: &buffer, version: version)
        } catch {
            return nil
        }
        buffer.setInteger(Int32(clamping: buffer.readableBytes - 4), at: buffer.readerIndex)
        return buffer
    }
}
