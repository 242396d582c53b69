/// Exponential backoff with jitter between connection attempts to one broker, as in the Java
/// client: `reconnect.backoff.ms × 2^(failures−1)`, capped at `reconnect.backoff.max.ms`, times a
/// random factor in [0.8, 1.2].
///
/// A plain value: the pool records attempts and asks when the next one may start; it never sleeps
/// itself, so it is tested with a manual clock.
package struct ReconnectBackoff: Sendable, Hashable {
    /// The first delay after a failure.
    package var initial: Duration
    /// The largest delay.
    package var maximum: Duration
    /// The relative jitter (0.2 = ±20 %).
    package var jitter: Double
    /// Consecutive failed attempts since the last success.
    package private(set) var consecutiveFailures: Int = 0
    /// The earliest time the next attempt may start (nil = now).
    package private(set) var nextAttempt: ContinuousClock.Instant?

    /// Creates a backoff policy with no failures recorded.
    package init(initial: Duration, maximum: Duration, jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before the next attempt after `failures` consecutive failures, before jitter.
    package func baseDelay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        return ExponentialBackoff.base(attempt: failures, initial: initial, maximum: maximum)
    }

    /// Records a failed attempt at `now`; `random` is a uniform value in [0, 1) (injected for tests).
    package mutating func recordFailure(now: ContinuousClock.Instant, random: Double) -> Duration {
        consecutiveFailures += 1
        let delay = ExponentialBackoff.jittered(
            baseDelay(afterFailures: consecutiveFailures), jitter: jitter, random: random)
        nextAttempt = now.advanced(by: delay)
        return delay
    }

    /// Records a successful connection: the next failure starts from the initial delay again.
    package mutating func recordSuccess() {
        consecutiveFailures = 0
        nextAttempt = nil
    }

    /// How long to wait at `now` before the next attempt may start (zero when it may start now).
    package func remainingDelay(now: ContinuousClock.Instant) -> Duration {
        guard let nextAttempt, nextAttempt > now else { return .zero }
        return now.duration(to: nextAttempt)
    }
}

/// The backoff arithmetic shared by reconnects (``ReconnectBackoff``) and request retries
/// (``RetryPolicy``).
enum ExponentialBackoff {
    /// `initial × 2^(attempt−1)`, capped at `maximum` (attempt 1 is the first wait).
    static func base(attempt: Int, initial: Duration, maximum: Duration) -> Duration {
        let exponent = min(max(attempt - 1, 0), 32)
        let scaled = initial * Double(1 << exponent)
        return scaled > maximum ? maximum : scaled
    }

    /// `delay` times a factor in [1 − jitter, 1 + jitter]; `random` is uniform in [0, 1).
    static func jittered(_ delay: Duration, jitter: Double, random: Double) -> Duration {
        delay * (1 - jitter + 2 * jitter * min(max(random, 0), 1))
    }
}
