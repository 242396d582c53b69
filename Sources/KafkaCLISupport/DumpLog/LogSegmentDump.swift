import KafkaCompression
import KafkaProtocol
import NIOCore

/// `kafka-dump-log` of a `.log` segment, in Kafka 2.3's format: a line per batch, and with deep iteration a line per
/// record (`| offset: … CreateTime: … keysize: … valuesize: … sequence: … headerKeys: [a,b] key: … payload: …`).
///
/// Bytes that do not form a whole batch at the end are reported ("Found N invalid bytes at the end of …"); a batch
/// whose records cannot be read (a corrupt or truncated compressed section) gets one `error:` line and the dump goes
/// on with the next batch. Nothing in the file can stop the tool other than a read error.
struct LogSegmentDump {
    let options: DumpLogOptions
    let keyDecoder: RecordDecoder
    let valueDecoder: RecordDecoder
    let codecs = KafkaCodecs()

    /// What the dump found wrong, reported on standard error after every file (Kafka's format).
    struct Findings {
        /// Per file, pairs of offsets where one record did not follow the previous one.
        var nonConsecutive: [(file: String, pairs: [(Int64, Int64)])] = []
        /// Batches or records that could not be read, with why.
        var unreadable = 0
    }

    init(options: DumpLogOptions) throws {
        self.options = options
        keyDecoder = try RecordDecoder(options.keyDecoder)
        valueDecoder = try RecordDecoder(options.valueDecoder)
    }

    func dump(_ file: SegmentFile, emit: (String) -> Void, findings: inout Findings) throws {
        emit("Starting offset: \(try SegmentFile.baseOffset(ofFileAt: file.path))")
        var entries = SegmentEntries(file: file)
        var lastOffset: Int64 = -1
        var pairs: [(Int64, Int64)] = []
        while let (position, bytes) = try entries.next() {
            let magic = bytes.getInteger(at: 16, as: Int8.self) ?? -1
            if magic == RecordBatch.magic {
                dumpBatch(
                    bytes, position: position, lastOffset: &lastOffset, pairs: &pairs, emit: emit, findings: &findings)
            } else {
                dumpLegacy(
                    bytes, position: position, lastOffset: &lastOffset, pairs: &pairs, emit: emit, findings: &findings)
            }
        }
        let trailing = file.size - entries.position
        if trailing > 0 {
            let name = file.path.split(separator: "/").last.map(String.init) ?? file.path
            emit("Found \(trailing) invalid bytes at the end of \(name)")
        }
        if !pairs.isEmpty { findings.nonConsecutive.append((file.path, pairs)) }
    }

    private func dumpBatch(
        _ bytes: ByteBuffer, position: Int, lastOffset: inout Int64, pairs: inout [(Int64, Int64)],
        emit: (String) -> Void, findings: inout Findings
    ) {
        let batch: RecordBatch
        do {
            batch = try RecordBatch(decoding: bytes, verifyChecksum: false)
        } catch {
            findings.unreadable += 1
            emit("position: \(position) error: \(error)")
            return
        }
        let valid = (try? RecordBatch(decoding: bytes, verifyChecksum: true)) != nil
        let lastSequence =
            batch.baseSequence < 0 ? -1 : (Int64(batch.baseSequence) + Int64(batch.lastOffsetDelta)) & 0x7fff_ffff
        emit(
            "baseOffset: \(batch.baseOffset) lastOffset: \(batch.lastOffset) count: \(batch.recordCount) "
                + "baseSequence: \(batch.baseSequence) lastSequence: \(lastSequence) producerId: \(batch.producerId) "
                + "producerEpoch: \(batch.producerEpoch) partitionLeaderEpoch: \(batch.partitionLeaderEpoch) "
                + "isTransactional: \(batch.isTransactional) isControl: \(batch.isControlBatch) position: \(position) "
                + "\(Self.timestampName(batch.timestampType)): \(batch.maxTimestamp) size: \(batch.sizeInBytes) "
                + "magic: 2 compresscodec: \(batch.compression.description.uppercased()) crc: \(batch.crc) "
                + "isvalid: \(valid)")
        guard options.isDeepIteration else { return }
        do {
            var records = try batch.records(decompressor: codecs)
            while let record = try records.next() {
                noteOffset(record.offset, lastOffset: &lastOffset, pairs: &pairs)
                emit(try recordLine(record, in: batch))
            }
        } catch {
            findings.unreadable += 1
            emit("| error: the records of the batch at position \(position) cannot be read: \(error)")
        }
    }

