import KafkaCompression
import KafkaProtocol
import NIOCore
import Testing

/// The codecs that compress.
let compressingCodecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]

/// "Hello, Kafka! " repeated 8 times: the plaintext of most known-answer vectors.
let hello = ByteBuffer(string: String(repeating: "Hello, Kafka! ", count: 8))

/// SplitMix64: a tiny, seeded, reproducible generator.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bytes from a hex string; whitespace (line breaks of multi-line literals) is ignored.
func buffer(hex: String) -> ByteBuffer {
    var bytes: [UInt8] = []
    var high: UInt8?
    for character in hex.utf8 {
        let nibble: UInt8
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
        default: continue
        }
        if let h = high {
            bytes.append(h << 4 | nibble)
            high = nil
        } else {
            high = nibble
        }
    }
    return ByteBuffer(bytes: bytes)
}

/// The readable bytes of `buffer`.
func bytes(_ buffer: ByteBuffer) -> [UInt8] {
    buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? []
}

/// `count` random bytes.
func randomBuffer(count: Int, seed: UInt64) -> ByteBuffer {
    var generator = SeededGenerator(seed: seed)
    var buffer = ByteBufferAllocator().buffer(capacity: count)
    var remaining = count
    while remaining >= 8 {
        buffer.writeInteger(generator.next())
        remaining -= 8
    }
    for _ in 0..<remaining { buffer.writeInteger(UInt8(truncatingIfNeeded: generator.next())) }
    return buffer
}

/// `count` bytes of compressible, record-like text.
func compressibleBuffer(count: Int) -> ByteBuffer {
    var buffer = ByteBufferAllocator().buffer(capacity: count + 64)
    var index = 0
    while buffer.readableBytes < count {
        buffer.writeString(#"{"id":\#(index),"user":"user-\#(index % 97)","event":"page_view","ok":true}\#n"#)
        index += 1
    }
    buffer.moveWriterIndex(to: count)
    return buffer
}

/// `count` zero bytes.
func zeroBuffer(count: Int) -> ByteBuffer {
    ByteBuffer(repeating: 0, count: count)
}

/// Asserts that `body` throws a `KafkaProtocolError` of kind `.compression`, and returns it.
@discardableResult
func expectCompressionError(
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> ByteBuffer
) -> KafkaProtocolError? {
    do {
        let result = try body()
        Issue.record(
            "expected a compression error, got \(result.readableBytes) bytes. \(comment?.description ?? "")",
            sourceLocation: sourceLocation)
    } catch let error as KafkaProtocolError {
        #expect(error.kind == .compression, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
