import KafkaCompression
import KafkaProtocol
import NIOCore

extension RecordAccumulator {
    /// How far apart the ids of consecutive batches are: the ids in between belong to the pieces of a split batch,
    /// which so keep their batch's place in every id order (re-enqueueing, flushing).
    static var batchIDStride: UInt64 { 1 << 16 }

    /// A piece of a batch the broker refused as too large.
    struct SplitPiece {
        var records: ByteBuffer
        var recordCount: Int
    }

    /// Re-encodes a batch the broker refused as too large (`MESSAGE_TOO_LARGE`) into pieces of at most `batch.size`
    /// (its records, timestamps and headers unchanged, compressed as configured, not yet stamped with a sequence),
    /// as the Java client splits such a batch. `nil` when the batch cannot be split: a single record, a piece of a
    /// split already, or bytes that do not decode.
    func splitPieces(of batch: DrainedBatch<Completion>) -> [SplitPiece]? {
        guard batch.recordCount > 1, batch.id % Self.batchIDStride == 0,
            let decoded = try? RecordBatch(decoding: batch.records, verifyChecksum: false),
            let records = try? decoded.records(decompressor: codecs).collect(), records.count == batch.recordCount
        else { return nil }
        let target = configuration.batchSize
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
        return pieces.count > 1 && UInt64(pieces.count) < Self.batchIDStride ? pieces : nil
    }

    /// Puts the pieces of `batch` (from ``splitPieces(of:)``) in its place in the partition's queue, oldest first,
    /// each with its sequence (`nil` for a producer that is not idempotent), as retries of `batch`. The batch's
    /// reserved memory is shared among them. Later batches of the partition are created no larger than half of
    /// `batch` (never below `batch.size`).
    func reenqueue(
        _ batch: DrainedBatch<Completion>, splitInto pieces: [SplitPiece],
        sequences: [IdempotentProducerState.BatchSequence?], now: ContinuousClock.Instant
    ) {
        var completions = batch.completions[...]
        var reserved = batch.reservedBytes
        var retried: [ProducerBatch<Completion>] = []
        for (index, piece) in pieces.enumerated() {
            let share =
                index == pieces.count - 1 ? reserved : batch.reservedBytes * piece.recordCount / batch.recordCount
            reserved -= share
            let drained = DrainedBatch(
                id: batch.id + UInt64(index + 1), topicPartition: batch.topicPartition, records: piece.records,
                recordCount: piece.recordCount, completions: Array(completions.prefix(piece.recordCount)),
                createdAt: batch.createdAt, attempts: batch.attempts, reservedBytes: share,
                sequence: index < sequences.count ? sequences[index] : nil)
            completions = completions.dropFirst(piece.recordCount)
            retried.append(ProducerBatch(drained: drained, now: now))
        }
        let limit = max(configuration.batchSize, batch.records.readableBytes / 2)
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
