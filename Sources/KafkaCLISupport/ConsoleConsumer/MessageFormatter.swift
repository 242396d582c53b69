import ArgumentParser
import Foundation
package import KafkaConsumer
import KafkaProtocol
import NIOCore

/// How records are printed: Kafka's `DefaultMessageFormatter` (the default), a kcat-style `--format`
/// pattern, or `--json`.
package enum MessageFormatter: Sendable {
    case kafka(DefaultMessageFormat)
    case pattern([FormatToken])
    case json

    /// Appends `record`, formatted, to `output`.
    ///
    /// - Throws: when the record's headers cannot be decoded.
    package func write(_ record: ConsumerRecord, to output: inout [UInt8]) throws {
        switch self {
        case .kafka(let format): try format.write(record, to: &output)
        case .pattern(let tokens): try FormatToken.write(tokens, record, to: &output)
        case .json: try JSONRecord.write(record, to: &output)
        }
    }
}

/// Kafka's `DefaultMessageFormatter`: `[<type>:<timestamp>] [Partition:<p>] [Offset:<o>] [<headers>] [key]
/// [value]`, the columns separated by `key.separator`, each record ended by `line.separator`.
package struct DefaultMessageFormat: Sendable, Equatable {
    package var printTimestamp = false
    package var printKey = false
    package var printValue = true
    package var printPartition = false
    package var printOffset = false
    package var printHeaders = false
    package var keySeparator: [UInt8] = Array("\t".utf8)
    package var lineSeparator: [UInt8] = Array("\n".utf8)
    package var headersSeparator: [UInt8] = Array(",".utf8)
    package var nullLiteral: [UInt8] = Array("null".utf8)

    /// The formatter properties (`print.timestamp`, `print.key`, `print.value`, `print.partition`,
    /// `print.offset`, `print.headers`, `key.separator`, `line.separator`, `headers.separator`,
    /// `null.literal`); booleans are true when the value is `true` in any case, as in Kafka; other names
    /// are ignored.
    package init(properties: [String: String]) {
        func flag(_ name: String) -> Bool? {
            properties[name].map { $0.trimmingCharacters(in: .whitespaces).lowercased() == "true" }
        }
        func bytes(_ name: String) -> [UInt8]? { properties[name].map { Array($0.utf8) } }
        printTimestamp = flag("print.timestamp") ?? printTimestamp
        printKey = flag("print.key") ?? printKey
        printValue = flag("print.value") ?? printValue
        printPartition = flag("print.partition") ?? printPartition
        printOffset = flag("print.offset") ?? printOffset
        printHeaders = flag("print.headers") ?? printHeaders
        keySeparator = bytes("key.separator") ?? keySeparator
        lineSeparator = bytes("line.separator") ?? lineSeparator
        headersSeparator = bytes("headers.separator") ?? headersSeparator
        nullLiteral = bytes("null.literal") ?? nullLiteral
    }

    package func write(_ record: ConsumerRecord, to output: inout [UInt8]) throws {
        func separator(_ more: Bool) { output += more ? keySeparator : lineSeparator }
        func bytes(_ buffer: ByteBuffer?) {
            if let buffer { output += buffer.readableBytesView } else { output += nullLiteral }
        }
        if printTimestamp {
            switch record.timestampType {
            case .createTime: output += Array("CreateTime:\(record.timestamp)".utf8)
            case .logAppendTime: output += Array("LogAppendTime:\(record.timestamp)".utf8)
            case nil: output += Array("NO_TIMESTAMP".utf8)
            }
            separator(printPartition || printOffset || printHeaders || printKey || printValue)
        }
        if printPartition {
            output += Array("Partition:\(record.partition)".utf8)
            separator(printOffset || printHeaders || printKey || printValue)
        }
        if printOffset {
            output += Array("Offset:\(record.offset)".utf8)
            separator(printHeaders || printKey || printValue)
        }
        if printHeaders {
            let headers = try record.headers.decoded()
            if headers.isEmpty {
                output += Array("NO_HEADERS".utf8)
            } else {
                for (index, header) in headers.enumerated() {
                    if index > 0 { output += headersSeparator }
                    output += Array("\(header.key):".utf8)
                    bytes(header.value)
                }
            }
            separator(printKey || printValue)
        }
        if printKey {
            bytes(record.key)
            separator(printValue)
        }
        if printValue {
            bytes(record.value)
            output += lineSeparator
        }
    }
}

