import KafkaNetwork
import Testing

@testable import KafkaProducer

extension RecordAccumulatorTests {
    @Test func takeCompletionsHandsOverEveryTokenInRecordOrderAndKeepsTheStorage() async throws {
        let (accumulator, _) = makeAccumulator(linger: .zero)
        for id in 0..<5 { try await accumulator.add(tp("t", 0), "v", id: id, at: t0) }
        var drained = accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)
        var batch = try #require(drained[1]?.first)
        drained = [:]  // the batch's only copy now, as in the sender
        let capacity = batch.completions.capacity
        var taken: [(index: Int, id: Int)] = []
        batch.takeCompletions { index, id in taken.append((index, id)) }
        #expect(taken.map(\.index) == [0, 1, 2, 3, 4])
        #expect(taken.map(\.id) == [0, 1, 2, 3, 4])
        #expect(batch.completions.isEmpty)
        #expect(batch.completions.capacity == capacity)  // kept for the pool's free list
    }

    @Test func takeCompletionsOfASharedBatchLeavesTheOtherCopyWhole() async throws {
        let (accumulator, _) = makeAccumulator(linger: .zero)
        for id in 10..<13 { try await accumulator.add(tp("t", 0), "v", id: id, at: t0) }
        let drained = accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)
        var batch = try #require(drained[1]?.first)
        let copy = batch
        var ids: [Int] = []
        batch.takeCompletions { _, id in ids.append(id) }
        #expect(ids == [10, 11, 12])
        #expect(copy.completions == [10, 11, 12])
    }
}

extension RecordAccumulatorTests {
    @Test func theReadyCheckTellsWhenTheOldestQueuedBatchWasCreatedAndWhetherAnyIsIncomplete() async throws {
        let (accumulator, _) = makeAccumulator(linger: .seconds(60), deliveryTimeout: .seconds(1))
        let empty = accumulator.ready(now: t0, leaderOf: leaderOne)
        #expect(empty.oldestQueuedBatchCreatedAt == nil)
        #expect(!empty.hasIncomplete)
        try await accumulator.add(tp("t", 1), "newer", id: 1, at: t0 + .seconds(2))
        try await accumulator.add(tp("t", 0), "older", id: 0, at: t0 + .seconds(1))
        let queued = accumulator.ready(now: t0 + .seconds(3), leaderOf: leaderOne)
        #expect(queued.oldestQueuedBatchCreatedAt == t0 + .seconds(1))
        #expect(queued.hasIncomplete)
        // What the sender does with it: expiry is checked once the oldest batch is delivery.timeout.ms old.
        #expect(accumulator.expireBatches(now: t0 + .milliseconds(1_999)).isEmpty)
        #expect(accumulator.expireBatches(now: t0 + .seconds(2)).map(\.completions) == [[0]])
    }

    @Test func deallocatingSeveralBatchesReleasesEachOnce() async throws {
        let (accumulator, pool) = makeAccumulator(batchSize: 100, linger: .zero)
        for partition in Int32(0)..<3 {
            try await accumulator.add(tp("t", partition), "value", id: Int(partition), at: t0)
        }
        let drained = try #require(
            accumulator.drain(nodes: [1], leaderOf: leaderOne, maxRequestSize: 1 << 20, now: t0)[1])
        #expect(drained.count == 3)
        #expect(pool.availableMemory < 1 << 20)
        accumulator.deallocate(drained[...1])
        #expect(accumulator.hasIncomplete)  // the third batch
        accumulator.deallocate(drained)  // the first two again: released once only
        #expect(!accumulator.hasIncomplete)
        #expect(pool.availableMemory == 1 << 20)
    }
}
