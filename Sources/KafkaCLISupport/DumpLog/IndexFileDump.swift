import KafkaProtocol
import NIOCore

/// `kafka-dump-log` of a segment's offset index (`.index`: 8-byte entries, relative offset and position), time index
/// (`.timeindex`: 12-byte entries, timestamp and relative offset), transaction index (`.txnindex`: 34-byte aborted
/// transactions) and producer snapshot (`.snapshot`), in Kafka 2.3's format.
///
/// Index files of the active segment are preallocated and zero-filled: as Kafka, the listing stops at the first
/// entry after the first whose offset is the segment's base offset. Entries are checked against the log (Kafka's
/// mismatch reports, on standard error after every file).
struct IndexFileDump {
    let options: DumpLogOptions

    /// Index entries that disagree with the log, and sanity failures, reported after every file.
    struct Findings {
        var offsetMismatches: [(file: String, pairs: [(index: Int64, log: Int64)])] = []
        var timestampMismatches: [(file: String, pairs: [(index: Int64, log: Int64)])] = []
        var outOfOrderTimestamps: [(file: String, pairs: [(index: Int64, previous: Int64)])] = []
        var offsetsNotFound: [(file: String, pairs: [(index: Int64, log: Int64)])] = []
        var failedSanityChecks = 0
    }

    /// The offset index's entries: (absolute offset, position).
    static func offsetEntries(_ bytes: ByteBuffer, baseOffset: Int64) -> [(offset: Int64, position: Int32)] {
        var entries: [(Int64, Int32)] = []
        var index = 0
        while let relative = bytes.getInteger(at: index * 8, endianness: .big, as: Int32.self),
            let position = bytes.getInteger(at: index * 8 + 4, endianness: .big, as: Int32.self)
        {
            if relative == 0 && index > 0 { break }
            entries.append((baseOffset &+ Int64(relative), position))
            index += 1
        }
        return entries
    }

    /// The time index's entries: (timestamp, absolute offset).
    static func timeEntries(_ bytes: ByteBuffer, baseOffset: Int64) -> [(timestamp: Int64, offset: Int64)] {
        var entries: [(Int64, Int64)] = []
        var index = 0
        while let timestamp = bytes.getInteger(at: index * 12, endianness: .big, as: Int64.self),
            let relative = bytes.getInteger(at: index * 12 + 8, endianness: .big, as: Int32.self)
        {
            if relative == 0 && index > 0 { break }
            entries.append((timestamp, baseOffset &+ Int64(relative)))
            index += 1
        }
        return entries
    }

    func dumpOffsetIndex(_ file: SegmentFile, emit: (String) -> Void, findings: inout Findings) throws {
        let baseOffset = try SegmentFile.baseOffset(ofFileAt: file.path)
        let bytes = try file.readAll()
        if options.indexSanityCheck {
            try sanityCheck(
                file, entrySize: 8, lastOffset: Self.offsetEntries(bytes, baseOffset: baseOffset).last?.offset,
                baseOffset: baseOffset, emit: emit, findings: &findings)
            return
        }
        let log = try? SegmentFile(path: SegmentFile.sibling(of: file.path, suffix: ".log"))
        defer { log?.close() }
        var mismatches: [(Int64, Int64)] = []
        for entry in Self.offsetEntries(bytes, baseOffset: baseOffset) {
            if let log {
                let slice = try log.read(at: Int(entry.position), count: options.maxMessageSize)
                let found = Self.firstBatchLastOffset(slice) ?? -1
                if found != entry.offset { mismatches.append((entry.offset, found)) }
            }
            if !options.verifyIndexOnly { emit("offset: \(entry.offset) position: \(entry.position)") }
        }
        if !mismatches.isEmpty { findings.offsetMismatches.append((file.path, mismatches)) }
    }

    func dumpTimeIndex(_ file: SegmentFile, emit: (String) -> Void, findings: inout Findings) throws {
        let baseOffset = try SegmentFile.baseOffset(ofFileAt: file.path)
        let bytes = try file.readAll()
        let entries = Self.timeEntries(bytes, baseOffset: baseOffset)
        if options.indexSanityCheck {
            try sanityCheck(
                file, entrySize: 12, lastOffset: entries.last?.offset, baseOffset: baseOffset, emit: emit,
                findings: &findings)
            return
        }
        let log = try? SegmentFile(path: SegmentFile.sibling(of: file.path, suffix: ".log"))
        defer { log?.close() }
        let batches = try log.map(Self.batchSummaries) ?? []
        var mismatches: [(Int64, Int64)] = []
        var outOfOrder: [(Int64, Int64)] = []
        var notFound: [(Int64, Int64)] = []
        var previous: Int64 = -1
        for entry in entries {
            if log != nil {
                if let batch = batches.first(where: { $0.lastOffset >= entry.offset }), batch.lastOffset == entry.offset
                {
                    if batch.maxTimestamp != entry.timestamp {
                        mismatches.append((entry.timestamp, batch.maxTimestamp))
                    }
                    if previous >= entry.timestamp { outOfOrder.append((entry.timestamp, previous)) }
                } else {
                    notFound.append((entry.offset, batches.first { $0.lastOffset >= entry.offset }?.lastOffset ?? -1))
                }
            }
            if !options.verifyIndexOnly { emit("timestamp: \(entry.timestamp) offset: \(entry.offset)") }
            previous = entry.timestamp
        }
        if !mismatches.isEmpty { findings.timestampMismatches.append((file.path, mismatches)) }
        if !outOfOrder.isEmpty { findings.outOfOrderTimestamps.append((file.path, outOfOrder)) }
        if !notFound.isEmpty { findings.offsetsNotFound.append((file.path, notFound)) }
    }

