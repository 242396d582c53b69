import KafkaProducer
import Testing

/// Records events in the order they happen.
private actor OrderRecorder {
    var events: [String] = []
    func append(_ event: String) { events.append(event) }
}

@Suite(.timeLimit(.minutes(5))) struct BufferPoolTests {
    @Test func reserveAndReleaseAccounting() async throws {
        let pool = BufferPool(totalMemory: 1_000, poolableSize: 100)
        #expect(pool.availableMemory == 1_000)
        #expect(try pool.tryReserve(400))
        try await pool.reserve(500, maxBlock: .seconds(10))
        #expect(pool.availableMemory == 100)
        #expect(try pool.tryReserve(101) == false)
        #expect(pool.availableMemory == 100)
        #expect(try pool.tryReserve(100))
        #expect(pool.availableMemory == 0)
        #expect(try pool.tryReserve(1) == false)
        pool.release(400)
        #expect(pool.availableMemory == 400)
        pool.release(600)
        #expect(pool.availableMemory == 1_000)
        #expect(pool.queuedWaiters == 0)
    }

    @Test func tooLargeReservationsFailWithBothSizes() async throws {
        let pool = BufferPool(totalMemory: 1_000, poolableSize: 100)
        #expect(throws: ProducerBufferError.recordTooLarge(size: 1_001, limit: 1_000)) {
            try pool.tryReserve(1_001)
        }
        await #expect(throws: ProducerBufferError.recordTooLarge(size: 5_000, limit: 1_000)) {
            try await pool.reserve(5_000, maxBlock: .seconds(10))
        }
        let message = ProducerBufferError.recordTooLarge(size: 5_000, limit: 1_000).description
        #expect(message.contains("5000") && message.contains("1000"))
        #expect(pool.availableMemory == 1_000)
    }

    @Test func waitersResumeOnReleaseInFIFOOrder() async throws {
        let pool = BufferPool(totalMemory: 100, poolableSize: 100)
        #expect(try pool.tryReserve(100))
        let order = OrderRecorder()

        let big = Task {
            try await pool.reserve(60, maxBlock: .seconds(60))
            await order.append("big")
        }
        await BufferPoolTests.eventually { pool.queuedWaiters == 1 }
        try #require(pool.queuedWaiters == 1)
        let small = Task {
            try await pool.reserve(10, maxBlock: .seconds(60))
            await order.append("small")
        }
        await BufferPoolTests.eventually { pool.queuedWaiters == 2 }
        try #require(pool.queuedWaiters == 2)

        // 10 bytes would fit the second waiter, but it may not overtake the first.
        pool.release(10)
        #expect(pool.queuedWaiters == 2)
        #expect(pool.availableMemory == 10)
        #expect(try pool.tryReserve(10) == false)  // nor may a new reservation

        pool.release(50)  // 60 available: the first waiter is served
        try await big.value
        #expect(pool.queuedWaiters == 1)
        #expect(pool.availableMemory == 0)
        #expect(await order.events == ["big"])

        pool.release(10)
        try await small.value
        #expect(await order.events == ["big", "small"])
        #expect(pool.queuedWaiters == 0)
        #expect(pool.availableMemory == 0)
    }

    @Test func reserveTimesOutWithAClearError() async throws {
        let pool = BufferPool(totalMemory: 100, poolableSize: 100)
        #expect(try pool.tryReserve(80))
        await #expect(throws: ProducerBufferError.timedOut(size: 50, waited: .milliseconds(50))) {
            try await pool.reserve(50, maxBlock: .milliseconds(50))
        }
        #expect(pool.queuedWaiters == 0)
        #expect(pool.availableMemory == 20)
        let message = ProducerBufferError.timedOut(size: 50, waited: .milliseconds(50)).description
        #expect(message.contains("buffer.memory exhausted") && message.contains("50 bytes"))
        #expect(message.contains("max.block.ms"))
        // Zero max.block.ms fails at once when memory is short.
        await #expect(throws: ProducerBufferError.timedOut(size: 50, waited: .zero)) {
            try await pool.reserve(50, maxBlock: .zero)
        }
    }

    @Test func aTimedOutHeadUnblocksTheWaitersBehindIt() async throws {
        let pool = BufferPool(totalMemory: 100, poolableSize: 100)
        #expect(try pool.tryReserve(90))
        let head = Task { try await pool.reserve(50, maxBlock: .milliseconds(50)) }
        await BufferPoolTests.eventually { pool.queuedWaiters == 1 }
        let behind = Task { try await pool.reserve(10, maxBlock: .seconds(60)) }
        await BufferPoolTests.eventually { pool.queuedWaiters == 2 }
        try #require(pool.queuedWaiters == 2)
        await #expect(throws: ProducerBufferError.self) { try await head.value }
        try await behind.value
        #expect(pool.availableMemory == 0)
        #expect(pool.queuedWaiters == 0)
    }

    @Test func cancellationRemovesTheWaiter() async throws {
        let pool = BufferPool(totalMemory: 100, poolableSize: 100)
        #expect(try pool.tryReserve(100))
        let waiter = Task { try await pool.reserve(50, maxBlock: .seconds(60)) }
        await BufferPoolTests.eventually { pool.queuedWaiters == 1 }
        try #require(pool.queuedWaiters == 1)
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(pool.queuedWaiters == 0)
        pool.release(100)
        #expect(pool.availableMemory == 100)  // the cancelled waiter took nothing
    }
}

extension BufferPoolTests {
    /// Polls `condition` (yielding in between) until it holds; the caller then `#require`s it.
    static func eventually(_ condition: () -> Bool) async {
        for _ in 0..<5_000 {
            if condition() { return }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }
}
