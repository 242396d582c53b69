import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the dev cluster reads the time: wall-clock milliseconds since the epoch.
///
/// Record timestamps, log append times, group session and rebalance timeouts and fetch long polls all
/// read this clock, so a test can drive the cluster's time by hand with ``ManualDevClock``.
public protocol DevClock: Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    func nowMillis() -> Int64
}

/// The system's real-time clock.
public struct SystemDevClock: DevClock {
    /// Creates the system clock.
    public init() {}

    /// The system's real time (`CLOCK_REALTIME`) in milliseconds since 1970-01-01T00:00:00Z.
    public func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) &* 1000 &+ Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told to; for tests of timeouts.
///
/// After moving the clock, call ``DevCluster/tick()`` so the cluster notices expired sessions and
/// long polls at once (it also checks on its own timer).
public final class ManualDevClock: DevClock {
    private let millis: NIOLockedValueBox<Int64>

    /// Starts the clock at `start` milliseconds since the epoch.
    public init(start: Int64 = 1_700_000_000_000) {
        millis = NIOLockedValueBox(start)
    }

    /// The clock's current time in milliseconds since 1970-01-01T00:00:00Z.
    public func nowMillis() -> Int64 { millis.withLockedValue { $0 } }

    /// Moves the clock forward by `milliseconds` (negative values are ignored).
    public func advance(byMillis milliseconds: Int64) {
        millis.withLockedValue { $0 &+= max(milliseconds, 0) }
    }
}
