import KafkaNetwork
import NIOCore

/// Wakes the sender loop: from `send` when a batch is created or fills, from completed requests, and from a timer
/// for the next linger or backoff deadline.
///
/// A wake that arrives while the loop is busy is remembered, so the loop never sleeps through one. Timers are never
/// cancelled (a cancel from another thread costs the event loop a wake-up, which `send` would pay for every
/// batch): a timer that fires after its wait was over only makes the loop look once more, which is harmless, and a
/// timer still armed that fires before a new wait's deadline is reused instead of arming another.
final class SenderWakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        /// When the most recently armed timer fires, until it fired.
        var armed: ContinuousClock.Instant?
    }

    private let state = SpinningLockedValueBox(State())
    private let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Wakes the loop (now, or as soon as it next waits).
    func wake() {
        wake(unlessDueBy: nil)
    }

    /// Wakes the loop unless it is waiting for a timer that fires by `deadline` anyway (a new batch needs the loop
    /// only when its linger time is up). A loop that is busy is always told, since it may be about to wait longer.
    func wake(unlessDueBy deadline: ContinuousClock.Instant?) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLockedValue { state in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            if let deadline, let armed = state.armed, armed <= deadline { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Waits for a wake, or at most `timeout` (`nil`: no limit), on the caller's actor (`isolation`): the sender
    /// resumes on its own executor without a detour through the global one.
    func wait(timeout: Duration?, isolation: isolated (any Actor)? = #isolation) async {
        await withCheckedContinuation(isolation: isolation) { (continuation: CheckedContinuation<Void, Never>) in
            let now = ContinuousClock.now
            let due = timeout.map { now + max($0, .nanoseconds(1)) }
            let (resumeNow, arm) = state.withLockedValue { state -> (Bool, ContinuousClock.Instant?) in
                if state.pending {
                    state.pending = false
                    return (true, nil)
                }
                state.waiter = continuation
                guard let due else { return (false, nil) }
                if let armed = state.armed, armed <= due { return (false, nil) }  // fires first: it wakes this wait
                state.armed = due
                return (false, due)
            }
            if resumeNow {
                continuation.resume()
                return
            }
            guard let arm else { return }
            let nanoseconds = max(Int64(1), (arm - now).clampedNanoseconds)
            eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] () -> Void in self?.timerFired(arm) }
        }
    }

    private func timerFired(_ deadline: ContinuousClock.Instant) {
        state.withLockedValue { state in
            if state.armed == deadline { state.armed = nil }
        }
        wake()
    }
}
