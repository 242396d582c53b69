import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// ``ProducerStateTable`` rules, and the same rules through Produce.
@Suite(.timeLimit(.minutes(5))) struct IdempotenceTests {
    typealias S = ProduceTestSupport
    typealias Table = ProducerStateTable

    static func metadata(_ first: Int32, _ last: Int32, offset: Int64) -> Table.BatchMetadata {
        Table.BatchMetadata(
            firstSequence: first, lastSequence: last, baseOffset: offset, lastOffset: offset + Int64(last - first),
            timestamp: 7)
    }

    static func code(_ verdict: Table.Verdict) -> KafkaErrorCode? {
        if case .reject(let code, _) = verdict { return code }
        return nil
    }

    @Test func unknownProducerMustStartAtZero() {
        let table = Table()
        #expect(table.check(producerID: 1, epoch: 0, firstSequence: 0, lastSequence: 4) == .append)
        #expect(
            Self.code(table.check(producerID: 1, epoch: 0, firstSequence: 5, lastSequence: 5)) == .unknownProducerId)
        #expect(
            Self.code(table.check(producerID: 1, epoch: 3, firstSequence: 1, lastSequence: 1)) == .unknownProducerId)
    }

    @Test func sequencesMustFollow() {
        var table = Table()
        table.record(producerID: 1, epoch: 0, batch: Self.metadata(0, 4, offset: 0))
        #expect(table.check(producerID: 1, epoch: 0, firstSequence: 5, lastSequence: 9) == .append)
        #expect(
            Self.code(table.check(producerID: 1, epoch: 0, firstSequence: 6, lastSequence: 9))
                == .outOfOrderSequenceNumber)
        #expect(
            Self.code(table.check(producerID: 1, epoch: 0, firstSequence: 3, lastSequence: 6))
                == .outOfOrderSequenceNumber)
        #expect(
            Self.code(table.check(producerID: 1, epoch: 0, firstSequence: 0, lastSequence: 0))
                == .outOfOrderSequenceNumber)
        // Other producers are independent.
        #expect(table.check(producerID: 2, epoch: 0, firstSequence: 0, lastSequence: 0) == .append)
    }

    @Test func duplicatesOfTheLastFiveBatches() {
        var table = Table()
        for i in 0..<7 {
            let first = Int32(i * 2)
            table.record(producerID: 1, epoch: 0, batch: Self.metadata(first, first + 1, offset: Int64(100 + i * 2)))
        }
        #expect(table.entry(for: 1)?.batches.count == Table.retainedBatches)
        #expect(table.entry(for: 1)?.lastSequence == 13)
        // Batches 2...6 (sequences 4...13) are remembered, 0 and 1 are not.
        #expect(
            table.check(producerID: 1, epoch: 0, firstSequence: 4, lastSequence: 5)
                == .duplicate(Self.metadata(4, 5, offset: 104)))
        #expect(
            table.check(producerID: 1, epoch: 0, firstSequence: 12, lastSequence: 13)
                == .duplicate(Self.metadata(12, 13, offset: 112)))
        #expect(
            Self.code(table.check(producerID: 1, epoch: 0, firstSequence: 2, lastSequence: 3))
                == .outOfOrderSequenceNumber)
        // A range that only overlaps is no duplicate.
        #expect(
            Self.code(table.check(producerID: 1, epoch: 0, firstSequence: 4, lastSequence: 4))
                == .outOfOrderSequenceNumber)
        // A duplicate range at another epoch is judged by the epoch rules.
        #expect(
            Self.code(table.check(producerID: 1, epoch: 1, firstSequence: 4, lastSequence: 5))
                == .outOfOrderSequenceNumber)
    }

    @Test func epochs() {
        var table = Table()
        table.record(producerID: 1, epoch: 3, batch: Self.metadata(0, 9, offset: 0))
        #expect(
            Self.code(table.check(producerID: 1, epoch: 2, firstSequence: 10, lastSequence: 10))
                == .invalidProducerEpoch)
        #expect(
            Self.code(table.check(producerID: 1, epoch: 2, firstSequence: 0, lastSequence: 9)) == .invalidProducerEpoch)
        #expect(table.check(producerID: 1, epoch: 4, firstSequence: 0, lastSequence: 0) == .append)
        #expect(
            Self.code(table.check(producerID: 1, epoch: 4, firstSequence: 10, lastSequence: 10))
                == .outOfOrderSequenceNumber)
        // A new epoch starts a fresh history.
        table.record(producerID: 1, epoch: 4, batch: Self.metadata(0, 0, offset: 10))
        #expect(
            table.entry(for: 1)
                == Table.Entry(epoch: 4, batches: [Self.metadata(0, 0, offset: 10)], lastTimestamp: 7))
        #expect(
            Self.code(table.check(producerID: 1, epoch: 3, firstSequence: 10, lastSequence: 10))
                == .invalidProducerEpoch)
    }

    @Test func sequencesWrapAtInt32Max() {
        #expect(Table.lastSequence(first: 0, lastOffsetDelta: 4) == 4)
        #expect(Table.lastSequence(first: Int32.max, lastOffsetDelta: 0) == Int32.max)
        #expect(Table.lastSequence(first: Int32.max - 1, lastOffsetDelta: 3) == 1)
        #expect(Table.lastSequence(first: Int32.max, lastOffsetDelta: Int32.max) == Int32.max - 1)
        #expect(Table.isInSequence(last: 4, next: 5))
        #expect(Table.isInSequence(last: Int32.max, next: 0))
        #expect(!Table.isInSequence(last: Int32.max, next: Int32.min))
        #expect(!Table.isInSequence(last: -1, next: 1))
        var table = Table()
        table.record(producerID: 1, epoch: 0, batch: Self.metadata(Int32.max - 1, Int32.max, offset: 0))
        #expect(table.check(producerID: 1, epoch: 0, firstSequence: 0, lastSequence: 3) == .append)
        #expect(
            Self.code(table.check(producerID: 1, epoch: 0, firstSequence: 1, lastSequence: 3))
                == .outOfOrderSequenceNumber)
    }

    // MARK: - Through Produce

    @Test(arguments: [Int16(3), 11])
    func produceDuplicatesAndGaps(version: Int16) throws {
        var harness = S.harness()
        let first = try S.batch(count: 3, producerID: 1000, epoch: 0, sequence: 0)
        #expect(try S.produce(&harness, first, version: version).baseOffset == 0)
        #expect(
            try S.produce(&harness, S.batch(count: 2, producerID: 1000, epoch: 0, sequence: 3), version: version)
                .baseOffset == 3)

        let duplicate = try S.produce(&harness, first, version: version)
        #expect(duplicate.errorCode == KafkaErrorCode.duplicateSequenceNumber.rawValue)
        #expect(duplicate.baseOffset == 0)
        #expect(harness.state.partition("t", 0)?.log.highWatermark == 5)

        let gap = try S.produce(&harness, S.batch(producerID: 1000, epoch: 0, sequence: 7), version: version)
        #expect(gap.errorCode == KafkaErrorCode.outOfOrderSequenceNumber.rawValue)
        #expect(gap.errorMessage?.contains("Out of order sequence number") == (version >= 8 ? true : nil))

        let unknown = try S.produce(&harness, S.batch(producerID: 2000, epoch: 0, sequence: 4), version: version)
        #expect(unknown.errorCode == KafkaErrorCode.unknownProducerId.rawValue)

        let fenced = try S.produce(&harness, S.batch(producerID: 1000, epoch: 1, sequence: 0), version: version)
        #expect(fenced.errorCode == 0)
        #expect(fenced.baseOffset == 5)
        let stale = try S.produce(&harness, S.batch(producerID: 1000, epoch: 0, sequence: 5), version: version)
        #expect(stale.errorCode == KafkaErrorCode.invalidProducerEpoch.rawValue)
        let skipped = try S.produce(&harness, S.batch(producerID: 1000, epoch: 2, sequence: 1), version: version)
        #expect(skipped.errorCode == KafkaErrorCode.outOfOrderSequenceNumber.rawValue)
        #expect(harness.state.partition("t", 0)?.log.highWatermark == 6)
        // Partitions keep separate state.
        #expect(try S.produce(&harness, first, version: version, partition: 1, broker: 2).errorCode == 0)
    }

    @Test func oneRequestWithSeveralBatchesChecksThemInOrder() throws {
        var harness = S.harness()
        var records = try S.batch(count: 2, producerID: 1, epoch: 0, sequence: 0)
        var next = try S.batch(count: 2, producerID: 1, epoch: 0, sequence: 2)
        records.writeBuffer(&next)
        #expect(try S.produce(&harness, records, version: 2).errorCode == 0)
        #expect(harness.state.partition("t", 0)?.log.producerStates.entry(for: 1)?.batches.map(\.baseOffset) == [0, 2])

        var gapped = try S.batch(producerID: 1, epoch: 0, sequence: 4)
        var broken = try S.batch(producerID: 1, epoch: 0, sequence: 9)
        gapped.writeBuffer(&broken)
        #expect(
            try S.produce(&harness, gapped, version: 2).errorCode == KafkaErrorCode.outOfOrderSequenceNumber.rawValue)
        // Nothing of the refused request counts: sequence 4 is still next.
        #expect(try S.produce(&harness, S.batch(producerID: 1, epoch: 0, sequence: 4), version: 2).baseOffset == 4)
    }

    @Test func logAppendTimeDuplicatesAnswerTheOriginalTime() throws {
        var harness = S.harness(configs: ["message.timestamp.type": "LogAppendTime"])
        let batch = try S.batch(producerID: 1, epoch: 0, sequence: 0)
        let original = try S.produce(&harness, batch)
        harness.now += 5_000
        let duplicate = try S.produce(&harness, batch)
        #expect(duplicate.errorCode == KafkaErrorCode.duplicateSequenceNumber.rawValue)
        #expect(duplicate.logAppendTimeMs == original.logAppendTimeMs)
    }

    @Test func deleteRecordsKeepsProducerState() throws {
        var harness = S.harness()
        _ = try S.produce(&harness, S.batch(count: 2, producerID: 1, epoch: 0, sequence: 0))
        let delete = DeleteRecordsRequest(topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, offset: -1)])]
        )
        _ = try harness.respond(DeleteRecordsHandler.self, delete)
        #expect(harness.state.partition("t", 0)?.log.logStartOffset == 2)
        let next = try S.produce(&harness, S.batch(producerID: 1, epoch: 0, sequence: 2))
        #expect(next.errorCode == 0)
        #expect(next.baseOffset == 2)
        #expect(next.logStartOffset == 2)
    }
}
