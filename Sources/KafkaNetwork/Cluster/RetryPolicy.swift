package import KafkaProtocol

/// Exponential backoff between retries of a request (`retry.backoff.ms` growing to
/// `retry.backoff.max.ms`, KIP-580), with ±20 % jitter, and the rules for what is retried.
package struct RetryPolicy: Sendable, Hashable {
    /// The first backoff.
    package var backoff: Duration
    /// The largest backoff.
    package var backoffMax: Duration
    /// The most retries after the first attempt.
    package var retries: Int

    /// Creates a policy.
    package init(backoff: Duration, backoffMax: Duration, retries: Int) {
        self.backoff = backoff
        self.backoffMax = max(backoff, backoffMax)
        self.retries = max(0, retries)
    }

    /// The delay before retry number `attempt` (1 = the first retry); `random` in [0, 1).
    package func delay(beforeRetry attempt: Int, random: Double) -> Duration {
        ExponentialBackoff.jittered(baseDelay(beforeRetry: attempt), jitter: 0.2, random: random)
    }

    /// The delay before retry number `attempt` without jitter: `backoff × 2^(attempt−1)`, capped at `backoffMax`.
    package func baseDelay(beforeRetry attempt: Int) -> Duration {
        ExponentialBackoff.base(attempt: attempt, initial: backoff, maximum: backoffMax)
    }

    /// Whether `error` may succeed when retried.
    package static func isRetriable(_ error: any Error) -> Bool {
        switch error {
        case let error as KafkaNetworkError: error.isRetriable
        case let error as KafkaError:
            error.isRetriable || error.code.invalidatesMetadata || error.code.isCoordinatorError
        default: false
        }
    }
}

extension KafkaErrorCode {
    /// Errors that mean the cached coordinator is wrong or not ready yet.
    package var isCoordinatorError: Bool {
        self == .notCoordinator || self == .coordinatorNotAvailable || self == .coordinatorLoadInProgress
    }
}
