import KafkaCompression
import KafkaProtocol
import NIOCore

/// The fetched data of one partition, turned into ``ConsumerRecord``s a chunk at a time (Java's
/// `CompletedFetch`).
///
/// - Records before the fetch offset are skipped (a batch, compressed ones especially, may start
///   earlier than the offset asked for).
/// - Control batches (transaction markers) are never shown; the position moves past them.
/// - Compressed batches are decompressed through a ``KafkaDecompressor``, bounded by
///   `maxDecompressedSize`; legacy v0/v1 message sets (plain or compressed wrappers) are read too.
/// - A trailing partial batch ends the data; when not even one batch fit,
///   ``ConsumerFetchError/Kind/recordTooLarge(requiredBytes:)`` is reported.
/// - read_committed: records of aborted transactions are dropped — a transactional batch is
///   dropped when its producer has an aborted transaction whose first offset is at or before the
///   batch's last offset and whose abort marker has not been passed yet — and nothing at or past
///   the last stable offset is returned.
/// - Malformed bytes, checksum failures and decompression failures become
///   ``ConsumerFetchError/Kind/corruptRecord(_:)`` naming topic, partition and offset; records read
///   before the failure are returned first, the error on the next call.
///
/// ``nextFetchOffset`` and ``lastEpoch`` say where the partition's position goes once the records
/// handed out are consumed.
struct FetchedPartition: Sendable {
    /// The codecs of the consumer: zlib, snappy, LZ4, zstd.
    static let standardCodecs: any KafkaDecompressor & KafkaCompressor = KafkaCodecs()

    /// The partition.
    let partition: TopicPartition
    /// The offset the fetch asked for.
    let fetchOffset: Int64
    /// From the response: for lag.
    let highWatermark: Int64
    /// From the response (-1 when unknown, before v4).
    let lastStableOffset: Int64
    /// From the response (-1 when unknown, before v5).
    let logStartOffset: Int64
    let isolationLevel: IsolationLevel
    let decompressor: any KafkaDecompressor
    let maxDecompressedSize: Int
    let verifyChecksums: Bool
    /// The first offset not handed out: the last stable offset in read_committed when known, else none.
    private let stableLimit: Int64

    /// Where the next fetch of this partition starts, after the records handed out so far (and the
    /// control batches and aborted batches passed).
    private(set) var nextFetchOffset: Int64
    /// The leader epoch of the last batch read (`nil` for legacy messages or when unknown).
    private(set) var lastEpoch: Int32?
    /// Whether everything was handed out (or an error ended the data).
    private(set) var isDrained = false
    /// Records handed out so far.
    private(set) var recordsRead = 0

    /// The batch being read: its iterator advances in place (a copy per record would copy the batch).
    private struct OpenBatch: Sendable {
        var records: RecordBatch.RecordIterator
        let timestampType: RecordTimestampType
        let nextOffset: Int64
    }

    private var reader: RecordBatchReader
    /// At most one of `openBatch` and `openLegacy` is set: the entry being read.
    private var openBatch: OpenBatch?
    private var openLegacy: (messages: [LegacyMessage], index: Int)?
    private let recordsSize: Int
    private var sawCompleteEntry = false
    /// Aborted transactions sorted by first offset; those before `abortedIndex` were consumed.
    private let abortedTransactions: [FetchResponse.AbortedTransaction]
    private var abortedIndex = 0
    private var abortedProducerIds: Set<Int64> = []
    private var pendingError: ConsumerFetchError?