/// One piece of a kcat-style `--format` pattern.
package enum FormatToken: Equatable, Sendable {
    case literal([UInt8])
    case topic, partition, offset, key, value, headers, timestamp, keyLength, valueLength

    /// Parses `%t` topic, `%p` partition, `%o` offset, `%k` key, `%s` value, `%h` headers
    /// (`name=value,...`), `%T` timestamp (ms), `%K` / `%S` key / value length (-1 for null), `%%`, and the
    /// escapes `\n`, `\r`, `\t`, `\\`.
    ///
    /// - Throws: `ValidationError` for an unknown `%` token or escape.
    package static func parse(_ pattern: String) throws -> [FormatToken] {
        var tokens: [FormatToken] = []
        var literal: [UInt8] = []
        var characters = pattern.unicodeScalars.makeIterator()
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal = []
        }
        while let scalar = characters.next() {
            switch scalar {
            case "%":
                guard let code = characters.next() else { throw ValidationError("--format ends with a lone '%'") }
                let token: FormatToken?
                switch code {
                case "t": token = .topic
                case "p": token = .partition
                case "o": token = .offset
                case "k": token = .key
                case "s": token = .value
                case "h": token = .headers
                case "T": token = .timestamp
                case "K": token = .keyLength
                case "S": token = .valueLength
                case "%": token = nil
                default:
                    throw ValidationError(
                        "--format: unknown token '%\(code)' (known: %t %p %o %k %s %h %T %K %S %%)")
                }
                if let token {
                    flush()
                    tokens.append(token)
                } else {
                    literal.append(UInt8(ascii: "%"))
                }
            case "\\":
                guard let code = characters.next() else { throw ValidationError("--format ends with a lone '\\'") }
                switch code {
                case "n": literal.append(UInt8(ascii: "\n"))
                case "r": literal.append(UInt8(ascii: "\r"))
                case "t": literal.append(UInt8(ascii: "\t"))
                case "\\": literal.append(UInt8(ascii: "\\"))
                default: throw ValidationError("--format: unknown escape '\\\(code)' (known: \\n \\r \\t \\\\)")
                }
            default:
                literal += Array(String(scalar).utf8)
            }
        }
        flush()
        return tokens
    }

    package static func write(_ tokens: [FormatToken], _ record: ConsumerRecord, to output: inout [UInt8]) throws {
        for token in tokens {
            switch token {
            case .literal(let bytes): output += bytes
            case .topic: output += Array(record.topic.utf8)
            case .partition: output += Array("\(record.partition)".utf8)
            case .offset: output += Array("\(record.offset)".utf8)
            case .key: if let key = record.key { output += key.readableBytesView }
            case .value: if let value = record.value { output += value.readableBytesView }
            case .timestamp: output += Array("\(record.timestamp)".utf8)
            case .keyLength: output += Array("\(record.serializedKeySize)".utf8)
            case .valueLength: output += Array("\(record.serializedValueSize)".utf8)
            case .headers:
                for (index, header) in try record.headers.decoded().enumerated() {
                    if index > 0 { output.append(UInt8(ascii: ",")) }
                    output += Array(header.key.utf8)
                    output.append(UInt8(ascii: "="))
                    if let value = header.value {
                        output += value.readableBytesView
                    } else {
                        output += Array("NULL".utf8)
                    }
                }
            }
        }
    }
}

/// `--json`: one object per line,
/// `{"topic":…,"partition":…,"offset":…,"timestamp":…,"timestampType":…,"key":…,"value":…,"headers":[{"key":…,"value":…}]}`.
///
/// Keys, values and header values are JSON strings when they are valid UTF-8, `null` when null, and
/// otherwise base64 with a sibling field `"keyEncoding":"base64"` (`valueEncoding` for values and header
/// values). `timestampType` is `CreateTime`, `LogAppendTime` or `null` (legacy records). The fields come in
/// that order; `JSONEncoder` writes each value.
package enum JSONRecord {
    package static func write(_ record: ConsumerRecord, to output: inout [UInt8]) throws {
        let timestampType: String? =
            switch record.timestampType {
            case .createTime: "CreateTime"
            case .logAppendTime: "LogAppendTime"
            case nil: nil
            }
        var fields = [
            ("topic", try encoded(record.topic)), ("partition", try encoded(record.partition)),
            ("offset", try encoded(record.offset)), ("timestamp", try encoded(record.timestamp)),
            ("timestampType", try encoded(timestampType)),
        ]
        fields += try bytesFields("key", record.key) + bytesFields("value", record.value)
        var headers: [[UInt8]] = []
        for header in try record.headers.decoded() {
            headers.append(object([("key", try encoded(header.key))] + (try bytesFields("value", header.value))))
        }
        fields.append(
            ("headers", Array("[".utf8) + Array(headers.joined(separator: Array(",".utf8))) + Array("]".utf8)))
        output += object(fields)
        output.append(UInt8(ascii: "\n"))
    }

    /// `name` with the bytes as a string, `null`, or base64 followed by `nameEncoding` `base64`.
    static func bytesFields(_ name: String, _ buffer: ByteBuffer?) throws -> [(String, [UInt8])] {
        guard let buffer else { return [(name, Array("null".utf8))] }
        let bytes = Array(buffer.readableBytesView)
        let text = String(decoding: bytes, as: UTF8.self)
        if text.utf8.elementsEqual(bytes) { return [(name, try encoded(text))] }
        return [(name, try encoded(Data(bytes).base64EncodedString())), (name + "Encoding", try encoded("base64"))]
    }

    /// `{"name":value,…}` with the fields in the order given.
    static func object(_ fields: [(String, [UInt8])]) -> [UInt8] {
        var bytes = Array("{".utf8)
        for (index, (name, value)) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += Array("\"\(name)\":".utf8) + value
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `value` as compact JSON (a string, number or `null`).
    static func encoded(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
