import Foundation

/// Runs blocking `body` (a child process waited for, a polling sleep) on a thread of its own and resumes the caller
/// with its result.
///
/// Swift's cooperative thread pool is as wide as the machine has cores: two on a CI runner. A test that blocks one
/// of its threads for the seconds a `kcat` run takes halves the pool for every other test running in parallel, and
/// their timers, clients and clusters then stall for seconds. Test helpers that block call this instead.
public func runOffThePool<Result: Sendable>(
    _ body: @escaping @Sendable () throws -> Result
) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do {
                continuation.resume(returning: try body())
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.name = "test-blocking"
        thread.start()
    }
}
