/// Coalesces concurrent metadata refreshes into one Metadata request at a time.
///
/// A plain state machine: callers register with a waiter id and get back the action to take; the owner of the
/// in-flight request reports its outcome and gets back the waiters to wake and, possibly, the one follow-up request
/// to start. While a request is in flight, callers it covers wait for it; the others are queued for a single
/// follow-up request asking for the union of their topics.
///
/// Waiter ids must be unique among the waiters currently registered; registering an id twice keeps one
/// registration.
package struct MetadataRefreshStateMachine: Sendable {
    /// What a caller of ``requestRefresh(topics:waiter:)`` must do.
    package enum Action: Sendable, Equatable {
        /// Send one Metadata request for these topics (nil: all topics), then report its outcome.
        case startRequest(topics: Set<String>?)
        /// A request is in flight (or queued) that will cover this caller: wait to be resumed.
        case wait
    }

    /// What the owner of the finished request must do.
    package enum CompletionAction: Sendable, Equatable {
        /// Wake these waiters, with the request's success or error.
        case resume(waiters: [Int])
        /// Wake these waiters, then start the follow-up request for `next` (nil: all topics) and report its outcome.
        case resumeAndStart(waiters: [Int], next: Set<String>?)
    }

    private struct InFlight: Sendable {
        var topics: Set<String>?
        var waiters: [Int]
    }

    private struct Queued: Sendable {
        var waiter: Int
        var topics: Set<String>?
    }

    private var inFlight: InFlight?
    private var queued: [Queued] = []

    /// Creates an idle state machine.
    package init() {}

    /// Whether a Metadata request is in flight.
    package var isRequestInFlight: Bool { inFlight != nil }

    /// The waiters registered, in flight or queued (for diagnostics).
    package var waiterCount: Int { (inFlight?.waiters.count ?? 0) + queued.count }

    /// A caller wants fresh metadata for `topics` (nil: all topics).
    ///
    /// - Returns: ``Action/startRequest(topics:)`` when no request is in flight (the caller sends it);
    ///   ``Action/wait`` when the request in flight covers `topics`, or when it does not and `topics` were queued
    ///   for the one follow-up request started when the current one completes.
    package mutating func requestRefresh(topics: Set<String>?, waiter: Int) -> Action {
        guard var current = inFlight else {
            inFlight = InFlight(topics: topics, waiters: [waiter])
            return .startRequest(topics: topics)
        }
        if current.waiters.contains(waiter) || queued.contains(where: { $0.waiter == waiter }) {
            return .wait
        }
        if Self.covers(current.topics, topics) {
            current.waiters.append(waiter)
            inFlight = current
        } else {
            queued.append(Queued(waiter: waiter, topics: topics))
        }
        return .wait
    }

    /// The request in flight succeeded.
    package mutating func requestSucceeded() -> CompletionAction {
        complete()
    }

    /// The request in flight failed: its waiters get the error; a queued follow-up still starts.
    package mutating func requestFailed() -> CompletionAction {
        complete()
    }

    /// A waiter gave up (its task was cancelled). A follow-up request nobody waits for any more is dropped.
    ///
    /// - Returns: whether the waiter was registered (false when it was already resumed or never registered).
    package mutating func cancel(waiter: Int) -> Bool {
        if var current = inFlight, let index = current.waiters.firstIndex(of: waiter) {
            current.waiters.remove(at: index)
            inFlight = current
            return true
        }
        if let index = queued.firstIndex(where: { $0.waiter == waiter }) {
            queued.remove(at: index)
            return true
        }
        return false
    }

    private mutating func complete() -> CompletionAction {
        let waiters = inFlight?.waiters ?? []
        guard !queued.isEmpty else {
            inFlight = nil
            return .resume(waiters: waiters)
        }
        var next: Set<String>? = []
        for entry in queued {
            guard let topics = entry.topics, let union = next else {
                next = nil
                break
            }
            next = union.union(topics)
        }
        inFlight = InFlight(topics: next, waiters: queued.map(\.waiter))
        queued = []
        return .resumeAndStart(waiters: waiters, next: next)
    }

    /// Whether a request for `inFlight` topics also answers a request for `wanted` topics.
    private static func covers(_ inFlight: Set<String>?, _ wanted: Set<String>?) -> Bool {
        guard let inFlight else { return true }
        guard let wanted else { return false }
        return wanted.isSubset(of: inFlight)
    }
}
