import KafkaProtocol
package import NIOCore

/// Splits a byte stream into Kafka frames: an `int32` size, then that many bytes.
///
/// Each decoded frame is the bytes after the size prefix (a zero-copy slice). A size that is
/// negative or larger than ``maximumFrameSize`` is a ``KafkaProtocolError`` of kind
/// `.invalidLength`; `ByteToMessageHandler` then fires it down the pipeline and the connection's
/// handler closes the channel, so a broker sending garbage cannot make the client allocate
/// without bound.
package struct KafkaFrameDecoder: ByteToMessageDecoder, Sendable {
    package typealias InboundOut = ByteBuffer

    /// The largest frame accepted, in bytes (without the 4-byte size prefix).
    package let maximumFrameSize: Int

    /// The default maximum: 100 MiB, like the Java client's `socket.request.max.bytes` default on
    /// the broker side, above any `fetch.max.bytes` a consumer asks for.
    package static let defaultMaximumFrameSize = 100 * 1024 * 1024

    /// Creates a decoder.
    package init(maximumFrameSize: Int = KafkaFrameDecoder.defaultMaximumFrameSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.nextFrame(in: &buffer, maximumFrameSize: maximumFrameSize) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    package mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    /// Reads one complete frame from `buffer`, or returns `nil` (consuming nothing) when the frame
    /// is not complete yet.
    package static func nextFrame(in buffer: inout ByteBuffer, maximumFrameSize: Int) throws -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int32.self) else {
            return nil
        }
        guard size >= 0, Int(size) <= maximumFrameSize else {
            throw KafkaProtocolError(
                .invalidLength,
                "frame of \(size) bytes is \(size < 0 ? "negative" : "larger than the maximum of \(maximumFrameSize) bytes")"
            )
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }
}
