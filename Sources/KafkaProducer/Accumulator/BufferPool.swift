import KafkaNetwork
import NIOConcurrencyHelpers
import NIOCore

/// Errors of the producer's memory accounting and record accumulation.
package enum ProducerBufferError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A record (or the batch it needs) of `size` bytes can never fit within `limit` bytes (`buffer.memory` or
    /// `max.request.size`) — Java's `RecordTooLargeException`.
    case recordTooLarge(size: Int, limit: Int)
    /// `size` bytes of `buffer.memory` could not be reserved within `max.block.ms` (`waited`).
    case timedOut(size: Int, waited: Duration)
    /// The accumulator is closed: no more records are accepted.
    case closed

    /// A human-readable explanation.
    package var description: String {
        switch self {
        case .recordTooLarge(let size, let limit):
            "the record needs \(size) bytes, more than the limit of \(limit) bytes (buffer.memory or max.request.size)"
        case .timedOut(let size, let waited):
            "buffer.memory exhausted: could not reserve \(size) bytes for a record batch within max.block.ms (\(waited))"
        case .closed:
            "the producer is closed: the record accumulator accepts no more records"
        }
    }
}

/// Bounds the memory of records waiting to be sent (`buffer.memory`), in bytes, and keeps the buffers of finished
/// batches for the next ones, as the Java client's `BufferPool`.
///
/// Callers reserve bytes before creating a batch and release them when the batch is done. Waiters in
/// ``reserve(_:maxBlock:)`` are served in FIFO order, and while any waiter is queued no new reservation may overtake
/// it (``tryReserve(_:)`` returns `false`).
///
/// A finished batch's buffer of the usual size (``poolableCapacity``), and its completion slots, are kept on a free
/// list and handed to the next batch instead of going back to `malloc` (see `BufferPool+FreeList.swift`).
///
/// Thread-safe: all state sits behind one lock; continuations are resumed and dropped buffers freed outside it.
package final class BufferPool: Sendable {
    /// The total memory (`buffer.memory`), in bytes.
    package let totalMemory: Int
    /// The usual reservation size (`batch.size`); informational, kept for metrics and diagnostics.
    package let poolableSize: Int
    /// The capacity of a `batch.size` buffer as `ByteBuffer` allocates it (the next power of two): the capacity of
    /// the buffers the free list keeps.
    package let poolableCapacity: Int

    struct Waiter {
        let id: UInt64
        let size: Int
        /// When `max.block.ms` runs out for this waiter, and how long it was.
        let deadline: ContinuousClock.Instant
        let maxBlock: Duration
        let continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var available: Int
        /// Finished batches' memory for the next batches (see `BufferPool+FreeList.swift`); `freeBytes <= available`.
        var free: [FreeBatchMemory] = []
        var freeBytes = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        /// Waiters cancelled or timed out before they were queued, with the error to throw.
        var abandoned: [UInt64: any Error] = [:]
        /// Reservations between getting an id and returning.
        var pending: Set<UInt64> = []
        /// The deadline the expiry timer sleeps until; `nil` when no timer runs (see ``BufferPool/armExpiryTimer``).
        var expiryTimer: ContinuousClock.Instant?
        /// How many expiry timers were started (for tests: waits while one runs start none).
        var expiryTimersStarted = 0
    }

    let state: SpinningLockedValueBox<State>

    /// Creates a pool of `totalMemory` bytes.
    ///
    /// - Parameters:
    ///   - totalMemory: `buffer.memory`; negative values are treated as 0.
    ///   - poolableSize: `batch.size`.
    package init(totalMemory: Int, poolableSize: Int) {
        self.totalMemory = max(0, totalMemory)
        self.poolableSize = max(0, poolableSize)
        self.poolableCapacity = Self.allocatedCapacity(poolableSize)
        self.state = SpinningLockedValueBox(State(available: max(0, totalMemory)))
    }

    /// The bytes not reserved.
    package var availableMemory: Int { state.withLockedValue { $0.available } }

    /// The number of tasks suspended in ``reserve(_:maxBlock:)``.
    package var queuedWaiters: Int { state.withLockedValue { $0.waiters.count } }

    /// The capacity `ByteBuffer` allocates for `size` bytes: the next power of two (0 for 0).
    package static func allocatedCapacity(_ size: Int) -> Int {
        guard size > 1 else { return max(size, 0) }
        let bits = Int.bitWidth - (size - 1).leadingZeroBitCount
        return bits >= Int.bitWidth - 1 ? size : 1 << bits
    }

    /// Reserves `size` bytes now if they are available and nobody is waiting; never blocks.
    ///
    /// - Returns: `true` when the bytes were reserved.
    /// - Throws: ``ProducerBufferError/recordTooLarge(size:limit:)`` when `size` exceeds ``totalMemory``.
    package func tryReserve(_ size: Int) throws(ProducerBufferError) -> Bool {
        try check(size)
        return withTrimmedState { state in
            guard state.waiters.isEmpty, state.available >= size else { return false }
            state.available -= size
            return true
        }
    }

    /// Reserves `size` bytes, suspending until enough memory is released or `maxBlock` (`max.block.ms`) passed.
    ///
    /// - Throws: ``ProducerBufferError/recordTooLarge(size:limit:)`` when `size` exceeds ``totalMemory``;
    ///   ``ProducerBufferError/timedOut(size:waited:)`` after `maxBlock`; `CancellationError` when the task is
    ///   cancelled while waiting (the waiter is removed).
    package func reserve(_ size: Int, maxBlock: Duration) async throws {
        try check(size)
        let id: UInt64? = withTrimmedState { state in
            if state.waiters.isEmpty, state.available >= size {
                state.available -= size
                return nil
            }
            state.nextID &+= 1
            state.pending.insert(state.nextID)
            return state.nextID
        }
        guard let id else { return }
        defer {
            state.withLockedValue { state in
                state.pending.remove(id)
                state.abandoned.removeValue(forKey: id)
            }
        }
        try Task.checkCancellation()
        guard maxBlock > .zero else { throw ProducerBufferError.timedOut(size: size, waited: maxBlock) }
        let deadline = ContinuousClock.now.advanced(by: maxBlock)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                var startTimer = false
                let outcome: Result<Void, any Error>? = withTrimmedState { state in
                    if let error = state.abandoned.removeValue(forKey: id) { return .failure(error) }
                    if state.waiters.isEmpty, state.available >= size {
                        state.available -= size
                        return .success(())
                    }
                    state.waiters.append(
                        Waiter(id: id, size: size, deadline: deadline, maxBlock: maxBlock, continuation: continuation))
                    startTimer = Self.armExpiryTimer(&state, for: deadline)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
                if startTimer { runExpiryTimer(until: deadline) }
            }
        } onCancel: {
            self.abandon(id, with: CancellationError())
        }
    }

    /// Whether a waiter with `deadline` needs a new expiry timer: none runs, or the running one sleeps past it.
    ///
    /// One timer serves every waiter: it sleeps until the earliest deadline, fails the waiters whose time ran out,
    /// and sleeps again until the next deadline, or stops when no waiter is left. A timer task per wait (created,
    /// scheduled and cancelled) cost the producer a few per cent of its CPU time whenever `buffer.memory` was full
    /// and the sender waited for each released batch.
    private static func armExpiryTimer(_ state: inout State, for deadline: ContinuousClock.Instant) -> Bool {
        if let armed = state.expiryTimer, armed <= deadline { return false }
        state.expiryTimer = deadline  // a timer sleeping longer sees it was superseded and stops when it wakes
        state.expiryTimersStarted += 1
        return true
    }

    private func runExpiryTimer(until deadline: ContinuousClock.Instant) {
        // Holds the pool only while it expires waiters, not while it sleeps.
        Task { [weak self] in
            var wake = deadline
            while true {
                try? await Task.sleep(until: wake, clock: .continuous)
                guard let self, let next = self.expireWaiters(timer: wake) else { return }
                wake = next
            }
        }
    }

    /// Fails the waiters whose deadline passed; returns when the timer that slept until `timer` should wake next, or
    /// `nil` when it stops (no waiter left, or another timer took over).
    private func expireWaiters(timer: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let now = ContinuousClock.now
        let (expired, woken, next): ([Waiter], [CheckedContinuation<Void, any Error>], ContinuousClock.Instant?) =
            withTrimmedState { state in
                guard state.expiryTimer == timer else { return ([], [], nil) }
                var expired: [Waiter] = []
                state.waiters.removeAll { waiter in
                    guard waiter.deadline <= now else { return false }
                    expired.append(waiter)
                    return true
                }
                // A removed head may unblock smaller waiters behind it.
                let woken = expired.isEmpty ? [] : Self.serve(&state)
                let next = state.waiters.lazy.map(\.deadline).min()
                state.expiryTimer = next
                return (expired, woken, next)
            }
        for waiter in expired {
            waiter.continuation.resume(
                throwing: ProducerBufferError.timedOut(size: waiter.size, waited: waiter.maxBlock))
        }
        for continuation in woken { continuation.resume() }
        return next
    }

    /// How many expiry timers were started so far (see ``armExpiryTimer(_:for:)``).
    var expiryTimersStarted: Int { state.withLockedValue { $0.expiryTimersStarted } }

    /// Returns `size` bytes to the pool and wakes the waiters that now fit, in order.
    package func release(_ size: Int) {
        guard size > 0 else { return }
        let woken = withTrimmedState { state in
            state.available = min(totalMemory, state.available + size)
            return Self.serve(&state)
        }
        for continuation in woken { continuation.resume() }
    }

    private func check(_ size: Int) throws(ProducerBufferError) {
        guard size <= totalMemory else { throw .recordTooLarge(size: size, limit: totalMemory) }
    }

    /// Fails waiter `id` with `error`: removes it when queued, otherwise remembers the error for when it queues.
    private func abandon(_ id: UInt64, with error: any Error) {
        let removed: CheckedContinuation<Void, any Error>? = state.withLockedValue { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                if state.pending.contains(id), state.abandoned[id] == nil { state.abandoned[id] = error }
                return nil
            }
            return state.waiters.remove(at: index).continuation
        }
        guard let removed else { return }
        removed.resume(throwing: error)
        // A removed head may unblock smaller waiters behind it.
        let next = withTrimmedState { Self.serve(&$0) }
        for continuation in next { continuation.resume() }
    }

    /// Pops the waiters at the head of the queue that fit in the available memory.
    private static func serve(_ state: inout State) -> [CheckedContinuation<Void, any Error>] {
        var woken: [CheckedContinuation<Void, any Error>] = []
        var served = 0
        for waiter in state.waiters {
            guard waiter.size <= state.available else { break }
            state.available -= waiter.size
            woken.append(waiter.continuation)
            served += 1
        }
        state.waiters.removeFirst(served)
        return woken
    }
}
