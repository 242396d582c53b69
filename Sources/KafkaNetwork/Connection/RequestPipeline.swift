/// The requests of one ready connection, as a plain state machine: correlation ids, the bound on
/// requests in flight, the order responses must arrive in, and request timeouts.
///
/// Kafka answers the requests of one connection in the order they were sent, so a response must
/// carry the correlation id of the oldest request still in flight; anything else means the byte
/// stream can no longer be trusted and the connection is closed. Requests that expect no response
/// (`acks=0` produce) complete as soon as they are written and never occupy a slot; should a peer answer one
/// anyway (librdkafka's mock cluster does), the answer is recognised by its correlation id (the last
/// ``unansweredMemory`` such ids are remembered) and dropped instead of breaking the connection.
///
/// While the connection re-authenticates (``hold()``), requests in flight stay in flight and are answered as usual,
/// but new ones wait in the queue until ``release(now:)``; the SASL requests of the exchange take their correlation
/// ids from ``takeCorrelationID()``, so ids stay unique and increasing on the connection.
///
/// Generic over the payload so tests drive it with plain values; the channel handler uses it with
/// promises and encoded frames.
struct RequestPipeline<Payload> {
    struct Entry {
        var correlationID: Int32
        var payload: Payload
        var deadline: ContinuousClock.Instant
    }

    /// A request waiting for a slot.
    private struct Queued {
        var payload: Payload
        var expectsResponse: Bool
        var timeout: Duration
    }

    /// What the handler must do after a call.
    enum Action {
        /// Write this request with this correlation id. When `expectsResponse` is false, the
        /// request is complete once written.
        case write(correlationID: Int32, payload: Payload, expectsResponse: Bool)
    }

    /// The outcome of a received response.
    enum ReceiveOutcome {
        /// The response belongs to this payload; then perform `next` (requests that got a slot).
        case deliver(Payload, next: [Action])
        /// The response does not match the oldest request in flight: close the connection and fail
        /// every payload.
        case protocolViolation(expected: Int32?, failed: [Payload])
        /// The response answers a request sent without expecting one: drop it.
        case ignore
    }

    /// How many correlation ids of requests sent without expecting a response are remembered.
    static var unansweredMemory: Int { 256 }

    let maximumInFlight: Int
    /// What an in-flight entry keeps of a payload that was handed out to be written: the handler keeps its promise
    /// and drops the encoded frame, so a produce request's bytes are not held until the response comes.
    private let retained: (Payload) -> Payload
    private(set) var inFlight: [Entry] = []
    private var queue: [Queued] = []
    private var queueHead = 0
    private var nextCorrelationID: Int32
    private(set) var isClosed = false
    /// Whether new requests wait in the queue (a re-authentication is running).
    private(set) var isHeld = false
    /// Correlation ids of recent requests that expect no response, oldest first.
    private var unanswered: [Int32] = []

    init(maximumInFlight: Int, firstCorrelationID: Int32 = 1, retained: @escaping (Payload) -> Payload = { $0 }) {
        self.maximumInFlight = max(1, maximumInFlight)
        self.retained = retained
        self.nextCorrelationID = max(0, firstCorrelationID)
    }

    /// Requests waiting for a slot.
    var queuedCount: Int { queue.count - queueHead }

    /// Submits a request. Returns the write to perform, or nothing when it waits for a slot.
    /// After ``close()`` the payload is handed back as `rejected`.
    mutating func submit(
        _ payload: Payload, expectsResponse: Bool, timeout: Duration, now: ContinuousClock.Instant
    ) -> (actions: [Action], rejected: Payload?) {
        guard !isClosed else { return ([], payload) }
        let item = Queued(payload: payload, expectsResponse: expectsResponse, timeout: timeout)
        if !isHeld && inFlight.count < maximumInFlight && queuedCount == 0 {
            return ([start(item, now: now)], nil)
        }
        queue.append(item)
        return ([], nil)
    }

    /// Holds requests not yet written in the queue until ``release(now:)``; those in flight stay in flight.
    mutating func hold() {
        isHeld = true
    }

    /// Ends ``hold()``: returns the writes of the queued requests that get a slot, oldest first.
    mutating func release(now: ContinuousClock.Instant) -> [Action] {
        isHeld = false
        guard !isClosed else { return [] }
        return promote(now: now)
    }

    /// A correlation id for a request the pipeline does not track (a re-authentication's SASL requests).
    mutating func takeCorrelationID() -> Int32 {
        let id = nextCorrelationID
        nextCorrelationID = nextCorrelationID == Int32.max ? 0 : nextCorrelationID + 1
        return id
    }

    /// Handles a response frame with `correlationID`.
    mutating func receive(correlationID: Int32, now: ContinuousClock.Instant) -> ReceiveOutcome {
        guard let first = inFlight.first, first.correlationID == correlationID else {
            if let index = unanswered.firstIndex(of: correlationID) {
                unanswered.removeSubrange(...index)
                return .ignore
            }
            let expected = inFlight.first?.correlationID
            return .protocolViolation(expected: expected, failed: close())
        }
        inFlight.removeFirst()
        return .deliver(first.payload, next: promote(now: now))
    }

    /// The earliest deadline of a request in flight, for the handler's timer.
    var nextDeadline: ContinuousClock.Instant? {
        // Read in place: a key-path map copied each entry, payload included (a handful of retains per entry, and this
        // runs for every request and response).
        var earliest: ContinuousClock.Instant?
        for index in inFlight.indices {
            let deadline = inFlight[index].deadline
            if earliest.map({ deadline < $0 }) ?? true { earliest = deadline }
        }
        return earliest
    }

    /// Checks deadlines at `now`. When a request has timed out the pipeline closes: the timed-out
    /// payloads fail with a timeout, all others with a retriable network error.
    mutating func checkTimeouts(now: ContinuousClock.Instant) -> (timedOut: [Payload], others: [Payload])? {
        guard let earliest = nextDeadline, earliest <= now else { return nil }
        let timedOut = inFlight.filter { $0.deadline <= now }.map(\.payload)
        let others = inFlight.filter { $0.deadline > now }.map(\.payload) + queuedPayloads()
        inFlight = []
        clearQueue()
        isClosed = true
        return (timedOut, others)
    }

    /// Closes the pipeline, returning every payload still in flight or queued (oldest first).
    mutating func close() -> [Payload] {
        let failed = inFlight.map(\.payload) + queuedPayloads()
        inFlight = []
        clearQueue()
        isClosed = true
        return failed
    }

    private mutating func start(_ item: Queued, now: ContinuousClock.Instant) -> Action {
        let id = takeCorrelationID()
        if item.expectsResponse {
            inFlight.append(
                Entry(correlationID: id, payload: retained(item.payload), deadline: now.advanced(by: item.timeout)))
        } else {
            if unanswered.count >= Self.unansweredMemory { unanswered.removeFirst(unanswered.count / 2) }
            unanswered.append(id)
        }
        return .write(correlationID: id, payload: item.payload, expectsResponse: item.expectsResponse)
    }

    private mutating func promote(now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        while !isHeld, inFlight.count < maximumInFlight, queueHead < queue.count {
            let item = queue[queueHead]
            queueHead += 1
            actions.append(start(item, now: now))
        }
        if queueHead == queue.count {
            clearQueue()
        } else if queueHead > 64 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return actions
    }

    private func queuedPayloads() -> [Payload] {
        queue[queueHead...].map(\.payload)
    }

    private mutating func clearQueue() {
        queue.removeAll(keepingCapacity: true)
        queueHead = 0
    }
}