    private func recordLine(_ record: Record, in batch: RecordBatch) throws -> String {
        let sequence: Int64 =
            batch.baseSequence < 0
            ? -1 : (Int64(batch.baseSequence) + (record.offset - batch.baseOffset)) & 0x7fff_ffff
        var keys: [String] = []
        var headers = record.headers.makeIterator()
        while let header = try headers.next() { keys.append(header.key) }
        var line =
            "| offset: \(record.offset) \(Self.timestampName(batch.timestampType)): \(record.timestamp) "
            + "keysize: \(record.key?.readableBytes ?? -1) valuesize: \(record.value?.readableBytes ?? -1) "
            + "sequence: \(sequence) headerKeys: [\(keys.joined(separator: ","))]"
        if batch.isControlBatch {
            let control = try ControlRecord(key: record.key)
            switch control.type {
            case .commit, .abort:
                let marker = try EndTransactionMarker(record: record)
                line +=
                    " endTxnMarker: \(marker.type == .commit ? "COMMIT" : "ABORT") coordinatorEpoch: "
                    + "\(marker.coordinatorEpoch)"
            default:
                line += " controlType: \(control.type)(\(control.type.rawValue))"
            }
        } else if options.printsData {
            if let key = record.key { line += " key: \(keyDecoder.text(key))" }
            if let value = record.value { line += " payload: \(valueDecoder.text(value))" }
        }
        return line
    }

    private func dumpLegacy(
        _ bytes: ByteBuffer, position: Int, lastOffset: inout Int64, pairs: inout [(Int64, Int64)],
        emit: (String) -> Void, findings: inout Findings
    ) {
        let message: LegacyMessage
        do {
            message = try LegacyMessage(decoding: bytes, verifyChecksum: false)
        } catch {
            findings.unreadable += 1
            emit("position: \(position) error: \(error)")
            return
        }
        let valid = (try? LegacyMessage(decoding: bytes, verifyChecksum: true)) != nil
        let time =
            message.timestampType.map { "\(Self.timestampName($0)): \(message.timestamp ?? -1)" }
            ?? "NoTimestampType: -1"
        emit(
            "offset: \(message.offset) position: \(position) \(time) size: \(bytes.readableBytes) "
                + "magic: \(message.magic) compresscodec: \(message.compression.description.uppercased()) "
                + "crc: \(message.crc) isvalid: \(valid)")
        guard options.isDeepIteration else { return }
        do {
            for inner in try message.messages(decompressor: codecs) {
                noteOffset(inner.offset, lastOffset: &lastOffset, pairs: &pairs)
                var line =
                    "| offset: \(inner.offset) \(time) keysize: \(inner.key?.readableBytes ?? -1) "
                    + "valuesize: \(inner.value?.readableBytes ?? -1) isvalid: \(valid) crc: \(inner.crc)"
                if options.printsData {
                    if let key = inner.key { line += " key: \(keyDecoder.text(key))" }
                    if let value = inner.value { line += " payload: \(valueDecoder.text(value))" }
                }
                emit(line)
            }
        } catch {
            findings.unreadable += 1
            emit("| error: the messages of the entry at position \(position) cannot be read: \(error)")
        }
    }

    private func noteOffset(_ offset: Int64, lastOffset: inout Int64, pairs: inout [(Int64, Int64)]) {
        if lastOffset != -1 && offset != lastOffset + 1 { pairs.append((lastOffset, offset)) }
        lastOffset = offset
    }

    static func timestampName(_ type: RecordTimestampType) -> String {
        type == .logAppendTime ? "LogAppendTime" : "CreateTime"
    }
}
