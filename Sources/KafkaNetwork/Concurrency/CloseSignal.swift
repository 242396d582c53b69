import NIOConcurrencyHelpers

/// A one-way signal that a client was closed, for the `Service.run()` of clients whose work happens on the caller's
/// tasks: `run()` waits on it until graceful shutdown or until `close()` fires it.
package final class CloseSignal: Sendable {
    private struct State {
        var fired = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())

    package init() {}

    /// Whether ``fire()`` was called.
    package var isFired: Bool { state.withLockedValue { $0.fired } }

    /// Marks the client closed and resumes every waiter; `false` when it was fired already.
    @discardableResult
    package func fire() -> Bool {
        let (first, waiters) = state.withLockedValue { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard !state.fired else { return (false, []) }
            state.fired = true
            defer { state.waiters = [:] }
            return (true, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume() }
        return first
    }

    /// Suspends until ``fire()`` is called, or the task is cancelled.
    package func wait() async {
        let id = state.withLockedValue { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state in
                    // A cancellation that came first found nothing to resume: `Task.isCancelled` is already set.
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
