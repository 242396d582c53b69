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
