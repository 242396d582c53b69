import KafkaNetwork
import KafkaProtocol
import NIOCore
import NIOEmbedded
import Testing

struct KafkaFrameDecoderTests {
    func channel(maximumFrameSize: Int = 1024) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(KafkaFrameDecoder(maximumFrameSize: maximumFrameSize)))
        return channel
    }

    @Test func framesSplitAcrossReadsAndBatchedInOneRead() throws {
        let channel = try channel()
        var bytes = ByteBuffer()
        for payload in [[UInt8](), [1, 2, 3], [UInt8](repeating: 9, count: 300)] {
            bytes.writeInteger(Int32(payload.count))
            bytes.writeBytes(payload)
        }
        // Deliver the three frames in awkward pieces: 1 byte, then 5, then the rest.
        for cut in [1, 5, bytes.readableBytes - 6] {
            try channel.writeInbound(bytes.readSlice(length: cut) ?? ByteBuffer())
        }
        let frames = try (0..<3).map { _ in try #require(try channel.readInbound(as: ByteBuffer.self)) }
        #expect(frames.map(\.readableBytes) == [0, 3, 300])
        #expect(Array(frames[1].readableBytesView) == [1, 2, 3])
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test func oversizedFrameIsAnErrorBeforeItsBytesArrive() throws {
        let channel = try channel(maximumFrameSize: 1024)
        var bytes = ByteBuffer()
        bytes.writeInteger(Int32(1025))
        #expect(throws: KafkaProtocolError.self) { try channel.writeInbound(bytes) }
    }

    @Test func negativeSizeIsAnError() throws {
        let channel = try channel()
        var bytes = ByteBuffer()
        bytes.writeInteger(Int32(-5))
        bytes.writeBytes([1, 2, 3, 4])
        #expect(throws: KafkaProtocolError.self) { try channel.writeInbound(bytes) }
    }

    @Test func incompleteFrameWaitsForMoreBytes() throws {
        var bytes = ByteBuffer()
        bytes.writeInteger(Int32(10))
        bytes.writeBytes([1, 2, 3])
        #expect(try KafkaFrameDecoder.nextFrame(in: &bytes, maximumFrameSize: 100) == nil)
        #expect(bytes.readableBytes == 7)
    }
}
