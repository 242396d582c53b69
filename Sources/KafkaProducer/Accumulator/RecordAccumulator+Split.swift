import KafkaCompression
import KafkaProtocol
import NIOCore

extension RecordAccumulator {
    /// How far apart the ids of consecutive batches are: the ids in between belong to the pieces of a split batch,
    /// which so keep their batch's place in every id order (re-enqueueing, flushing).
    static var batchIDStride: UInt64 { 1 << 16 }

    /// How far apart the ids of the pieces made at each split level are (a batch as created is at level 0, its
    /// pieces at 1, theirs at 2, theirs at 3): the ids between two pieces belong to the pieces of the first one.
    static func pieceIDSpacing(level: Int) -> UInt64 {
        switch level {
        case 0: 1 << 8
        case 1: 1 << 4
        default: 1
        }
    }

    /// The most pieces a batch at `level` may be cut into (the ids between it and its next sibling).
    static func maximumPieces(level: Int) -> Int {
        level == 0 ? 255 : 15
    }

    /// How often a batch has been split to make `id`: 0 for a batch as created, 1 for a piece, 2 for a piece of a
    /// piece, 3 for one more (which is not split again).
    static func splitLevel(of id: UInt64) -> Int {
        if id % batchIDStride == 0 { return 0 }
        if id % pieceIDSpacing(level: 0) == 0 { return 1 }
        return id % pieceIDSpacing(level: 1) == 0 ? 2 : 3
    }

    /// A piece of a batch the broker refused as too large.
    struct SplitPiece {
        var records: ByteBuffer
        var recordCount: Int
    }

    /// The size of the pieces a refused batch of `bytes` at split level `level` is cut into: `batch.size` for a
    /// batch that grew to twice that or more, otherwise half of it; a quarter for a piece refused again (down to a
    /// 32nd of `batch.size`, or a 64th of a grown batch's piece, after three splits).
    func splitTarget(bytes: Int, level: Int) -> Int {
        if level > 0 { return max(1, bytes / 4) }
        return bytes >= 2 * configuration.batchSize ? configuration.batchSize : max(1, bytes / 2)
    }

    /// Re-encodes a batch the broker refused as too large (`MESSAGE_TOO_LARGE`) into pieces of at most
    /// ``splitTarget(bytes:level:)`` (its records, timestamps and headers unchanged, compressed as configured, not yet
    /// stamped with a sequence), as the Java client splits such a batch; a piece refused again is split once more.
    /// `nil` when the batch cannot be split: a single record, a piece split three times already, or bytes that do not
    /// decode.
    func splitPieces(of batch: DrainedBatch<Completion>) -> [SplitPiece]? {
        let level = Self.splitLevel(of: batch.id)
        guard batch.recordCount > 1, level < 3,
            let decoded = try? RecordBatch(decoding: batch.records, verifyChecksum: false),
            let records = try? decoded.records(decompressor: codecs).collect(), records.count == batch.recordCount
        else { return nil }
        let target = splitTarget(bytes: batch.records.readableBytes, level: level)
        var pieces: [SplitPiece] = []
        var builder = RecordBatchBuilder(capacity: target)
        func finish(_ builder: inout RecordBatchBuilder) -> SplitPiece? {
            let count = builder.recordCount
            let bytes: ByteBuffer?
            if configuration.compression != .none {
                bytes = try? builder.finish(
                    compression: configuration.compression, compressor: codecs, level: configuration.compressionLevel)
            } else {
                bytes = try? builder.finish()
            }
            return bytes.map { SplitPiece(records: $0, recordCount: count) }
        }
        for record in records {
            let headers = (try? record.headers.decoded()) ?? []
            let size = RecordBatchBuilder.maximumRecordSize(
                keyLength: record.key?.readableBytes, valueLength: record.value?.readableBytes, headers: headers)
            if !builder.isEmpty, builder.sizeInBytes + size > target {
                guard let piece = finish(&builder) else { return nil }
                pieces.append(piece)
                builder = RecordBatchBuilder(capacity: target)
            }
            guard
                (try? builder.append(
                    key: record.key, value: record.value, timestamp: record.timestamp, headers: headers))
                    != nil
            else { return nil }
        }
        guard let last = finish(&builder) else { return nil }
        pieces.append(last)
        // Pieces beyond the ids between this batch and the next cannot be ordered: leave the batch whole.
        return pieces.count > 1 && pieces.count <= Self.maximumPieces(level: level) ? pieces : nil
    }

    /// Puts the pieces of `batch` (from ``splitPieces(of:)``) in its place in the partition's queue, oldest first,
    /// each with its sequence (`nil` for a producer that is not idempotent), as retries of `batch`. The batch's
    /// reserved memory is shared among them. Later batches of the partition are created no larger than the pieces'
    /// target, or than half of a batch that had grown (never below `batch.size` then).
    func reenqueue(
        _ batch: DrainedBatch<Completion>, splitInto pieces: [SplitPiece],
        sequences: [IdempotentProducerState.BatchSequence?], now: ContinuousClock.Instant
    ) {
        var completions = batch.completions[...]
        var reserved = batch.reservedBytes
        var retried: [ProducerBatch<Completion>] = []
        let level = Self.splitLevel(of: batch.id)
        let spacing = Self.pieceIDSpacing(level: level)
        for (index, piece) in pieces.enumerated() {
            let share =
                index == pieces.count - 1 ? reserved : batch.reservedBytes * piece.recordCount / batch.recordCount
            reserved -= share
            let drained = DrainedBatch(
                id: batch.id + UInt64(index + 1) * spacing, topicPartition: batch.topicPartition,
                records: piece.records,
                recordCount: piece.recordCount, completions: Array(completions.prefix(piece.recordCount)),
                createdAt: batch.createdAt, attempts: batch.attempts, reservedBytes: share,
                sequence: index < sequences.count ? sequences[index] : nil)
            completions = completions.dropFirst(piece.recordCount)
            retried.append(ProducerBatch(drained: drained, now: now))
        }
        let bytes = batch.records.readableBytes
        let limit =
            level == 0 && bytes >= 2 * configuration.batchSize
            ? max(configuration.batchSize, bytes / 2) : splitTarget(bytes: bytes, level: level)
        state.withLockedValue { state in
            let queue = state.queue(for: batch.topicPartition)
            let index = queue.fields.batches.firstIndex(where: { $0.id > batch.id }) ?? queue.fields.batches.endIndex
            queue.fields.batches.insert(contentsOf: retried, at: index)
            queue.fields.maxBatchSize = min(queue.fields.maxBatchSize ?? .max, limit)
            state.incomplete.remove(batch.id)
            for piece in retried { state.incomplete.insert(piece.id) }
        }
    }
}
