import KafkaCompression
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing

extension RecordAccumulator where Completion == Int {
    @discardableResult
    func add(
        _ partition: TopicPartitionKey, _ value: String, id: Int, at now: ContinuousClock.Instant,
        key: String = "k", maxBlock: Duration = .seconds(60)
    ) async throws -> AppendResult {
        try await append(
            partition, key: ByteBuffer(string: key), value: ByteBuffer(string: value),
            timestamp: 1_700_000_000_000 + Int64(id), headers: [],
            completion: id, maxBlock: maxBlock, now: now)
    }
}

@Suite(.timeLimit(.minutes(5))) struct RecordAccumulatorTests {
    let t0 = ContinuousClock.now
    let leaderOne: @Sendable (TopicPartitionKey) -> Int32? = { _ in 1 }

    @Test func appendsFillOneBatchToBatchSizeThenStartANewOne() async throws {
        let (accumulator, pool) = makeAccumulator(batchSize: 500)
        let value = String(repeating: "v", count: 100)
        let first = try await accumulator.add(tp("t", 0), value, id: 0, at: t0)
        #expect(first == .init(batchIsFull: false, newBatchCreated: true))
        let reserved = reservation(capacity: 500, valueLength: 100)
        // A 512-byte buffer (ByteBuffer allocates powers of two) and a slot for each of the three 110-byte records like
        // the first that fit in 439 bytes.
        #expect(reserved == 512 + 3 * 8)
        #expect(pool.availableMemory == (1 << 20) - reserved)
        var appended = 1
        while true {
            let result = try await accumulator.add(tp("t", 0), value, id: appended, at: t0)
            appended += 1
            if result.newBatchCreated {
                #expect(result.batchIsFull)
                break
            }
            #expect(appended < 10)
        }
        #expect(pool.availableMemory == (1 << 20) - 2 * reserved)
        let drained = accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)
        let batch = try #require(drained[1]?.first)
        #expect(drained[1]?.count == 1)  // one batch per partition per drain
        #expect(batch.recordCount == appended - 1)
        #expect(batch.completions == Array(0..<(appended - 1)))
        #expect(batch.records.readableBytes <= 500)
        #expect(batch.records.readableBytes + recordBound(valueLength: 100) > 500)
        #expect(batch.reservedBytes == reserved)
    }

    @Test func aBatchTakesNoMoreRecordsThanItReservedCompletionSlotsFor() async throws {
        let (accumulator, pool) = makeAccumulator(batchSize: 500)
        // The first record (a 100-byte value) sizes the batch's slots: 3, reserved with the batch.
        try await accumulator.add(tp("t", 0), String(repeating: "v", count: 100), id: 0, at: t0)
        #expect(pool.availableMemory == (1 << 20) - 512 - 3 * 8)
        // Smaller records would fit the bytes, but the slots run out after the third record: the batch is full.
        #expect(
            try await accumulator.add(tp("t", 0), "a", id: 1, at: t0)
                == .init(batchIsFull: false, newBatchCreated: false))
        #expect(
            try await accumulator.add(tp("t", 0), "b", id: 2, at: t0)
                == .init(batchIsFull: true, newBatchCreated: false))
        #expect(accumulator.ready(now: t0, leaderOf: leaderOne).readyNodes == [1])
        let next = try await accumulator.add(tp("t", 0), "c", id: 3, at: t0)
        #expect(next.newBatchCreated)
        let drained = try #require(
            accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)[1]?.first)
        #expect(drained.completions == [0, 1, 2])
        #expect(drained.records.readableBytes < 300)
    }

    @Test func aLargeRecordGetsItsOwnBatch() async throws {
        let (accumulator, pool) = makeAccumulator(batchSize: 200)
        try await accumulator.add(tp("t", 0), "small", id: 0, at: t0)
        let big = String(repeating: "x", count: 1_000)
        let result = try await accumulator.add(tp("t", 0), big, id: 1, at: t0)
        #expect(result == .init(batchIsFull: true, newBatchCreated: true))
        // One record, one slot, in a buffer of the next power of two.
        let reserved = BufferPool.allocatedCapacity(RecordBatch.headerSize + recordBound(valueLength: 1_000)) + 8
        #expect(reserved == 2_048 + 8)
        #expect(pool.availableMemory == (1 << 20) - reservation(capacity: 200, valueLength: 5) - reserved)
        let next = try await accumulator.add(tp("t", 0), "small", id: 2, at: t0)
        #expect(next.newBatchCreated)

        var batches: [DrainedBatch<Int>] = []
        for _ in 0..<3 {
            batches += accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)[1] ?? []
        }
        #expect(batches.map(\.completions) == [[0], [1], [2]])
        #expect(batches[1].reservedBytes == reserved)
        let (_, records) = try decode(batches[1])
        #expect(records.first?.value == buffer(big))
    }

    @Test func recordsLargerThanMaxRequestSizeAreRejected() async throws {
        let (accumulator, pool) = makeAccumulator(batchSize: 200, maxRequestSize: 500)
        let size = RecordBatch.headerSize + recordBound(valueLength: 1_000)
        await #expect(throws: ProducerBufferError.recordTooLarge(size: size, limit: 500)) {
            try await accumulator.add(tp("t", 0), String(repeating: "x", count: 1_000), id: 0, at: t0)
        }
        #expect(pool.availableMemory == 1 << 20)
        #expect(!accumulator.hasIncomplete)
        // Larger than buffer.memory (but within max.request.size): rejected by the pool.
        let (small, _) = makeAccumulator(batchSize: 200, memory: 600, maxRequestSize: 5_000)
        await #expect(throws: ProducerBufferError.recordTooLarge(size: size, limit: 600)) {
            try await small.add(tp("t", 0), String(repeating: "x", count: 1_000), id: 0, at: t0)
        }
    }

    @Test func readyByLingerWithNextCheckDelay() async throws {
        let (accumulator, _) = makeAccumulator(linger: .milliseconds(10))
        try await accumulator.add(tp("t", 0), "a", id: 0, at: t0)
        try await accumulator.add(tp("t", 1), "b", id: 1, at: t0 + .milliseconds(4))
        let leaders: (TopicPartitionKey) -> Int32? = { $0.partition == 0 ? 1 : 2 }

        let early = accumulator.ready(now: t0, leaderOf: leaders)
        #expect(early.readyNodes.isEmpty)
        #expect(early.nextCheckDelay == .milliseconds(10))
        let later = accumulator.ready(now: t0 + .milliseconds(6), leaderOf: leaders)
        #expect(later.readyNodes.isEmpty)
        #expect(later.nextCheckDelay == .milliseconds(4))
        let lingered = accumulator.ready(now: t0 + .milliseconds(10), leaderOf: leaders)
        #expect(lingered.readyNodes == [1])
        #expect(lingered.nextCheckDelay == .milliseconds(4))
        let all = accumulator.ready(now: t0 + .milliseconds(14), leaderOf: leaders)
        #expect(all.readyNodes == [1, 2])
        #expect(all.nextCheckDelay == nil)
        #expect(all.unknownLeaderTopics.isEmpty)
    }

    @Test func readyWhenFull() async throws {
        let (accumulator, _) = makeAccumulator(batchSize: 200, linger: .seconds(60))
        let value = String(repeating: "v", count: 60)
        try await accumulator.add(tp("t", 0), value, id: 0, at: t0)
        #expect(accumulator.ready(now: t0, leaderOf: leaderOne).readyNodes.isEmpty)
        let result = try await accumulator.add(tp("t", 0), value, id: 1, at: t0)
        #expect(result.batchIsFull && result.newBatchCreated)
        #expect(accumulator.ready(now: t0, leaderOf: leaderOne).readyNodes == [1])
    }

    @Test func readyWhenFlushingOrClosing() async throws {
        let (accumulator, _) = makeAccumulator(linger: .seconds(60))
        try await accumulator.add(tp("t", 0), "a", id: 0, at: t0)
        #expect(accumulator.ready(now: t0, leaderOf: leaderOne).readyNodes.isEmpty)
        accumulator.beginFlush()
        #expect(accumulator.ready(now: t0, leaderOf: leaderOne).readyNodes == [1])
        accumulator.endFlush()
        #expect(accumulator.ready(now: t0, leaderOf: leaderOne).readyNodes.isEmpty)
        accumulator.close()
        #expect(accumulator.ready(now: t0, leaderOf: leaderOne).readyNodes == [1])
        await #expect(throws: ProducerBufferError.closed) {
            try await accumulator.add(tp("t", 0), "b", id: 1, at: t0)
        }
        #expect(accumulator.hasIncomplete)
    }

    @Test func unknownLeadersAreReported() async throws {
        let (accumulator, _) = makeAccumulator(linger: .zero)
        try await accumulator.add(tp("known", 0), "a", id: 0, at: t0)
        try await accumulator.add(tp("lost", 3), "b", id: 1, at: t0)
        let check = accumulator.ready(now: t0) { $0.topic == "known" ? 7 : nil }
        #expect(check.readyNodes == [7])
        #expect(check.unknownLeaderTopics == ["lost"])
    }
}

