package import ArgumentParser
import Foundation
package import NIOCore

/// The options of `kafka-dump-log`: Apache Kafka's `DumpLogSegments` flags.
package struct DumpLogOptions: ParsableArguments {
    @Option(
        name: .customLong("files"),
        help: ArgumentHelp(
            "Comma-separated segment files to dump: .log, .index, .timeindex, .txnindex, .snapshot.",
            valueName: "file1,file2,..."))
    package var files: String

    @Flag(name: .customLong("deep-iteration"), help: "Print each record, not only each batch.")
    package var deepIteration = false

    @Flag(name: .customLong("print-data-log"), help: "Print each record's key and value (implies --deep-iteration).")
    package var printDataLog = false

    @Flag(
        name: .customLong("verify-index-only"),
        help: "Check the index against the log without printing its entries.")
    package var verifyIndexOnly = false

    @Flag(
        name: .customLong("index-sanity-check"),
        help: "Only check the index's sanity (what a broker checks at start-up).")
    package var indexSanityCheck = false

    @Option(
        name: .customLong("key-decoder-class"),
        help: ArgumentHelp(
            "How keys are printed: kafka.serializer.StringDecoder (default), an IntegerDecoder, LongDecoder or "
                + "DefaultDecoder (hex) class name, or string, int, long, hex, base64.",
            valueName: "decoder"))
    package var keyDecoder: String = "kafka.serializer.StringDecoder"

    @Option(
        name: .customLong("value-decoder-class"),
        help: ArgumentHelp("How values are printed (as --key-decoder-class).", valueName: "decoder"))
    package var valueDecoder: String = "kafka.serializer.StringDecoder"

    @Option(
        name: .customLong("max-message-size"),
        help: ArgumentHelp("The largest batch read at an index entry (default 5242880).", valueName: "size"))
    package var maxMessageSize: Int = 5_242_880

    package init() {}

    package func validate() throws {
        if fileList.isEmpty { throw ValidationError("--files names no file") }
        _ = try RecordDecoder(keyDecoder)
        _ = try RecordDecoder(valueDecoder)
    }

    /// The `--files` paths.
    package var fileList: [String] { files.split(separator: ",").map(String.init).filter { !$0.isEmpty } }

    /// Whether records are printed (`--deep-iteration`, or `--print-data-log` or a decoder given).
    var isDeepIteration: Bool { deepIteration || printsData }

    /// Whether keys and values are printed.
    var printsData: Bool {
        printDataLog || keyDecoder != "kafka.serializer.StringDecoder"
            || valueDecoder != "kafka.serializer.StringDecoder"
    }
}

/// How a key or value is printed: Kafka's `Decoder` classes by name, and short names.
package enum RecordDecoder: Equatable, Sendable {
    case string, integer, long, hex, base64

    /// - Throws: `ValidationError` for a name that is none of them.
    package init(_ name: String) throws {
        switch name {
        case "string": self = .string
        case "int", "integer": self = .integer
        case "long": self = .long
        case "hex": self = .hex
        case "base64": self = .base64
        case _ where name.hasSuffix(".StringDecoder"): self = .string
        case _ where name.hasSuffix(".IntegerDecoder"): self = .integer
        case _ where name.hasSuffix(".LongDecoder"): self = .long
        case _ where name.hasSuffix(".DefaultDecoder"): self = .hex
        default:
            throw ValidationError(
                "decoder '\(name)': use a StringDecoder, IntegerDecoder, LongDecoder or DefaultDecoder class name, "
                    + "or string, int, long, hex, base64")
        }
    }

    /// The bytes as this decoder prints them; an integer decoder given bytes of another length prints them in hex
    /// with a note.
    package func text(_ bytes: ByteBuffer) -> String {
        switch self {
        case .string:
            return String(decoding: bytes.readableBytesView, as: UTF8.self)
        case .integer:
            guard bytes.readableBytes == 4, let value = bytes.getInteger(at: bytes.readerIndex, as: Int32.self) else {
                return "<not 4 bytes: \(Self.hex(bytes))>"
            }
            return "\(value)"
        case .long:
            guard bytes.readableBytes == 8, let value = bytes.getInteger(at: bytes.readerIndex, as: Int64.self) else {
                return "<not 8 bytes: \(Self.hex(bytes))>"
            }
            return "\(value)"
        case .hex:
            return Self.hex(bytes)
        case .base64:
            return Data(bytes.readableBytesView).base64EncodedString()
        }
    }

    static func hex(_ bytes: ByteBuffer) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in bytes.readableBytesView {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }
}
