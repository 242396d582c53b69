import KafkaProtocol
import NIOCore

/// One partition's log in memory: v2 record batches in offset order, each kept as the bytes the
/// producer sent with the base offset and leader epoch filled in by the broker.
///
/// The base offset (bytes 0..<8) and the partition leader epoch (12..<16) lie outside the batch CRC,
/// so storing a batch never recomputes the checksum unless the broker sets LogAppendTime.
struct PartitionLog: Sendable {
    /// One stored batch.
    struct StoredBatch: Sendable {
        var baseOffset: Int64
        var lastOffset: Int64
        var maxTimestamp: Int64
        /// The whole batch as it goes out in a fetch response.
        var bytes: ByteBuffer
    }

    /// The first offset still readable (DeleteRecords moves it).
    private(set) var logStartOffset: Int64 = 0
    /// The next offset to assign; with one replica also the high watermark.
    private(set) var logEndOffset: Int64 = 0
    private(set) var batches: [StoredBatch] = []
    /// Total bytes of the stored batches.
    private(set) var sizeInBytes = 0
    /// Idempotent producers' epochs and recent batches (Produce checks and records them);
    /// DeleteRecords keeps them, as Kafka does.
    var producerStates = ProducerStateTable()
    /// Open transactions and the aborted-transaction index (see ``TransactionIndex``).
    var transactions = TransactionIndex()

    /// The high watermark: everything appended is committed (one in-sync replica).
    var highWatermark: Int64 { logEndOffset }
    /// The last stable offset: the first offset of the oldest open transaction, capped at the high
    /// watermark (Kafka's `UnifiedLog.lastStableOffset`).
    var lastStableOffset: Int64 { min(transactions.firstOpenOffset ?? highWatermark, highWatermark) }