    /// Reads the records of one partition of a fetch response.
    ///
    /// - Parameters:
    ///   - records: the partition's `records` bytes.
    ///   - fetchOffset: the offset the request asked for.
    ///   - abortedTransactions: the response's aborted transactions (read_committed; `nil` = none).
    ///   - verifyChecksums: `check.crcs`.
    ///   - maxDecompressedSize: the cap on one batch's decompressed size.
    init(
        partition: TopicPartition, records: ByteBuffer?, fetchOffset: Int64, highWatermark: Int64 = -1,
        lastStableOffset: Int64 = -1, logStartOffset: Int64 = -1, isolationLevel: IsolationLevel = .readUncommitted,
        abortedTransactions: [FetchResponse.AbortedTransaction]? = nil, verifyChecksums: Bool = true,
        decompressor: any KafkaDecompressor = FetchedPartition.standardCodecs,
        maxDecompressedSize: Int = RecordBatch.defaultMaxDecompressedSize
    ) {
        self.partition = partition
        self.fetchOffset = fetchOffset
        self.highWatermark = highWatermark
        self.lastStableOffset = lastStableOffset
        self.logStartOffset = logStartOffset
        self.isolationLevel = isolationLevel
        self.decompressor = decompressor
        self.maxDecompressedSize = maxDecompressedSize
        self.verifyChecksums = verifyChecksums
        self.nextFetchOffset = fetchOffset
        self.stableLimit =
            isolationLevel == .readCommitted && lastStableOffset >= 0 ? lastStableOffset : Int64.max
        let bytes = records ?? ByteBuffer()
        self.recordsSize = bytes.readableBytes
        self.reader = RecordBatchReader(bytes, verifyChecksums: verifyChecksums)
        self.abortedTransactions =
            isolationLevel == .readCommitted
            ? (abortedTransactions ?? []).sorted { $0.firstOffset < $1.firstOffset } : []
    }

    /// Reads one partition of a decoded fetch response (whose error code was `NONE`).
    init(
        partition: TopicPartition, data: FetchResponse.PartitionData, fetchOffset: Int64,
        isolationLevel: IsolationLevel, verifyChecksums: Bool = true,
        decompressor: any KafkaDecompressor = FetchedPartition.standardCodecs,
        maxDecompressedSize: Int = RecordBatch.defaultMaxDecompressedSize
    ) {
        self.init(
            partition: partition, records: data.records, fetchOffset: fetchOffset, highWatermark: data.highWatermark,
            lastStableOffset: data.lastStableOffset, logStartOffset: data.logStartOffset,
            isolationLevel: isolationLevel, abortedTransactions: data.abortedTransactions,
            verifyChecksums: verifyChecksums, decompressor: decompressor, maxDecompressedSize: maxDecompressedSize)
    }

    /// The position after the records handed out.
    var nextPosition: FetchPosition { FetchPosition(offset: nextFetchOffset, leaderEpoch: lastEpoch) }

    /// Up to `maxRecords` more records (`max.poll.records`); empty once drained.
    ///
    /// - Throws: ``ConsumerFetchError`` when the data is malformed (after the records before the
    ///   failure were returned by an earlier call) or not even one batch fit. The partition is
    ///   then drained, its ``nextFetchOffset`` left at the failing offset.
    mutating func nextRecords(max maxRecords: Int) throws(ConsumerFetchError) -> [ConsumerRecord] {
        var records: [ConsumerRecord] = []
        try appendRecords(to: &records, max: maxRecords)
        return records
    }

    /// Appends up to `maxRecords` more records to `records`, as ``nextRecords(max:)``.
    mutating func appendRecords(to records: inout [ConsumerRecord], max maxRecords: Int) throws(ConsumerFetchError) {
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        guard !isDrained, maxRecords > 0 else { return }
        let start = records.count
        while records.count - start < maxRecords {
            do {
                guard try appendNextRecord(to: &records) else { break }
            } catch {
                let failure = wrap(error)
                finish()
                if records.count == start { throw failure }
                pendingError = failure
                break
            }
        }
        recordsRead += records.count - start
    }

    /// Drops whatever was not handed out (after a seek, a pause or a revocation).
    mutating func drain() {
        finish()
        pendingError = nil
    }

    private mutating func finish() {
        isDrained = true
        openBatch = nil
        openLegacy = nil
    }

    private var isReadCommitted: Bool { isolationLevel == .readCommitted }

    /// Whether `offset` is at or past the last stable offset in read_committed.
    private func isPastStableOffset(_ offset: Int64) -> Bool { offset >= stableLimit }

    /// Moves ``nextFetchOffset`` forward to `offset` (never back; never past the LSO in
    /// read_committed).
    private mutating func advance(to offset: Int64) {
        nextFetchOffset = max(nextFetchOffset, min(offset, stableLimit))
    }

