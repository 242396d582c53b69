import KafkaCompression
import KafkaProtocol
import NIOCore

/// libFuzzer entry point. The first byte picks the decoder, the rest is its input:
///
/// - `0`: a generated message — next byte picks the type (modulo the number of types), the next
///   the version (modulo its valid range); a successful decode is re-encoded.
/// - `1`: a records buffer (record batches v2 and legacy message sets), every record iterated,
///   compressed batches decompressed with a 1 MiB cap.
/// - `2`…`5`: the gzip, snappy, lz4 and zstd decompressors with a 1 MiB cap.
///
/// Any trap is a bug: decoders must throw on malformed input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    FuzzTargets.run(input)
    return 0
}

// SwiftPM links an executable target's entry point as `<Target>_main`; hand control to libFuzzer's
// driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("KafkaFuzz_main")
public func fuzzMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) }
}