    /// Appends one validated v2 batch (the caller checked magic, CRC and record count), assigning it
    /// offsets from the log end.
    ///
    /// - Parameters:
    ///   - batch: the batch bytes exactly (one batch, nothing after it).
    ///   - recordCount: the batch's record count (at least one record).
    ///   - leaderEpoch: written into the batch's partition leader epoch.
    ///   - logAppendTime: when set, the broker's time replaces the timestamps (LogAppendTime topics):
    ///     the timestamp-type attribute is set, max timestamp becomes this time and the CRC is redone.
    ///   - maxTimestamp: the batch's max timestamp as sent (ignored with `logAppendTime`).
    ///   - transactionalProducerID: the producer id of a transactional batch (nil otherwise): the
    ///     batch opens that producer's transaction on this partition unless one is open already.
    /// - Returns: the base offset assigned.
    @discardableResult
    mutating func append(
        batch: ByteBuffer, lastOffsetDelta: Int32, leaderEpoch: Int32, maxTimestamp: Int64,
        logAppendTime: Int64? = nil, transactionalProducerID: Int64? = nil
    ) -> Int64 {
        var bytes = batch
        let base = logEndOffset
        let at = bytes.readerIndex
        bytes.setInteger(base, at: at)
        bytes.setInteger(leaderEpoch, at: at + 12)
        var timestamp = maxTimestamp
        if let logAppendTime {
            let attributes = bytes.getInteger(at: at + 21, as: Int16.self) ?? 0
            bytes.setInteger(attributes | 0x08, at: at + 21)
            bytes.setInteger(logAppendTime, at: at + 35)
            let crc = bytes.withUnsafeReadableBytes { raw in
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[21...]))
            }
            bytes.setInteger(crc, at: at + 17)
            timestamp = logAppendTime
        }
        let last = base &+ Int64(max(lastOffsetDelta, 0))
        batches.append(StoredBatch(baseOffset: base, lastOffset: last, maxTimestamp: timestamp, bytes: bytes))
        sizeInBytes += bytes.readableBytes
        logEndOffset = last &+ 1
        if let transactionalProducerID { transactions.open(producerID: transactionalProducerID, at: base) }
        return base
    }

    /// The index of the first batch whose last offset is at or after `offset` (the batch holding it),
    /// `batches.count` when there is none.
    func batchIndex(containing offset: Int64) -> Int {
        var low = 0
        var high = batches.count
        while low < high {
            let mid = (low + high) / 2
            if batches[mid].lastOffset < offset { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Whole batches from the one holding `offset`, at most `maxBytes` in total except that the
    /// first batch is returned even when larger (KIP-74) when `minOneBatch` is true.
    ///
    /// - Returns: the batches (empty when nothing is at or after `offset` or nothing fits).
    func read(from offset: Int64, maxBytes: Int, minOneBatch: Bool) -> ArraySlice<StoredBatch> {
        let first = batchIndex(containing: max(offset, logStartOffset))
        var end = first
        var total = 0
        while end < batches.count {
            let size = batches[end].bytes.readableBytes
            if total + size > maxBytes && !(minOneBatch && end == first) { break }
            total += size
            end += 1
        }
        return batches[first..<end]
    }

    /// Bytes stored from the batch holding `offset` to the end, counting at most up to `cap`.
    func bytesAvailable(from offset: Int64, cap: Int) -> Int {
        guard offset < logEndOffset else { return 0 }
        var index = batchIndex(containing: max(offset, logStartOffset))
        var total = 0
        while index < batches.count && total < cap {
            total += batches[index].bytes.readableBytes
            index += 1
        }
        return total
    }

    /// The first offset whose batch has a max timestamp at or after `timestamp` (ListOffsets by
    /// time), with that batch's max timestamp; nil when every batch is older.
    func offset(forTimestamp timestamp: Int64) -> (offset: Int64, timestamp: Int64)? {
        let start = batchIndex(containing: logStartOffset)
        guard start < batches.count else { return nil }
        for batch in batches[start...] where batch.maxTimestamp >= timestamp {
            return (max(batch.baseOffset, logStartOffset), batch.maxTimestamp)
        }
        return nil
    }

    /// The offset and timestamp of the batch with the largest max timestamp (ListOffsets -3).
    func maxTimestampEntry() -> (offset: Int64, timestamp: Int64)? {
        let start = batchIndex(containing: logStartOffset)
        guard start < batches.count else { return nil }
        var best = batches[start]
        for batch in batches[start...] where batch.maxTimestamp > best.maxTimestamp { best = batch }
        return (best.lastOffset, best.maxTimestamp)
    }

    /// Moves the log start to `offset` (DeleteRecords), dropping batches wholly before it.
    /// The caller checked `logStartOffset...logEndOffset` contains `offset`.
    mutating func deleteRecords(before offset: Int64) {
        guard offset > logStartOffset else { return }
        logStartOffset = min(offset, logEndOffset)
        let keepFrom = batchIndex(containing: logStartOffset)
        if keepFrom > 0 {
            for batch in batches[..<keepFrom] { sizeInBytes -= batch.bytes.readableBytes }
            batches.removeFirst(keepFrom)
        }
    }

    /// Appends a batch read back from a data directory, keeping its stored offsets; batches that do
    /// not continue the log (a gap or an overlap) are refused.
    ///
    /// - Returns: whether the batch was added.
    mutating func restore(_ batch: ByteBuffer, baseOffset: Int64, lastOffset: Int64, maxTimestamp: Int64) -> Bool {
        guard baseOffset == logEndOffset || (batches.isEmpty && baseOffset >= logStartOffset), lastOffset >= baseOffset,
            lastOffset < Int64.max
        else { return false }
        if batches.isEmpty {
            logStartOffset = baseOffset
        }
        batches.append(
            StoredBatch(baseOffset: baseOffset, lastOffset: lastOffset, maxTimestamp: maxTimestamp, bytes: batch))
        sizeInBytes += batch.readableBytes
        logEndOffset = lastOffset + 1
        transactions.restore(batch, baseOffset: baseOffset)
        return true
    }

    /// Empties the log and starts it at `offset` (used when loading a stored log's position).
    mutating func reset(startingAt offset: Int64) {
        batches = []
        sizeInBytes = 0
        transactions = TransactionIndex()
        logStartOffset = offset
        logEndOffset = offset
    }
}

extension PartitionLog {
    /// A record found by a ListOffsets lookup: its offset, timestamp and batch leader epoch.
    typealias FoundRecord = (offset: Int64, timestamp: Int64, epoch: Int32)

    /// The first record at or after the log start whose timestamp is at or after `timestamp`
    /// (ListOffsets by time). Uncompressed CreateTime batches are searched record by record;
    /// other batches answer their first readable offset and max timestamp.
    func firstRecord(atOrAfter timestamp: Int64) -> FoundRecord? {
        let start = batchIndex(containing: logStartOffset)
        guard start < batches.count else { return nil }
        for batch in batches[start...] where batch.maxTimestamp >= timestamp {
            guard let records = batch.uncompressedRecords() else {
                return (max(batch.baseOffset, logStartOffset), batch.maxTimestamp, batch.partitionLeaderEpoch)
            }
            if let record = records.first(where: { $0.offset >= logStartOffset && $0.timestamp >= timestamp }) {
                return (record.offset, record.timestamp, batch.partitionLeaderEpoch)
            }
        }
        return nil
    }

    /// The record with the largest timestamp (ListOffsets -3): in the first batch holding the
    /// largest max timestamp, its first record with that timestamp (the batch's last offset when
    /// the batch is compressed).
    func maxTimestampRecord() -> FoundRecord? {
        let start = batchIndex(containing: logStartOffset)
        guard start < batches.count else { return nil }
        var best = batches[start]
        for batch in batches[start...] where batch.maxTimestamp > best.maxTimestamp { best = batch }
        let offset =
            best.uncompressedRecords()?.first { $0.timestamp == best.maxTimestamp }?.offset ?? best.lastOffset
        return (offset, best.maxTimestamp, best.partitionLeaderEpoch)
    }
}

extension PartitionLog.StoredBatch {
    /// The partition leader epoch written into the stored batch (-1 when unreadable).
    var partitionLeaderEpoch: Int32 {
        bytes.getInteger(at: bytes.readerIndex &+ 12, as: Int32.self) ?? -1
    }

    /// The offsets and timestamps of the records of an uncompressed CreateTime batch; nil for
    /// compressed or LogAppendTime batches (whose records all carry the max timestamp) and when
    /// the records cannot be read.
    func uncompressedRecords() -> [(offset: Int64, timestamp: Int64)]? {
        guard let batch = try? RecordBatch(decoding: bytes, verifyChecksum: false), batch.compression == .none,
            batch.timestampType == .createTime, let records = try? batch.records().collect()
        else { return nil }
        return records.map { ($0.offset, $0.timestamp) }
    }
}
