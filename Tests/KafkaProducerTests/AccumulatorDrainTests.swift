import KafkaCompression
import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing

extension RecordAccumulatorTests {
    @Test func drainRespectsMaxRequestSizeAndRotatesTheStartPartition() async throws {
        let (accumulator, _) = makeAccumulator(linger: .zero)
        for partition in Int32(0)..<3 {
            try await accumulator.add(tp("t", partition), "value", id: Int(partition), at: t0)
        }
        // Room for one batch only (at least one batch is always taken).
        var order: [Int32] = []
        for _ in 0..<3 {
            let drained = accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 10, now: t0)
            #expect(drained[1]?.count == 1)
            order += drained[1]?.map(\.topicPartition.partition) ?? []
        }
        #expect(order == [0, 1, 2])
        #expect(accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 10, now: t0).isEmpty)
    }

    @Test func drainTakesOneBatchPerPartitionAndStartsWhereItStopped() async throws {
        let (accumulator, _) = makeAccumulator(batchSize: 100, linger: .zero)
        // Partition 0 gets three batches (one record each, the batch size is tiny), partition 1 one.
        for id in 0..<3 { try await accumulator.add(tp("t", 0), String(repeating: "a", count: 50), id: id, at: t0) }
        try await accumulator.add(tp("t", 1), "b", id: 10, at: t0)
        try await accumulator.add(tp("other", 0), "c", id: 20, at: t0)
        let leaders: (TopicPartitionKey) -> Int32? = { $0.topic == "t" ? 1 : 2 }

        let first = accumulator.drain(nodes: [1], leaderOf: leaders, maxRequestSize: 1 << 20, now: t0)
        #expect(first.keys.sorted() == [1])  // node 2 was not asked for
        #expect(first[1]?.map(\.completions) == [[0], [10]])
        let second = accumulator.drain(nodes: [1, 2], leaderOf: leaders, maxRequestSize: 1 << 20, now: t0)
        #expect(second[1]?.map(\.completions) == [[1]])
        #expect(second[2]?.map(\.completions) == [[20]])
        let third = accumulator.drain(nodes: [1, 2], leaderOf: leaders, maxRequestSize: 1 << 20, now: t0)
        #expect(third[1]?.map(\.completions) == [[2]])
        #expect(third[2] == nil)
    }

    @Test func reenqueuePutsTheBatchFirstAndWaitsForRetryBackoff() async throws {
        let (accumulator, _) = makeAccumulator(batchSize: 100, linger: .zero, retryBackoff: .milliseconds(100))
        for id in 0..<3 { try await accumulator.add(tp("t", 0), String(repeating: "a", count: 50), id: id, at: t0) }
        let a = try #require(accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)[1])
        let b = try #require(accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)[1])
        #expect(a.map(\.completions) == [[0]])
        #expect(b.map(\.completions) == [[1]])

        // Both fail; re-enqueued in the "wrong" order, they still end up as [0], [1], [2].
        let t1 = t0 + .milliseconds(20)
        accumulator.reenqueue(b[0], now: t1)
        accumulator.reenqueue(a[0], now: t1)
        let backingOff = accumulator.ready(now: t1 + .milliseconds(30), leaderOf: leaderOne)
        #expect(backingOff.readyNodes.isEmpty)
        #expect(backingOff.nextCheckDelay == .milliseconds(70))
        #expect(accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t1).isEmpty)

        let t2 = t1 + .milliseconds(100)
        #expect(accumulator.ready(now: t2, leaderOf: leaderOne).readyNodes == [1])
        var retried: [DrainedBatch<Int>] = []
        for _ in 0..<3 {
            retried += accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t2)[1] ?? []
        }
        #expect(retried.map(\.completions) == [[0], [1], [2]])
        #expect(retried.map(\.attempts) == [1, 1, 0])
        #expect(retried[0].records == a[0].records)  // the encoded batch is kept as is
    }

    @Test func theRetryBackoffDoublesPerAttemptUpToTheMaximum() async throws {
        var configuration = RecordAccumulator<Int>.Configuration()
        configuration.retryBackoff = .milliseconds(100)
        configuration.retryBackoffMax = .milliseconds(350)
        #expect(configuration.retryBackoff(afterAttempts: 1) == .milliseconds(100))
        #expect(configuration.retryBackoff(afterAttempts: 2) == .milliseconds(200))
        #expect(configuration.retryBackoff(afterAttempts: 3) == .milliseconds(350))
        #expect(configuration.retryBackoff(afterAttempts: 1_000) == .milliseconds(350))

        // A batch failing its second attempt waits 200 ms before it is ready again.
        let (accumulator, _) = makeAccumulator(linger: .zero, retryBackoff: .milliseconds(100))
        try await accumulator.add(tp("t", 0), "a", id: 0, at: t0)
        let first = try #require(
            accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)[1])
        accumulator.reenqueue(first[0], now: t0)
        let t1 = t0 + .milliseconds(100)
        let second = try #require(
            accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t1)[1])
        #expect(second[0].attempts == 1)
        accumulator.reenqueue(second[0], now: t1)
        #expect(accumulator.ready(now: t1 + .milliseconds(150), leaderOf: leaderOne).readyNodes.isEmpty)
        #expect(
            accumulator.ready(now: t1 + .milliseconds(150), leaderOf: leaderOne).nextCheckDelay == .milliseconds(50))
        #expect(accumulator.ready(now: t1 + .milliseconds(200), leaderOf: leaderOne).readyNodes == [1])
    }

    @Test func expiredBatchesAreReturnedWithTheirCompletions() async throws {
        let (accumulator, pool) = makeAccumulator(linger: .seconds(60), deliveryTimeout: .seconds(1))
        try await accumulator.add(tp("t", 0), "old", id: 0, at: t0)
        try await accumulator.add(tp("t", 0), "old too", id: 1, at: t0 + .seconds(2))
        try await accumulator.add(tp("t", 1), "new", id: 2, at: t0 + .seconds(2))
        #expect(accumulator.expireBatches(now: t0 + .milliseconds(999)).isEmpty)
        let expired = accumulator.expireBatches(now: t0 + .milliseconds(2_500))
        #expect(expired.map(\.completions) == [[0, 1]])
        #expect(expired.first?.topicPartition == tp("t", 0))
        #expect(accumulator.hasIncomplete)
        let rest = accumulator.expireBatches(now: t0 + .seconds(3))
        #expect(rest.map(\.completions) == [[2]])
        #expect(!accumulator.hasIncomplete)
        #expect(pool.availableMemory == 1 << 20)
    }

    @Test func abortAllReturnsEveryQueuedBatchAndReleasesMemory() async throws {
        let (accumulator, pool) = makeAccumulator(batchSize: 100)
        for id in 0..<3 { try await accumulator.add(tp("t", 0), String(repeating: "a", count: 50), id: id, at: t0) }
        try await accumulator.add(tp("u", 4), "b", id: 3, at: t0)
        let inFlight = try #require(
            accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)[1])
        accumulator.close()
        let aborted = accumulator.abortAll()
        let completions = (inFlight + aborted).flatMap(\.completions).sorted()
        #expect(completions == [0, 1, 2, 3])  // nothing lost
        #expect(accumulator.hasIncomplete)  // the in-flight batches
        for batch in inFlight { accumulator.deallocate(batch) }
        #expect(!accumulator.hasIncomplete)
        #expect(pool.availableMemory == 1 << 20)
        for batch in aborted { accumulator.deallocate(batch) }  // already released: no double release
        #expect(pool.availableMemory == 1 << 20)
        #expect(accumulator.abortAll().isEmpty)
    }

    @Test(arguments: [CompressionCodec.none, .gzip, .zstd])
    func drainedRecordsDecode(compression: CompressionCodec) async throws {
        let (accumulator, _) = makeAccumulator(linger: .zero, compression: compression)
        let header = RecordHeader(key: "h", value: buffer("hv"))
        for id in 0..<5 {
            _ = try await accumulator.append(
                tp("t", 0), key: id == 4 ? nil : buffer("key\(id)"),
                value: buffer(String(repeating: "v\(id)", count: 20)),
                timestamp: 1_000 + Int64(id), headers: [header], completion: id, maxBlock: .seconds(1), now: t0)
        }
        let drained = accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)
        let batch = try #require(drained[1]?.first)
        #expect(batch.recordCount == 5)
        let (decoded, records) = try decode(batch)
        #expect(decoded.compression == compression)
        #expect(decoded.recordCount == 5)
        #expect(decoded.producerId == -1)
        #expect(records.count == 5)
        for (index, record) in records.enumerated() {
            #expect(record.key == (index == 4 ? nil : buffer("key\(index)")))
            #expect(record.value == buffer(String(repeating: "v\(index)", count: 20)))
            #expect(record.timestamp == 1_000 + Int64(index))
            #expect(try record.headers.decoded() == [header])
        }
    }

    @Test func appendBlocksWhenMemoryIsExhaustedUntilADeallocate() async throws {
        let reserved = reservation(capacity: 200, valueLength: 1)
        let (accumulator, pool) = makeAccumulator(batchSize: 200, linger: .seconds(60), memory: 2 * reserved)
        try await accumulator.add(tp("t", 0), "a", id: 0, at: t0)
        try await accumulator.add(tp("t", 1), "b", id: 1, at: t0)
        #expect(pool.availableMemory == 0)
        #expect(accumulator.ready(now: t0, leaderOf: leaderOne).readyNodes.isEmpty)

        let blocked = Task { try await accumulator.add(tp("t", 2), "c", id: 2, at: t0) }
        await BufferPoolTests.eventually { pool.queuedWaiters == 1 }
        try #require(pool.queuedWaiters == 1)
        // Memory exhausted: everything is ready so that sending frees memory.
        #expect(accumulator.ready(now: t0, leaderOf: leaderOne).readyNodes == [1])
        let drained = try #require(
            accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 10, now: t0)[1]?.first)
        #expect(pool.queuedWaiters == 1)  // draining alone frees nothing
        accumulator.deallocate(drained)
        let result = try await blocked.value
        #expect(result.newBatchCreated)
        #expect(pool.queuedWaiters == 0)
        #expect(pool.availableMemory == 0)

        // And with a short max.block.ms the append fails clearly instead.
        await #expect(throws: ProducerBufferError.timedOut(size: reserved, waited: .milliseconds(50))) {
            try await accumulator.add(tp("t", 3), "d", id: 3, at: t0, maxBlock: .milliseconds(50))
        }
    }

    @Test func aCancelledBlockedAppendLeavesNothingBehind() async throws {
        let memory = reservation(capacity: 200, valueLength: 1)
        let (accumulator, pool) = makeAccumulator(batchSize: 200, linger: .seconds(60), memory: memory)
        try await accumulator.add(tp("t", 0), "a", id: 0, at: t0)
        let blocked = Task { try await accumulator.add(tp("t", 1), "b", id: 1, at: t0) }
        await BufferPoolTests.eventually { pool.queuedWaiters == 1 }
        try #require(pool.queuedWaiters == 1)
        blocked.cancel()
        await #expect(throws: CancellationError.self) { try await blocked.value }
        #expect(pool.queuedWaiters == 0)
        let all = accumulator.abortAll()
        #expect(all.map(\.completions) == [[0]])  // the cancelled record was never queued
        #expect(!accumulator.hasIncomplete)
        #expect(pool.availableMemory == memory)
    }
}
