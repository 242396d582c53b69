#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Real time in milliseconds since 1970-01-01T00:00:00Z, the time base of token expiry; tests inject their own.
package struct OAuthBearerClock: Sendable {
    /// Reads the clock.
    package var nowMillis: @Sendable () -> Int64

    /// A clock reading `nowMillis`.
    package init(nowMillis: @escaping @Sendable () -> Int64) {
        self.nowMillis = nowMillis
    }

    /// The system's real-time clock (`CLOCK_REALTIME`).
    package static let system = OAuthBearerClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// One client's SASL/OAUTHBEARER token: fetched from the provider on first use, kept, and fetched again once 80%
/// of its lifetime (from when it was asked for to its expiry) has passed, as Java's login refresh does.
///
/// Concurrent connections share one fetch. When a refresh fails while the kept token has at least a second left
/// (``keptTokenMinimumRemainingMillis``), the kept token is used (the next connection tries again); a connection is
/// never opened with an expired token, nor with one that would expire on its way to the broker.
package actor OAuthBearerTokenCache {
    /// The share of a token's lifetime after which it is replaced.
    static let refreshFraction = 0.8
    /// How long a kept token must still be valid to stand in for a failed refresh: one expiring sooner would be
    /// refused by the broker as expired, hiding the provider's error.
    static let keptTokenMinimumRemainingMillis: Int64 = 1_000

    package nonisolated let provider: any OAuthBearerTokenProvider
    private let clock: OAuthBearerClock
    private var current: (token: OAuthBearerToken, refreshAtMillis: Int64)?
    private var fetching: Task<OAuthBearerToken, any Error>?
    /// How many times the provider was asked for a token.
    package private(set) var fetches = 0

    /// A cache in front of `provider`.
    package init(provider: any OAuthBearerTokenProvider, clock: OAuthBearerClock = .system) {
        self.provider = provider
        self.clock = clock
    }

    /// The kept token while it is fresh, else a new one from the provider.
    ///
    /// - Throws: ``KafkaNetworkError`` of kind `.authenticationFailed` when the provider fails (and no unexpired
    ///   token is kept) or returns an expired token.
    package func token() async throws(KafkaNetworkError) -> OAuthBearerToken {
        let askedAt = clock.nowMillis()
        if let current, askedAt < current.refreshAtMillis { return current.token }
        let task: Task<OAuthBearerToken, any Error>
        if let fetching {
            task = fetching
        } else {
            let provider = provider
            task = Task { try await provider.token() }
            fetching = task
            fetches += 1
        }
        let result = await task.result
        if fetching == task { fetching = nil }
        let now = clock.nowMillis()
        switch result {
        case .success(let token) where token.expirationMillis > now:
            if current?.token != token {
                let lifetime = Double(token.expirationMillis - askedAt)
                current = (token, askedAt + Int64(lifetime * Self.refreshFraction))
            }
            return token
        case .success(let token):
            if let kept = usableKeptToken(now: now) { return kept }
            let ago = Double(now - token.expirationMillis) / 1000
            throw KafkaNetworkError(
                .authenticationFailed,
                "SASL/OAUTHBEARER: the token provider returned a token for '\(token.principalName)' that expired "
                    + "\(ago) s ago")
        case .failure(let error):
            if let kept = usableKeptToken(now: now) { return kept }
            if let error = error as? KafkaNetworkError { throw error }
            throw KafkaNetworkError(.authenticationFailed, "SASL/OAUTHBEARER: could not get a token: \(error)")
        }
    }

    /// The kept token, when it is valid for at least ``keptTokenMinimumRemainingMillis`` more.
    private func usableKeptToken(now: Int64) -> OAuthBearerToken? {
        guard let kept = current?.token, kept.expirationMillis - now >= Self.keptTokenMinimumRemainingMillis else {
            return nil
        }
        return kept
    }
}
