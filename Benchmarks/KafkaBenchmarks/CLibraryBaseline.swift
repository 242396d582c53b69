import CLZ4
import CSnappy
import CZlib
import CZstd
import KafkaProtocol

/// The C libraries called directly, with the same framing and settings as `KafkaCodecs` and
/// preallocated output buffers: the figure the wrapper's overhead is measured against.
final class CLibraryBaseline {
    let codec: CompressionCodec
    let input: [UInt8]
    var compressed: [UInt8] = []
    var output: [UInt8]
    var scratch: [UInt8]

    init(codec: CompressionCodec, input: [UInt8]) {
        self.codec = codec
        self.input = input
        self.output = [UInt8](repeating: 0, count: input.count + 1024)
        self.scratch = [UInt8](repeating: 0, count: input.count * 2 + 65536)
        let n = compressInto()
        self.compressed = Array(scratch[..<n])
    }

    func compress() { blackHole(compressInto()) }

    @discardableResult
    func compressInto() -> Int {
        let n: Int = input.withUnsafeBytes { src in
            scratch.withUnsafeMutableBytes { dst in
                switch codec {
                case .gzip:
                    var stream = z_stream()
                    deflateInit2_(
                        &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                        Int32(MemoryLayout<z_stream>.size))
                    stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
                    stream.avail_in = uInt(src.count)
                    stream.next_out = dst.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(dst.count)
                    deflate(&stream, Z_FINISH)
                    let total = Int(stream.total_out)
                    deflateEnd(&stream)
                    return total
                case .snappy:
                    guard let srcBase = src.baseAddress, let dstBase = dst.baseAddress else { return 0 }
                    var written = 16
                    var offset = 0
                    while offset < src.count {
                        let chunk = min(32 * 1024, src.count - offset)
                        var length = dst.count - written - 4
                        snappy_compress(
                            srcBase.advanced(by: offset).assumingMemoryBound(to: CChar.self), chunk,
                            dstBase.advanced(by: written + 4).assumingMemoryBound(to: CChar.self), &length)
                        dst.storeBytes(of: UInt32(length).bigEndian, toByteOffset: written, as: UInt32.self)
                        written += 4 + length
                        offset += chunk
                    }
                    return written
                case .lz4:
                    var prefs = LZ4F_preferences_t()
                    prefs.frameInfo.blockSizeID = LZ4F_max64KB
                    prefs.frameInfo.blockMode = LZ4F_blockIndependent
                    return LZ4F_compressFrame(dst.baseAddress, dst.count, src.baseAddress, src.count, &prefs)
                case .zstd:
                    return ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 3)
                case .none:
                    return 0
                }
            }
        }
        return n
    }

    func decompress() {
        let n: Int = compressed.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                switch codec {
                case .gzip:
                    var stream = z_stream()
                    inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
                    stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
                    stream.avail_in = uInt(src.count)
                    stream.next_out = dst.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(dst.count)
                    inflate(&stream, Z_FINISH)
                    let total = Int(stream.total_out)
                    inflateEnd(&stream)
                    return total
                case .snappy:
                    guard let srcBase = src.baseAddress, let dstBase = dst.baseAddress else { return 0 }
                    var read = 16
                    var written = 0
                    while read + 4 <= src.count {
                        let length =
                            Int(src[read]) << 24 | Int(src[read + 1]) << 16 | Int(src[read + 2]) << 8
                            | Int(src[read + 3])
                        var outLength = dst.count - written
                        snappy_uncompress(
                            srcBase.advanced(by: read + 4).assumingMemoryBound(to: CChar.self), length,
                            dstBase.advanced(by: written).assumingMemoryBound(to: CChar.self), &outLength)
                        written += outLength
                        read += 4 + length
                    }
                    return written
                case .lz4:
                    var context: OpaquePointer?
                    LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
                    var dstSize = dst.count
                    var srcSize = src.count
                    LZ4F_decompress(context, dst.baseAddress, &dstSize, src.baseAddress, &srcSize, nil)
                    LZ4F_freeDecompressionContext(context)
                    return dstSize
                case .zstd:
                    return ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count)
                case .none:
                    return 0
                }
            }
        }
        if n != input.count { fatalError("\(codec) baseline round trip produced \(n) bytes, expected \(input.count)") }
    }
}