    /// Kafka's start-up check: whole entries, and a last offset above the base offset unless the index is empty.
    private func sanityCheck(
        _ file: SegmentFile, entrySize: Int, lastOffset: Int64?, baseOffset: Int64, emit: (String) -> Void,
        findings: inout Findings
    ) throws {
        if file.size % entrySize != 0 {
            findings.failedSanityChecks += 1
            emit("\(file.path) failed sanity check: its size \(file.size) is not a multiple of \(entrySize)")
        } else if let lastOffset, file.size > entrySize, lastOffset < baseOffset {
            findings.failedSanityChecks += 1
            emit(
                "\(file.path) failed sanity check: its last offset \(lastOffset) is below its base offset \(baseOffset)"
            )
        } else {
            emit("\(file.path) passed sanity check.")
        }
    }

    /// The last offset of the first whole batch in `bytes`.
    static func firstBatchLastOffset(_ bytes: ByteBuffer) -> Int64? {
        var reader = RecordBatchReader(bytes, verifyChecksums: false)
        switch try? reader.next() {
        case .batch(let batch): return batch.lastOffset
        case .legacy(let message): return message.offset
        default: return nil
        }
    }

    /// Each batch's last offset and largest timestamp.
    static func batchSummaries(_ log: SegmentFile) throws -> [(lastOffset: Int64, maxTimestamp: Int64)] {
        var entries = SegmentEntries(file: log)
        var summaries: [(Int64, Int64)] = []
        while let (_, bytes) = try entries.next() {
            if let batch = try? RecordBatch(decoding: bytes, verifyChecksum: false) {
                summaries.append((batch.lastOffset, batch.maxTimestamp))
            } else if let message = try? LegacyMessage(decoding: bytes, verifyChecksum: false) {
                summaries.append((message.offset, message.timestamp ?? -1))
            }
        }
        return summaries
    }

    /// The aborted transactions of a `.txnindex`: version, producer id, first and last offset, last stable offset.
    func dumpTransactionIndex(_ file: SegmentFile, emit: (String) -> Void) throws -> Int {
        let bytes = try file.readAll()
        var index = 0
        while index + 34 <= bytes.readableBytes,
            let version = bytes.getInteger(at: index, endianness: .big, as: Int16.self),
            let producerID = bytes.getInteger(at: index + 2, endianness: .big, as: Int64.self),
            let first = bytes.getInteger(at: index + 10, endianness: .big, as: Int64.self),
            let last = bytes.getInteger(at: index + 18, endianness: .big, as: Int64.self),
            let stable = bytes.getInteger(at: index + 26, endianness: .big, as: Int64.self)
        {
            emit(
                "version: \(version) producerId: \(producerID) firstOffset: \(first) lastOffset: \(last) "
                    + "lastStableOffset: \(stable)")
            index += 34
        }
        return bytes.readableBytes - index
    }

    /// A producer state snapshot (`.snapshot`, version 1): a version, a CRC32C of the rest, then the producers.
    ///
    /// - Throws: ``ToolError`` naming the file for an unknown version, a checksum that does not match, or an entry
    ///   list cut short.
    func dumpProducerSnapshot(_ file: SegmentFile, emit: (String) -> Void) throws {
        let bytes = try file.readAll()
        guard let version = bytes.getInteger(at: 0, endianness: .big, as: Int16.self),
            let crc = bytes.getInteger(at: 2, endianness: .big, as: UInt32.self),
            let count = bytes.getInteger(at: 6, endianness: .big, as: Int32.self)
        else { throw ToolError("\(file.path): the snapshot is shorter than its header") }
        guard version == 1 else { throw ToolError("\(file.path): unknown snapshot version \(version)") }
        guard let rest = bytes.getSlice(at: 6, length: bytes.readableBytes - 6), CRC32C.checksum(rest) == crc else {
            throw ToolError("\(file.path): the snapshot's checksum does not match its contents")
        }
        let entrySize = 46
        guard count >= 0, 10 + Int(count) * entrySize <= bytes.readableBytes else {
            throw ToolError("\(file.path): the snapshot lists \(count) producers but holds fewer")
        }
        for entry in 0..<Int(count) {
            let at = 10 + entry * entrySize
            guard let producerID = bytes.getInteger(at: at, endianness: .big, as: Int64.self),
                let epoch = bytes.getInteger(at: at + 8, endianness: .big, as: Int16.self),
                let lastSequence = bytes.getInteger(at: at + 10, endianness: .big, as: Int32.self),
                let lastOffset = bytes.getInteger(at: at + 14, endianness: .big, as: Int64.self),
                let offsetDelta = bytes.getInteger(at: at + 22, endianness: .big, as: Int32.self),
                let timestamp = bytes.getInteger(at: at + 26, endianness: .big, as: Int64.self),
                let coordinatorEpoch = bytes.getInteger(at: at + 34, endianness: .big, as: Int32.self),
                let txnFirstOffset = bytes.getInteger(at: at + 38, endianness: .big, as: Int64.self)
            else { break }
            let currentTxn = txnFirstOffset >= 0 ? "Some(\(txnFirstOffset))" : "None"
            emit(
                "producerId: \(producerID) producerEpoch: \(epoch) coordinatorEpoch: \(coordinatorEpoch) "
                    + "currentTxnFirstOffset: \(currentTxn) firstSequence: \(Int64(lastSequence) - Int64(offsetDelta)) "
                    + "lastSequence: \(lastSequence) lastOffset: \(lastOffset) offsetDelta: \(offsetDelta) "
                    + "timestamp: \(timestamp)")
        }
    }
}
