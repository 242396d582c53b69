#if canImport(Glibc)
    package import Glibc
#elseif canImport(Musl)
    package import Musl
#elseif canImport(Darwin)
    package import Darwin
#endif

/// A value behind a mutex that spins briefly before it sleeps, for the producer's hot, short critical sections
/// (an append to the accumulator holds its lock for well under a microsecond).
///
/// With the default pthread mutex a thread that finds the lock taken sleeps in the kernel at once (a futex wait and
/// two context switches, several microseconds), which is what the send path and the sender did to each other a few
/// hundred thousand times per second. On glibc this is an adaptive mutex (`PTHREAD_MUTEX_ADAPTIVE_NP`): it spins
/// for a bounded number of rounds while the holder runs, then sleeps like any mutex, so a preempted holder costs no
/// more than before. Elsewhere it is a plain mutex.
package final class SpinningLockedValueBox<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// The value lives outside the object: a stored `var` of a class is checked for exclusive access at run time on
    /// every use, which the lock makes redundant.
    @usableFromInline let value: UnsafeMutablePointer<Value>
    /// One allocation for both, the value right after the mutex (the holder touches both), aligned to and padded to
    /// ``cacheLinePair`` bytes: as two small heap blocks they shared cache lines with their heap neighbours, and a
    /// thread writing a neighbour then slowed every acquisition down (false sharing).
    private let memory: UnsafeMutableRawPointer

    /// Two 64-byte cache lines: the unit some processors fetch (adjacent-line prefetch).
    private static var cacheLinePair: Int { 128 }

    /// Creates the box holding `value`.
    package init(_ value: Value) {
        let line = Self.cacheLinePair
        let alignment = max(MemoryLayout<Value>.alignment, MemoryLayout<pthread_mutex_t>.alignment)
        let valueOffset = (MemoryLayout<pthread_mutex_t>.size + alignment - 1) / alignment * alignment
        let bytes = (valueOffset + MemoryLayout<Value>.size + line - 1) / line * line
        memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: max(line, alignment))
        mutex = memory.bindMemory(to: pthread_mutex_t.self, capacity: 1)
        self.value = (memory + valueOffset).bindMemory(to: Value.self, capacity: 1)
        self.value.initialize(to: value)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        #if canImport(Glibc)
            pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        #endif
        let error = pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        precondition(error == 0, "pthread_mutex_init failed: \(error)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        value.deinitialize(count: 1)
        memory.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable @discardableResult
    package func withLockedValue<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body(&value.pointee)
    }

    @inlinable
    func lock() {
        let error = pthread_mutex_lock(mutex)
        precondition(error == 0, "pthread_mutex_lock failed: \(error)")
    }

    @inlinable
    func unlock() {
        let error = pthread_mutex_unlock(mutex)
        precondition(error == 0, "pthread_mutex_unlock failed: \(error)")
    }
}