/// Fixtures.
extension RecordAccumulatorTests {
    func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    func tp(_ topic: String, _ partition: Int32) -> TopicPartitionKey {
        TopicPartitionKey(topic: topic, partition: partition)
    }

    /// The encoded size bound the accumulator uses for a record with a 1-byte key and an `n`-byte value.
    func recordBound(valueLength: Int) -> Int {
        RecordBatchBuilder.maximumRecordSize(keyLength: 1, valueLength: valueLength, headers: [])
    }

    /// What a new batch of `capacity` bytes reserves when its first record has a 1-byte key and an `n`-byte value:
    /// the buffer as allocated and an 8-byte completion slot (an `Int`) for each record like it that fits.
    func reservation(capacity: Int, valueLength: Int) -> Int {
        let first = RecordBatchBuilder.minimumRecordSize(keyLength: 1, valueLength: valueLength)
        return BufferPool.allocatedCapacity(capacity)
            + max((capacity - RecordBatch.headerSize) / first, 1) * MemoryLayout<Int>.stride
    }

    /// An accumulator; `maxBatchSize` defaults to `batchSize` (every batch at `batch.size`, as Java's).
    func makeAccumulator(
        batchSize: Int = 1_000, maxBatchSize: Int? = nil, linger: Duration = .milliseconds(10), memory: Int = 1 << 20,
        compression: CompressionCodec = .none, maxRequestSize: Int = 1_048_576,
        retryBackoff: Duration = .milliseconds(100),
        deliveryTimeout: Duration = .seconds(120), adaptivePartitioning: Bool = false
    ) -> (RecordAccumulator<Int>, BufferPool) {
        var configuration = RecordAccumulator<Int>.Configuration()
        configuration.adaptivePartitioning = adaptivePartitioning
        configuration.batchSize = batchSize
        configuration.maxBatchSize = maxBatchSize ?? batchSize
        configuration.linger = linger
        configuration.bufferMemory = memory
        configuration.compression = compression
        configuration.maxRequestSize = maxRequestSize
        configuration.retryBackoff = retryBackoff
        configuration.deliveryTimeout = deliveryTimeout
        let pool = BufferPool(totalMemory: memory, poolableSize: batchSize)
        return (RecordAccumulator<Int>(configuration: configuration, pool: pool), pool)
    }

    /// Decodes a drained batch, checking its CRC.
    func decode(_ batch: DrainedBatch<Int>) throws -> (RecordBatch, [Record]) {
        let decoded = try RecordBatch(decoding: batch.records, verifyChecksum: true)
        let records = try decoded.records(decompressor: KafkaCodecs()).collect()
        return (decoded, records)
    }
}
