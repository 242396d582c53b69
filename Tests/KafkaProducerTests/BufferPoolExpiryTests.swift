import Testing

@testable import KafkaProducer

/// `max.block.ms` for waiters of the ``BufferPool``: one expiry timer serves them all.
@Suite(.timeLimit(.minutes(5))) struct BufferPoolExpiryTests {
    @Test func successiveWaitsShareOneExpiryTimer() async throws {
        let pool = BufferPool(totalMemory: 100, poolableSize: 100)
        #expect(try pool.tryReserve(100))
        for round in 0..<50 {
            let waiter = Task { try await pool.reserve(100, maxBlock: .seconds(60)) }
            await BufferPoolTests.eventually { pool.queuedWaiters == 1 }
            try #require(pool.queuedWaiters == 1, "round \(round)")
            pool.release(100)
            try await waiter.value
        }
        // The first wait started the timer; it still sleeps towards that wait's deadline, and every later wait's
        // deadline is further away, so none needed another.
        #expect(pool.expiryTimersStarted == 1)
        #expect(pool.availableMemory == 0)
    }

    @Test func anEarlierDeadlineBehindALaterOneStillTimesOut() async throws {
        let pool = BufferPool(totalMemory: 100, poolableSize: 100)
        #expect(try pool.tryReserve(100))
        let patient = Task { try await pool.reserve(60, maxBlock: .seconds(60)) }
        await BufferPoolTests.eventually { pool.queuedWaiters == 1 }
        try #require(pool.queuedWaiters == 1)
        let hasty = Task { try await pool.reserve(10, maxBlock: .milliseconds(50)) }
        await #expect(throws: ProducerBufferError.timedOut(size: 10, waited: .milliseconds(50))) {
            try await hasty.value
        }
        #expect(pool.expiryTimersStarted == 2)  // the second deadline came before the running timer's
        #expect(pool.queuedWaiters == 1)  // the patient one still waits, and gets its memory
        pool.release(60)
        try await patient.value
        #expect(pool.queuedWaiters == 0)
        #expect(pool.availableMemory == 0)
    }

    @Test func waitersTimeOutInDeadlineOrderWhileTheTimerRearms() async throws {
        let pool = BufferPool(totalMemory: 100, poolableSize: 100)
        #expect(try pool.tryReserve(100))
        let first = Task { try await pool.reserve(50, maxBlock: .milliseconds(30)) }
        await BufferPoolTests.eventually { pool.queuedWaiters == 1 }
        let second = Task { try await pool.reserve(50, maxBlock: .milliseconds(120)) }
        await BufferPoolTests.eventually { pool.queuedWaiters == 2 }
        try #require(pool.queuedWaiters == 2)
        await #expect(throws: ProducerBufferError.timedOut(size: 50, waited: .milliseconds(30))) {
            try await first.value
        }
        // The same timer sleeps again until the second deadline.
        await #expect(throws: ProducerBufferError.timedOut(size: 50, waited: .milliseconds(120))) {
            try await second.value
        }
        #expect(pool.expiryTimersStarted == 1)
        #expect(pool.queuedWaiters == 0)
        #expect(pool.availableMemory == 0)
    }
}
