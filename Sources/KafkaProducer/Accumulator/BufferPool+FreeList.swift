package import NIOCore

/// A finished batch's memory on the pool's free list: its cleared buffer and, for the accumulator, its emptied
/// completion slots (an array of the accumulator's token type, type-erased as the pool is not generic).
struct FreeBatchMemory: Sendable {
    var buffer: ByteBuffer
    /// An array of the accumulator's completion type (`[Completion]`), erased.
    var slots: (any Sendable)?
    /// What it takes: the buffer's capacity and the slots' capacity.
    var bytes: Int
}

/// The free list, as the Java client's `BufferPool` keeps its free `batch.size` buffers.
///
/// A batch's buffer and completion slots are allocated once and reused: memory freed on the sender's thread and
/// allocated again on a sending thread would spread over glibc's per-thread arenas, each keeping its own high-water
/// mark, and resident memory would reach twice `buffer.memory`.
///
/// Free memory counts as available (a reservation may use its room) and never exceeds it: every change under the
/// pool's lock goes through ``BufferPool/withTrimmedState(_:)``, which drops free entries until
/// `freeBytes <= available` (they are freed outside the lock).
extension BufferPool {
    /// The number of finished batches' buffers on the free list.
    package var freeBuffers: Int { state.withLockedValue { $0.free.count } }

    /// A buffer of ``poolableCapacity`` from the free list, cleared, or `nil` when the list is empty. Call with the
    /// bytes reserved: the buffer's memory is the reservation's.
    package func takeBuffer() -> ByteBuffer? { take()?.buffer }

    /// A finished batch's memory from the free list: the buffer cleared, the slots as recycled (emptied).
    func take() -> (buffer: ByteBuffer, slots: (any Sendable)?)? {
        guard
            var entry: FreeBatchMemory = state.withLockedValue({ state in
                guard let entry = state.free.popLast() else { return nil }
                state.freeBytes -= entry.bytes
                return entry
            })
        else { return nil }
        entry.buffer.clear()  // unique when recycled as documented: no allocation
        return (entry.buffer, entry.slots)
    }

    /// Keeps finished batches' buffers on the free list, those of capacity ``poolableCapacity`` while the available
    /// memory has room for them (their bytes were released already); the others are dropped.
    ///
    /// Pass buffers nobody else references, so that ``takeBuffer()`` clears them in place (a shared buffer is still
    /// safe: clearing it allocates new storage, and the old one is freed with its last reference).
    package func recycle(_ buffers: consuming [ByteBuffer]) {
        recycle(buffers.map { FreeBatchMemory(buffer: $0, slots: nil, bytes: $0.capacity) })
    }

    /// Keeps finished batches' memory on the free list (see ``recycle(_:)-(consuming[ByteBuffer])``).
    func recycle(_ entries: consuming [FreeBatchMemory]) {
        var kept = entries
        kept.removeAll { $0.buffer.capacity != poolableCapacity || poolableCapacity == 0 }
        guard !kept.isEmpty else { return }
        withTrimmedState { state in
            for entry in kept {
                state.free.append(entry)
                state.freeBytes += entry.bytes
            }
        }
        kept = []  // the free list holds the only references now
    }

    /// Runs `body` on the pool's state under its lock, then drops free entries until their memory fits the available
    /// memory again (every change of `available` or of the free list goes through here); the dropped entries are
    /// freed after the lock is released.
    func withTrimmedState<Result>(_ body: (inout State) -> Result) -> Result {
        let (result, dropped): (Result, [FreeBatchMemory]) = state.withLockedValue { state in
            let result = body(&state)
            var dropped: [FreeBatchMemory] = []
            while state.freeBytes > max(state.available, 0), let entry = state.free.popLast() {
                state.freeBytes -= entry.bytes
                dropped.append(entry)
            }
            return (result, dropped)
        }
        withExtendedLifetime(dropped) {}
        return result
    }
}
