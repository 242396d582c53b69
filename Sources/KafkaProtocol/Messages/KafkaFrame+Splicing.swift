public import NIOCore

/// A request frame whose large byte fields (a produce request's record batches) are not copied into it: the frame
/// holds everything else, and ``splices`` say where each left-out buffer goes.
///
/// The size prefix at the start of ``frame`` counts the spliced bytes too: written in order — the frame up to the
/// first splice's offset, its bytes, the frame up to the next offset, and so on — the pieces are exactly the frame
/// ``KafkaFrame/encodeRequest(_:version:correlationID:clientID:into:)`` encodes.
public struct SplicedRequestFrame: Sendable {
    /// One left-out buffer and where it belongs.
    public struct Splice: Sendable {
        /// The offset in ``SplicedRequestFrame/frame``'s readable bytes before which ``bytes`` go.
        public var offset: Int
        /// The left-out bytes.
        public var bytes: ByteBuffer
    }

    /// The frame without the spliced bytes (size prefix, header, the rest of the body).
    public var frame: ByteBuffer
    /// The left-out buffers, by increasing offset.
    public var splices: [Splice]

    /// The size of the whole frame, spliced bytes included.
    public var totalBytes: Int {
        var total = frame.readableBytes
        for splice in splices { total += splice.bytes.readableBytes }
        return total
    }

    /// The whole frame in one buffer (a copy; for tests and diagnostics).
    public var joined: ByteBuffer {
        var whole = ByteBuffer()
        whole.reserveCapacity(totalBytes)
        var position = frame.readerIndex
        for splice in splices {
            let end = frame.readerIndex + splice.offset
            if let piece = frame.getSlice(at: position, length: end - position) { whole.writeImmutableBuffer(piece) }
            whole.writeImmutableBuffer(splice.bytes)
            position = end
        }
        if let rest = frame.getSlice(at: position, length: frame.writerIndex - position) {
            whole.writeImmutableBuffer(rest)
        }
        return whole
    }
}

/// Where a request encoder hands the byte fields it leaves out of the frame (see
/// ``KafkaRequest/encode(into:version:splicing:)``).
public struct RequestSplicer {
    let frameStart: Int
    var splices: [SplicedRequestFrame.Splice] = []

    /// Leaves `bytes` out of `buffer`: they belong at `buffer`'s current end.
    public mutating func splice(_ bytes: ByteBuffer, at buffer: ByteBuffer) {
        splices.append(SplicedRequestFrame.Splice(offset: buffer.writerIndex - frameStart, bytes: bytes))
    }
}

extension KafkaRequest {
    /// No byte field is spliced: the request is encoded whole.
    public func encode(into buffer: inout ByteBuffer, version: Int16, splicing splicer: inout RequestSplicer) throws
        -> Bool
    {
        false
    }
}

extension KafkaFrame {
    /// Encodes `request` at `version` as a complete frame, leaving the byte fields that the request splices out of the
    /// frame's buffer (``KafkaRequest/encode(into:version:splicing:)``; a produce request's record batches). Writing
    /// the frame and its splices in order sends the same bytes as
    /// ``encodeRequest(_:version:correlationID:clientID:into:)`` without copying the batches.
    ///
    /// - Parameters:
    ///   - request: the request to encode.
    ///   - version: the request's version.
    ///   - correlationID: the correlation id the response will carry.
    ///   - clientID: the client id of the request header.
    ///   - buffer: where the frame is written (at its end); the result's ``SplicedRequestFrame/frame`` is its
    ///     readable bytes from the frame's start.
    public static func encodeRequestSpliced<R: KafkaRequest>(
        _ request: R, version: Int16, correlationID: Int32, clientID: String?, into buffer: consuming ByteBuffer
    ) throws -> SplicedRequestFrame {
        let sizeIndex = try beginRequest(
            R.self, version: version, correlationID: correlationID, clientID: clientID, into: &buffer)
        let bodyStart = buffer.writerIndex
        var splicer = RequestSplicer(frameStart: sizeIndex)
        if try !request.encode(into: &buffer, version: version, splicing: &splicer) {
            buffer.moveWriterIndex(to: bodyStart)
            splicer.splices = []
            // Encoded whole: allocated once at the request's size hint, not grown by doubling (copying its bytes).
            buffer.reserveCapacity(minimumWritableBytes: request.encodedSizeHint)
            try request.encode(into: &buffer, version: version)
        }
        var size = buffer.writerIndex - sizeIndex - 4
        for splice in splicer.splices { size += splice.bytes.readableBytes }
        try endRequest(sizeIndex: sizeIndex, size: size, in: &buffer)
        buffer.moveReaderIndex(to: sizeIndex)
        return SplicedRequestFrame(frame: buffer, splices: splicer.splices)
    }
}