    /// Appends the next record to `records`; false when there is none.
    private mutating func appendNextRecord(to records: inout [ConsumerRecord]) throws -> Bool {
        while !isDrained {
            if openBatch != nil {
                guard let record = try openBatch!.records.next() else {
                    advance(to: openBatch!.nextOffset)
                    openBatch = nil
                    continue
                }
                guard record.offset >= nextFetchOffset else { continue }
                if isPastStableOffset(record.offset) {
                    finish()
                    return false
                }
                nextFetchOffset = record.offset + 1
                records.append(
                    ConsumerRecord(
                        topic: partition.topic, partition: partition.partition, offset: record.offset,
                        timestamp: record.timestamp, timestampType: openBatch!.timestampType, key: record.key,
                        value: record.value, headers: record.headers, leaderEpoch: lastEpoch))
                return true
            }
            if let (messages, index) = openLegacy {
                guard index < messages.count else {
                    openLegacy = nil
                    continue
                }
                openLegacy = (messages, index + 1)
                let message = messages[index]
                guard message.offset >= nextFetchOffset else { continue }
                if isPastStableOffset(message.offset) {
                    finish()
                    return false
                }
                let next = message.offset.addingReportingOverflow(1)
                guard !next.overflow else {
                    throw KafkaProtocolError(.invalidValue, "legacy message offset \(message.offset) overflows")
                }
                nextFetchOffset = next.partialValue
                records.append(
                    ConsumerRecord(
                        topic: partition.topic, partition: partition.partition, offset: message.offset,
                        timestamp: message.timestamp ?? -1, timestampType: message.timestampType, key: message.key,
                        value: message.value, leaderEpoch: nil))
                return true
            }
            guard let entry = try reader.next() else {
                finish()
                return false
            }
            try open(entry)
        }
        return false
    }

    /// Starts reading one entry of the records buffer: opens it (`openBatch` or `openLegacy`), or skips it.
    private mutating func open(_ entry: RecordBatchEntry) throws {
        switch entry {
        case .incomplete(let incomplete):
            if !sawCompleteEntry && recordsSize > 0 {
                throw ConsumerFetchError(
                    .recordTooLarge(requiredBytes: incomplete.requiredBytes), topic: partition.topic,
                    partition: partition.partition, offset: fetchOffset)
            }
            finish()
        case .legacy(let message):
            sawCompleteEntry = true
            lastEpoch = nil
            let messages = try message.messages(
                decompressor: decompressor, maxDecompressedSize: maxDecompressedSize,
                verifyChecksums: verifyChecksums)
            openLegacy = (messages, 0)
        case .batch(let batch):
            sawCompleteEntry = true
            if isPastStableOffset(batch.baseOffset) {
                finish()
                return
            }
            lastEpoch = batch.partitionLeaderEpoch >= 0 ? batch.partitionLeaderEpoch : nil
            if isReadCommitted && batch.producerId >= 0 {
                consumeAbortedTransactions(upTo: batch.lastOffset)
                if batch.isControlBatch {
                    if try isAbortMarker(batch) { abortedProducerIds.remove(batch.producerId) }
                } else if batch.isTransactional && abortedProducerIds.contains(batch.producerId) {
                    advance(to: batch.nextOffset)
                    return
                }
            }
            if batch.isControlBatch || batch.recordCount == 0 {
                advance(to: batch.nextOffset)
                return
            }
            // Wholly before the fetch offset: nothing to hand out, no need to decompress.
            guard batch.lastOffset >= nextFetchOffset else { return }
            openBatch = OpenBatch(
                records: try batch.records(decompressor: decompressor, maxDecompressedSize: maxDecompressedSize),
                timestampType: batch.timestampType, nextOffset: batch.nextOffset)
        }
    }

    /// Adds the producers of aborted transactions starting at or before `offset`.
    private mutating func consumeAbortedTransactions(upTo offset: Int64) {
        while abortedIndex < abortedTransactions.count, abortedTransactions[abortedIndex].firstOffset <= offset {
            abortedProducerIds.insert(abortedTransactions[abortedIndex].producerId)
            abortedIndex += 1
        }
    }

    /// Whether a control batch holds an abort marker (its first record's control type).
    private func isAbortMarker(_ batch: RecordBatch) throws -> Bool {
        var records = try batch.records(decompressor: decompressor, maxDecompressedSize: maxDecompressedSize)
        guard let first = try records.next() else { return false }
        return try ControlRecord(record: first).type == .abort
    }

    private func wrap(_ error: any Error) -> ConsumerFetchError {
        if let error = error as? ConsumerFetchError { return error }
        let protocolError =
            (error as? KafkaProtocolError) ?? KafkaProtocolError(.invalidValue, String(describing: error))
        return ConsumerFetchError(
            .corruptRecord(protocolError), topic: partition.topic, partition: partition.partition,
            offset: nextFetchOffset)
    }
}
