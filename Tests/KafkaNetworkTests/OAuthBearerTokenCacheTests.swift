import NIOConcurrencyHelpers
import Testing

@testable import KafkaNetwork

/// The token cache with a manual clock: refresh at 80% of the lifetime, one fetch for concurrent callers, the
/// kept token while a refresh fails, never an expired token.
@Suite(.timeLimit(.minutes(2))) struct OAuthBearerTokenCacheTests {
    /// Issues `token-N` tokens valid for `lifetime` ms from the manual clock, or fails while `failing` is set.
    final class Issuer: OAuthBearerTokenProvider {
        let now = NIOLockedValueBox<Int64>(1_000_000)
        let failing = NIOLockedValueBox(false)
        let issued = NIOLockedValueBox(0)
        let lifetime: Int64
        let delay: Duration

        init(lifetime: Int64 = 100_000, delay: Duration = .zero) {
            self.lifetime = lifetime
            self.delay = delay
        }

        var clock: OAuthBearerClock { OAuthBearerClock { [now] in now.withLockedValue { $0 } } }

        func advance(_ millis: Int64) { now.withLockedValue { $0 += millis } }

        func token() async throws -> OAuthBearerToken {
            if delay > .zero { try await Task.sleep(for: delay) }
            if failing.withLockedValue({ $0 }) { throw Down() }
            let index = issued.withLockedValue { value in
                value += 1
                return value
            }
            return OAuthBearerToken(
                value: "token-\(index)", expirationMillis: now.withLockedValue { $0 } + lifetime, principalName: "p")
        }
    }

    struct Down: Error, CustomStringConvertible {
        var description: String { "the endpoint is down" }
    }

    @Test func refreshesAtEightyPercentOfTheLifetime() async throws {
        let issuer = Issuer()
        let cache = OAuthBearerTokenCache(provider: issuer, clock: issuer.clock)
        #expect(try await cache.token().value == "token-1")
        issuer.advance(79_999)
        #expect(try await cache.token().value == "token-1")
        #expect(await cache.fetches == 1)
        issuer.advance(1)
        #expect(try await cache.token().value == "token-2")
        issuer.advance(79_999)
        #expect(try await cache.token().value == "token-2")
        issuer.advance(1)
        #expect(try await cache.token().value == "token-3")
        #expect(await cache.fetches == 3)
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let issuer = Issuer(delay: .milliseconds(200))
        let cache = OAuthBearerTokenCache(provider: issuer, clock: issuer.clock)
        let values = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await cache.token().value } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(values) == ["token-1"])
        #expect(await cache.fetches == 1)
    }

    @Test func aFailedRefreshKeepsTheUnexpiredTokenButNeverOneAboutToExpire() async throws {
        let issuer = Issuer()
        let cache = OAuthBearerTokenCache(provider: issuer, clock: issuer.clock)
        _ = try await cache.token()
        issuer.failing.withLockedValue { $0 = true }
        issuer.advance(90_000)
        #expect(try await cache.token().value == "token-1")
        issuer.advance(9_000)  // One second left: still sent.
        #expect(try await cache.token().value == "token-1")
        issuer.advance(1)  // Less than a second left: it would expire on its way, so the provider's error is thrown.
        let nearlyExpired = await #expect(throws: KafkaNetworkError.self) { try await cache.token() }
        #expect(nearlyExpired?.message.contains("the endpoint is down") == true)
        issuer.advance(999)  // Now at the expiry.
        let error = await #expect(throws: KafkaNetworkError.self) { try await cache.token() }
        #expect(error?.kind == .authenticationFailed)
        #expect(error?.message.contains("the endpoint is down") == true)
        issuer.failing.withLockedValue { $0 = false }
        #expect(try await cache.token().value == "token-2")
    }

    @Test func anAlreadyExpiredTokenIsRefused() async throws {
        let issuer = Issuer(lifetime: -5000)
        let cache = OAuthBearerTokenCache(provider: issuer, clock: issuer.clock)
        let error = await #expect(throws: KafkaNetworkError.self) { try await cache.token() }
        #expect(
            error?.message == "SASL/OAUTHBEARER: the token provider returned a token for 'p' that expired 5.0 s ago")
        #expect(error?.message.contains("token-1") == false)
    }
}
