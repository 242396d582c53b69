import KafkaCompression
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing

/// The pool's free list: finished batch buffers are reused by the next batches, within `buffer.memory`.
@Suite(.timeLimit(.minutes(5))) struct BufferPoolFreeListTests {
    /// Where a buffer's bytes live, to tell a reused buffer from a new one.
    static func address(_ buffer: ByteBuffer) -> UInt {
        buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
    }

    static func poolable(_ pool: BufferPool) -> ByteBuffer {
        ByteBufferAllocator().buffer(capacity: pool.poolableCapacity)
    }

    @Test func allocatedCapacityIsByteBuffersPowerOfTwo() {
        #expect(BufferPool.allocatedCapacity(0) == 0)
        #expect(BufferPool.allocatedCapacity(1) == 1)
        #expect(BufferPool.allocatedCapacity(500) == 512)
        #expect(BufferPool.allocatedCapacity(16_384) == 16_384)
        #expect(BufferPool.allocatedCapacity(20_000) == 32_768)
        #expect(BufferPool.allocatedCapacity(1_000_000) == 1_048_576)
        #expect(ByteBufferAllocator().buffer(capacity: 20_000).capacity == 32_768)  // what it stands for
    }

    @Test func aRecycledBufferOfThePoolableSizeIsHandedOutAgainCleared() throws {
        let pool = BufferPool(totalMemory: 100_000, poolableSize: 16_384)
        #expect(pool.takeBuffer() == nil)
        #expect(try pool.tryReserve(16_400))
        var buffer = Self.poolable(pool)
        buffer.writeString("old batch")
        let address = Self.address(buffer)
        pool.release(16_400)
        pool.recycle([buffer])
        buffer = ByteBuffer()  // the caller keeps no copy
        #expect(pool.freeBuffers == 1)
        #expect(pool.availableMemory == 100_000)  // a free buffer is available memory

        #expect(try pool.tryReserve(16_400))
        let reused = try #require(pool.takeBuffer())
        #expect(reused.readableBytes == 0 && reused.capacity == 16_384)
        #expect(Self.address(reused) == address)
        #expect(pool.freeBuffers == 0)
    }

    @Test func buffersOfOtherSizesAreNotKept() throws {
        let pool = BufferPool(totalMemory: 100_000, poolableSize: 16_384)
        #expect(try pool.tryReserve(40_000))
        pool.release(40_000)
        pool.recycle([ByteBufferAllocator().buffer(capacity: 32_768), ByteBufferAllocator().buffer(capacity: 1_024)])
        #expect(pool.freeBuffers == 0)
        #expect(pool.availableMemory == 100_000)
    }

    @Test func freeBuffersNeverExceedTheAvailableMemory() async throws {
        let pool = BufferPool(totalMemory: 65_536, poolableSize: 16_384)
        #expect(try pool.tryReserve(65_536))
        pool.release(65_536)
        pool.recycle((0..<4).map { _ in Self.poolable(pool) })
        #expect(pool.freeBuffers == 4)
        // A reservation that is not a batch of the usual size (a large record) needs the free buffers' room.
        #expect(try pool.tryReserve(40_000))
        #expect(pool.freeBuffers == 1)  // 25,536 bytes available: room for one
        try await pool.reserve(20_000, maxBlock: .seconds(1))
        #expect(pool.freeBuffers == 0)
        // Recycling into a pool with too little available memory does not keep the buffer either.
        #expect(try pool.tryReserve(5_536))
        pool.release(1_000)
        pool.recycle([Self.poolable(pool)])
        #expect(pool.freeBuffers == 0)
        #expect(pool.availableMemory == 1_000)
    }

    @Test func aWaiterServedByAReleaseTrimsTheFreeList() async throws {
        let pool = BufferPool(totalMemory: 32_768, poolableSize: 16_384)
        #expect(try pool.tryReserve(32_768))
        let waiter = Task { try await pool.reserve(30_000, maxBlock: .seconds(60)) }
        await BufferPoolTests.eventually { pool.queuedWaiters == 1 }
        try #require(pool.queuedWaiters == 1)
        pool.release(16_384)
        pool.recycle([Self.poolable(pool)])
        #expect(pool.freeBuffers == 1)  // 16,384 available, the waiter needs 30,000
        pool.release(16_384)
        try await waiter.value
        #expect(pool.availableMemory == 2_768)
        #expect(pool.freeBuffers == 0)
    }

    @Test(arguments: [CompressionCodec.none, .lz4])
    func theAccumulatorWritesNewBatchesIntoFinishedBatchesBuffers(compression: CompressionCodec) async throws {
        var configuration = RecordAccumulator<Int>.Configuration()
        configuration.batchSize = 16_384
        configuration.compression = compression
        let pool = BufferPool(totalMemory: 1 << 20, poolableSize: configuration.batchSize)
        let accumulator = RecordAccumulator<Int>(configuration: configuration, pool: pool)
        let t0 = ContinuousClock.now
        /// Appends one record, drains and deallocates its batch: where its bytes were, and the values read back.
        func cycle(_ id: Int) async throws -> (address: UInt, values: [String]) {
            _ = try await accumulator.append(
                TopicPartitionKey(topic: "t", partition: 0), key: nil, value: ByteBuffer(string: "value \(id)"),
                timestamp: 1_000, headers: [], completion: id, maxBlock: .seconds(1), now: t0)
            let batch = try #require(
                accumulator.drain(nodes: [1], leaderOf: { _ in 1 }, maxRequestSize: 1 << 20, now: t0)[1]?.first)
            #expect(batch.completions == [id])
            #expect(batch.records.capacity == 16_384)  // compressed or not, in the batch's own buffer
            let values = try RecordBatch(decoding: batch.records, verifyChecksum: true)
                .records(decompressor: KafkaCodecs()).collect().map { $0.value.map { String(buffer: $0) } ?? "null" }
            // (Strings: decoded values are slices of the batch's buffer, and would keep it shared.)
            accumulator.deallocate(batch)
            accumulator.recycle([batch])  // shared with `batch` until the function returns
            return (Self.address(batch.records), values)
        }
        let first = try await cycle(0)
        #expect(pool.freeBuffers == 1)
        let second = try await cycle(1)
        #expect(second.address == first.address)
        #expect(first.values == ["value 0"] && second.values == ["value 1"])
        #expect(pool.freeBuffers == 1 && pool.availableMemory == 1 << 20)
    }

    @Test func aBatchReenqueuedForARetryKeepsItsBuffer() async throws {
        var configuration = RecordAccumulator<Int>.Configuration()
        configuration.retryBackoff = .zero
        let pool = BufferPool(totalMemory: 1 << 20, poolableSize: configuration.batchSize)
        let accumulator = RecordAccumulator<Int>(configuration: configuration, pool: pool)
        let t0 = ContinuousClock.now
        _ = try await accumulator.append(
            TopicPartitionKey(topic: "t", partition: 0), key: nil, value: ByteBuffer(string: "retried"),
            timestamp: 1_000, headers: [], completion: 7, maxBlock: .seconds(1), now: t0)
        let drain = { accumulator.drain(nodes: [1], leaderOf: { _ in 1 }, maxRequestSize: 1 << 20, now: t0)[1] ?? [] }
        let sent = drain()
        accumulator.reenqueue(try #require(sent.first), now: t0)
        accumulator.recycle(sent)
        #expect(pool.freeBuffers == 0)  // the retry still writes from it
        let retried = drain()
        #expect(retried.map(\.completions) == [[7]])
        accumulator.deallocate(try #require(retried.first))
        accumulator.recycle(retried)
        #expect(pool.freeBuffers == 1)
    }
}
