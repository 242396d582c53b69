import KafkaNetwork
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaProducer

/// Batch sizes: `batch.size` for a partition that keeps up, doubling up to `batch.max.size` behind a backlog.
@Suite(.timeLimit(.minutes(5))) struct AccumulatorBatchGrowthTests {
    let t0 = ContinuousClock.now
    let helpers = RecordAccumulatorTests()
    let partition = TopicPartitionKey(topic: "t", partition: 0)
    let value = String(repeating: "v", count: 90)

    /// Appends `count` records of ``value`` to ``partition``, completions from `first`.
    func append(_ accumulator: RecordAccumulator<Int>, count: Int, from first: Int = 0) async throws {
        for id in first..<(first + count) {
            try await accumulator.add(partition, value, id: id, at: t0)
        }
    }

    /// Drains every queued batch, one per drain (each drain takes one batch per partition).
    func drainAll(_ accumulator: RecordAccumulator<Int>) -> [DrainedBatch<Int>] {
        var all: [DrainedBatch<Int>] = []
        accumulator.beginFlush()
        while let batches = accumulator.drain(nodes: [1], leaderOf: { _ in 1 }, maxRequestSize: 1 << 30, now: t0)[1],
            !batches.isEmpty
        {
            all += batches
        }
        accumulator.endFlush()
        return all
    }

    @Test func batchesBehindABacklogDoubleUpToTheMaximum() async throws {
        let (accumulator, _) = helpers.makeAccumulator(batchSize: 1_000, maxBatchSize: 4_000, linger: .seconds(10))
        try await append(accumulator, count: 300)
        let batches = drainAll(accumulator)
        let sizes = batches.map(\.records.readableBytes)
        // 1,000, then about 2,000 and 4,000 bytes, then 4,000 each.
        #expect(sizes.count >= 4)
        #expect(sizes[0] <= 1_000 && sizes[0] > 800, "\(sizes)")
        #expect(sizes[1] <= 2_000 && sizes[1] > 1_800, "\(sizes)")
        #expect(sizes[2] <= 4_000 && sizes[2] > 3_800, "\(sizes)")
        #expect(sizes.dropFirst(3).allSatisfy { $0 <= 4_000 }, "\(sizes)")
        // Every record once, in order.
        #expect(batches.flatMap(\.completions) == Array(0..<300))
    }

    @Test func aPartitionThatKeepsUpStaysAtBatchSize() async throws {
        let (accumulator, _) = helpers.makeAccumulator(batchSize: 1_000, maxBatchSize: 4_000, linger: .seconds(10))
        var sizes: [Int] = []
        // The sender takes each batch as soon as it is full: the queue never holds two.
        for round in 0..<5 {
            try await append(accumulator, count: 10, from: round * 10)
            sizes += drainAll(accumulator).map(\.records.readableBytes)
        }
        #expect(!sizes.isEmpty)
        #expect(sizes.allSatisfy { $0 <= 1_000 }, "\(sizes)")
    }

    @Test func afterTheBacklogIsSentTheNextBatchStartsAtBatchSize() async throws {
        let (accumulator, _) = helpers.makeAccumulator(batchSize: 1_000, maxBatchSize: 8_000, linger: .seconds(10))
        try await append(accumulator, count: 100)
        #expect(drainAll(accumulator).map(\.records.readableBytes).max() ?? 0 > 1_000)
        try await append(accumulator, count: 30, from: 100)
        let after = drainAll(accumulator).map(\.records.readableBytes)
        #expect(after.first ?? .max <= 1_000, "\(after)")
    }

    @Test func theMaximumIsCappedByMaxRequestSize() async throws {
        let (accumulator, _) = helpers.makeAccumulator(
            batchSize: 1_000, maxBatchSize: 1 << 20, linger: .seconds(10), maxRequestSize: 3_000)
        try await append(accumulator, count: 300)
        let sizes = drainAll(accumulator).map(\.records.readableBytes)
        #expect(sizes.allSatisfy { $0 <= 3_000 }, "\(sizes)")
        #expect(sizes.contains { $0 > 2_000 }, "\(sizes)")
    }

    @Test func aGrownBatchTakesRecordsOnlyWithinItsWindow() async throws {
        // The records' timestamps are 1 ms apart (`add`): with delivery.timeout.ms=2000 (the window is a hundredth,
        // 20 ms, more than linger.ms), a batch grown past batch.size closes once its records span more than 20 ms, so
        // a late record never joins an old batch (and its expiry).
        let (accumulator, _) = helpers.makeAccumulator(
            batchSize: 1_000, maxBatchSize: 64_000, linger: .milliseconds(5), deliveryTimeout: .seconds(2))
        try await append(accumulator, count: 300)
        let batches = drainAll(accumulator)
        #expect(batches.flatMap(\.completions) == Array(0..<300))
        for batch in batches.dropFirst() {
            let first = try #require(batch.completions.first)
            let last = try #require(batch.completions.last)
            #expect(last - first <= 21, "a batch of records \(first)...\(last) spans more than linger.ms")
        }
        #expect(batches.dropFirst().contains { $0.records.readableBytes > 1_000 }, "no batch grew")
    }

    @Test func theProducerSettingIsReadAndDefaultsToLibrdkafkasBatchSize() throws {
        var configuration = try KafkaProducerConfiguration(properties: ["bootstrap.servers": "localhost:9092"])
        #expect(configuration.maxBatchSize == 1_000_000)
        #expect(try configuration.apply(property: "batch.max.size", value: "16384"))
        #expect(configuration.maxBatchSize == 16_384)
        #expect(throws: KafkaConfigurationError.self) {
            try configuration.apply(property: "batch.max.size", value: "x")
        }
    }
}

/// Where a refused batch's pieces sit and how large they are.
@Suite(.timeLimit(.minutes(1))) struct BatchSplitLevelTests {
    @Test func idsTellHowOftenABatchWasSplit() {
        typealias Accumulator = RecordAccumulator<Int>
        let batch = 5 * Accumulator.batchIDStride
        #expect(Accumulator.splitLevel(of: batch) == 0)
        let piece = batch + 3 * Accumulator.pieceIDSpacing(level: 0)
        #expect(Accumulator.splitLevel(of: piece) == 1)
        let pieceOfPiece = piece + 2 * Accumulator.pieceIDSpacing(level: 1)
        #expect(Accumulator.splitLevel(of: pieceOfPiece) == 2)
        #expect(Accumulator.splitLevel(of: pieceOfPiece + 1) == 3)
        // The pieces of a piece sort before the piece's next sibling.
        #expect(pieceOfPiece + 15 < batch + 4 * Accumulator.pieceIDSpacing(level: 0))
        #expect(
            pieceOfPiece + 15 * Accumulator.pieceIDSpacing(level: 2) < piece + 3 * Accumulator.pieceIDSpacing(level: 1))
    }

    @Test func aGrownBatchIsCutIntoBatchSizePiecesAndASmallerOneInHalvesThenQuarters() {
        let (accumulator, _) = RecordAccumulatorTests().makeAccumulator(batchSize: 16_384, maxBatchSize: 1 << 20)
        #expect(accumulator.splitTarget(bytes: 100_000, level: 0) == 16_384)
        #expect(accumulator.splitTarget(bytes: 16_000, level: 0) == 8_000)
        #expect(accumulator.splitTarget(bytes: 8_000, level: 1) == 2_000)
    }
}
