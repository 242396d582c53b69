import KafkaNetwork
import NIOConcurrencyHelpers
import NIOCore

/// Wakes the sender loop: from `send` when a batch is created or fills, from completed requests, and from a timer
/// for the next linger or backoff deadline.
///
/// A wake that arrives while the loop is busy is remembered, so the loop never sleeps through one.
final class SenderWakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var timer: Scheduled<Void>?
    }

    private let state = NIOLockedValueBox(State())
    private let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Wakes the loop (now, or as soon as it next waits).
    func wake() {
        let (waiter, timer): (CheckedContinuation<Void, Never>?, Scheduled<Void>?) = state.withLockedValue { state in
            guard let waiter = state.waiter else {
                state.pending = true
                return (nil, nil)
            }
            state.waiter = nil
            let timer = state.timer
            state.timer = nil
            return (waiter, timer)
        }
        timer?.cancel()
        waiter?.resume()
    }

    /// Waits for a wake, or at most `timeout` (`nil`: no limit).
    func wait(timeout: Duration?) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLockedValue { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow {
                continuation.resume()
                return
            }
            guard let timeout else { return }
            let nanoseconds = max(Int64(1), timeout.clampedNanoseconds)
            let timer = eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] () -> Void in self?.wake() }
            let stale = state.withLockedValue { state -> Bool in
                // The loop may have been woken between registering and scheduling: drop the timer then.
                guard state.waiter != nil else { return true }
                state.timer = timer
                return false
            }
            if stale { timer.cancel() }
        }
    }
}
