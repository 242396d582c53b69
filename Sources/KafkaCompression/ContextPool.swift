#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A small thread-safe cache of C library contexts (zlib streams, LZ4 and zstd contexts), so that
/// each call does not pay for allocating and initialising a context and its work buffers (fresh
/// memory costs page faults, which for a small batch cost more than the decoding).
///
/// At most `capacity` idle contexts are kept, and a context whose memory grew beyond
/// `maximumRetainedBytes` (a frame with a huge window, say) is freed rather than cached.
final class ContextPool: @unchecked Sendable {
    // All mutable state is guarded by `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var idle: [OpaquePointer] = []
    private let capacity: Int
    private let maximumRetainedBytes: Int
    private let create: @Sendable () -> OpaquePointer?
    private let destroy: @Sendable (OpaquePointer) -> Void
    private let memoryUsage: @Sendable (OpaquePointer) -> Int

    init(
        capacity: Int,
        maximumRetainedBytes: Int,
        create: @escaping @Sendable () -> OpaquePointer?,
        destroy: @escaping @Sendable (OpaquePointer) -> Void,
        memoryUsage: @escaping @Sendable (OpaquePointer) -> Int
    ) {
        self.capacity = capacity
        self.maximumRetainedBytes = maximumRetainedBytes
        self.create = create
        self.destroy = destroy
        self.memoryUsage = memoryUsage
        self.mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        self.mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(self.mutex, nil)
        self.idle.reserveCapacity(capacity)
    }

    deinit {
        for context in idle { destroy(context) }
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Returns a cached context, or a new one (`nil` only when the C library cannot allocate one).
    func acquire() -> OpaquePointer? {
        pthread_mutex_lock(mutex)
        let cached = idle.popLast()
        pthread_mutex_unlock(mutex)
        return cached ?? create()
    }

    /// Returns `context` to the cache, or frees it when it is not `reusable`, the cache is full or
    /// the context is too large.
    func release(_ context: OpaquePointer, reusable: Bool = true) {
        if reusable && memoryUsage(context) <= maximumRetainedBytes {
            pthread_mutex_lock(mutex)
            let kept = idle.count < capacity
            if kept { idle.append(context) }
            pthread_mutex_unlock(mutex)
            if kept { return }
        }
        destroy(context)
    }
}
