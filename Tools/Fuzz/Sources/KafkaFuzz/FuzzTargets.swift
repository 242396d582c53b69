import KafkaCompression
import KafkaProtocol
import NIOCore

/// The decoders the fuzzer drives, selected by the first input byte (see `FuzzEntry.swift`).
enum FuzzTargets {
    static let messageTypes: [any KafkaMessage.Type] =
        KafkaMessageRegistry.requestTypes.map { $0 as any KafkaMessage.Type }
        + KafkaMessageRegistry.responseTypes.map { $0 as any KafkaMessage.Type }
        + [RequestHeader.self, ResponseHeader.self, ConsumerProtocolSubscription.self, ConsumerProtocolAssignment.self]

    static let codecs = KafkaCodecs(maxDecompressedSize: 1 << 20)

    static func run(_ input: ByteBuffer) {
        var input = input
        guard let selector = input.readInteger(as: UInt8.self) else { return }
        switch selector % 6 {
        case 0:
            guard let typeByte = input.readInteger(as: UInt8.self), let versionByte = input.readInteger(as: UInt8.self)
            else { return }
            let type = messageTypes[Int(typeByte) % messageTypes.count]
            decodeMessage(type, versionByte: versionByte, input)
        case 1:
            decodeRecords(input)
        default:
            let codec = [CompressionCodec.gzip, .snappy, .lz4, .zstd][Int(selector % 6) - 2]
            _ = try? codecs.decompress(input, codec: codec, maxSize: 1 << 20)
        }
    }

    static func decodeMessage<T: KafkaMessage>(_: T.Type, versionByte: UInt8, _ input: ByteBuffer) {
        let span = Int(T.validVersions.upperBound - T.validVersions.lowerBound) + 1
        let version = T.validVersions.lowerBound + Int16(Int(versionByte) % span)
        if let message = try? T.decode(from: input, version: version) {
            _ = try? message.encoded(version: version)
        }
    }

    static func decodeRecords(_ input: ByteBuffer) {
        var reader = RecordBatchReader(input)
        while let entry = try? reader.next() {
            switch entry {
            case .batch(let batch):
                guard var records = try? batch.records(decompressor: codecs, maxDecompressedSize: 1 << 20) else {
                    continue
                }
                while let record = try? records.next() {
                    _ = try? record.headers.decoded()
                }
            case .legacy(let message):
                _ = try? message.messages(decompressor: codecs, maxDecompressedSize: 1 << 20, verifyChecksums: true)
            case .incomplete:
                return
            }
        }
    }
}
