public import NIOCore

/// One entry of a records buffer (the `records` field of a Fetch response partition).
public enum RecordBatchEntry: Sendable, Hashable {
    /// A v2 record batch (magic 2).
    case batch(RecordBatch)
    /// A legacy message (magic 0 or 1): a single message or a compressed wrapper of several.
    case legacy(LegacyMessage)
    /// A batch cut off by the end of the buffer (brokers fill fetch responses up to a byte limit). It
    /// is skipped: the consumer fetches it again from its offset. Always the last entry.
    case incomplete(IncompleteBatch)
}

/// A partial batch at the end of a records buffer.
public struct IncompleteBatch: Sendable, Hashable {
    /// Where it starts in the records buffer.
    public var position: Int
    /// Its base offset, when at least its first eight bytes arrived.
    public var baseOffset: Int64?
    /// The bytes present.
    public var availableBytes: Int
    /// Its full size, when its size field arrived.
    public var requiredBytes: Int?

    /// Creates a description of a partial batch.
    public init(position: Int, baseOffset: Int64?, availableBytes: Int, requiredBytes: Int?) {
        self.position = position
        self.baseOffset = baseOffset
        self.availableBytes = availableBytes
        self.requiredBytes = requiredBytes
    }
}

/// Reads the batches of a records buffer one at a time: v2 batches and legacy messages, in any mix,
/// back to back, possibly ending in a partial batch (reported as ``RecordBatchEntry/incomplete(_:)``).
///
/// Each entry is decoded lazily — its header read and its checksum verified; records are decoded
/// when iterated. After an error or an incomplete entry, ``next()`` returns `nil`.
///
/// ```swift
/// var reader = RecordBatchReader(partition.records ?? ByteBuffer())
/// while let entry = try reader.next() {
///     guard case .batch(let batch) = entry else { continue }
///     var records = try batch.records(decompressor: codecs)
///     while let record = try records.next() { handle(record) }
/// }
/// ```
public struct RecordBatchReader: Sendable {
    var buffer: ByteBuffer
    let verifyChecksums: Bool
    var finished = false
    /// The position of the next entry in the records buffer.
    public private(set) var position = 0

    /// The smallest size field any format allows (a legacy v0 message with null key and value).
    static let minimumSize: Int32 = 14
    /// The bytes up to and including the magic byte, the same in every format.
    static let headerSizeUpToMagic = 17

    /// Creates a reader of `records`.
    ///
    /// - Parameters:
    ///   - records: the records section of a fetch response: record batches or legacy message sets.
    ///   - verifyChecksums: whether to check each batch's CRC32C / each legacy message's CRC32.
    public init(_ records: ByteBuffer, verifyChecksums: Bool = true) {
        self.buffer = records
        self.verifyChecksums = verifyChecksums
    }

    /// The next entry, or `nil` at the end.
    ///
    /// - Throws: ``KafkaProtocolError`` when an entry is malformed or fails its checksum; the context
    ///   names its position.
    public mutating func next() throws -> RecordBatchEntry? {
        guard !finished, buffer.readableBytes > 0 else { return nil }
        do {
            return try decodeNext()
        } catch let error as KafkaProtocolError {
            finished = true
            throw error.within("records at byte \(position)")
        }
    }

    /// Reads every remaining entry.
    public mutating func collect() throws -> [RecordBatchEntry] {
        var entries: [RecordBatchEntry] = []
        while let entry = try next() { entries.append(entry) }
        return entries
    }

    private mutating func decodeNext() throws -> RecordBatchEntry? {
        let start = buffer.readerIndex
        let available = buffer.readableBytes
        let baseOffset = buffer.getInteger(at: start, endianness: .big, as: Int64.self)
        guard available >= RecordBatch.logOverhead,
            let size = buffer.getInteger(at: start + 8, endianness: .big, as: Int32.self)
        else {
            return incomplete(baseOffset: baseOffset, requiredBytes: nil)
        }
        guard size >= Self.minimumSize else {
            throw KafkaProtocolError(.invalidLength, "batch size \(size) is below the minimum \(Self.minimumSize)")
        }
        let total = Int(size) + RecordBatch.logOverhead
        guard let magic = buffer.getInteger(at: start + 16, as: Int8.self) else {
            return incomplete(baseOffset: baseOffset, requiredBytes: total)
        }
        guard (0...2).contains(magic) else {
            throw KafkaProtocolError(.invalidValue, "unknown magic byte \(magic)")
        }
        guard total <= available, let bytes = buffer.readSlice(length: total) else {
            return incomplete(baseOffset: baseOffset, requiredBytes: total)
        }
        let position = self.position
        self.position += total
        if magic == RecordBatch.magic {
            return .batch(try RecordBatch(decoding: bytes, position: position, verifyChecksum: verifyChecksums))
        }
        return .legacy(try LegacyMessage(decoding: bytes, verifyChecksum: verifyChecksums))
    }

    private mutating func incomplete(baseOffset: Int64?, requiredBytes: Int?) -> RecordBatchEntry {
        finished = true
        let entry = IncompleteBatch(
            position: position, baseOffset: baseOffset, availableBytes: buffer.readableBytes,
            requiredBytes: requiredBytes)
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .incomplete(entry)
    }
}
