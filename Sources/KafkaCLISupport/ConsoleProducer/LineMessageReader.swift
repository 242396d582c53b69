import ArgumentParser
import Foundation
package import KafkaProducer
import KafkaProtocol
import NIOCore

/// Turns one line of standard input into a record, as Kafka's `LineMessageReader` does.
///
/// Properties (`--property`): `parse.key` (default false), `key.separator` (default tab), `parse.headers`
/// (default false), `headers.delimiter` (default tab), `headers.separator` (default `,`),
/// `headers.key.separator` (default `:`), `null.marker` (unset), `ignore.error` (default false).
/// With both parsing switches a line reads `h1:v1,h2:v2<TAB>key<TAB>value`. A key, value or header value
/// equal to `null.marker` becomes null. Lines are bytes: keys and values are sent exactly as read.
package struct LineMessageReader: Sendable {
    package var topic: String
    package var parseKey = false
    package var keySeparator: [UInt8] = Array("\t".utf8)
    package var parseHeaders = false
    package var headersDelimiter: [UInt8] = Array("\t".utf8)
    package var headersSeparator: [UInt8] = Array(",".utf8)
    package var headersKeySeparator: [UInt8] = Array(":".utf8)
    package var ignoreError = false
    package var nullMarker: [UInt8]?

    /// Reads the reader's properties; unknown names are ignored (as Kafka's reader ignores them).
    ///
    /// - Throws: `ValidationError` for an empty separator or separators that Kafka refuses to have equal.
    package init(topic: String, properties: [String: String]) throws {
        self.topic = topic
        func flag(_ name: String) -> Bool? {
            properties[name].map { $0.trimmingCharacters(in: .whitespaces).lowercased() == "true" }
        }
        func separator(_ name: String) throws -> [UInt8]? {
            guard let value = properties[name] else { return nil }
            guard !value.isEmpty else { throw ValidationError("--property \(name) must not be empty") }
            return Array(value.utf8)
        }
        if let value = flag("parse.key") { parseKey = value }
        if let value = flag("parse.headers") { parseHeaders = value }
        if let value = flag("ignore.error") { ignoreError = value }
        if let value = try separator("key.separator") { keySeparator = value }
        if let value = try separator("headers.delimiter") { headersDelimiter = value }
        if let value = try separator("headers.separator") { headersSeparator = value }
        if let value = try separator("headers.key.separator") { headersKeySeparator = value }
        nullMarker = properties["null.marker"].map { Array($0.utf8) }
        let distinct: [(String, [UInt8]?, String, [UInt8]?)] = [
            ("headers.delimiter", headersDelimiter, "headers.separator", headersSeparator),
            ("headers.delimiter", headersDelimiter, "headers.key.separator", headersKeySeparator),
            ("headers.separator", headersSeparator, "headers.key.separator", headersKeySeparator),
            ("null.marker", nullMarker, "key.separator", keySeparator),
            ("null.marker", nullMarker, "headers.separator", headersSeparator),
            ("null.marker", nullMarker, "headers.delimiter", headersDelimiter),
            ("null.marker", nullMarker, "headers.key.separator", headersKeySeparator),
        ]
        for (firstName, first, secondName, second) in distinct where first != nil && first == second {
            throw ValidationError("\(firstName) and \(secondName) may not be equal")
        }
    }

    /// The record for `line` (without its line terminator), the `lineNumber`th line (from 1).
    ///
    /// - Throws: ``ToolError`` naming the line number when a separator is missing (unless `ignore.error`).
    package func record(from line: ArraySlice<UInt8>, lineNumber: Int) throws(ToolError) -> ProducerRecord {
        var rest = line
        var headerText: ArraySlice<UInt8>?
        if parseHeaders {
            headerText = try field(of: &rest, until: headersDelimiter, name: "headers delimiter", line, lineNumber)
        }
        var key: ArraySlice<UInt8>?
        if parseKey {
            key = try field(of: &rest, until: keySeparator, name: "key separator", line, lineNumber)
        }
        var headers: [RecordHeader] = []
        if let headerText, !isNull(headerText) {
            headers = try splitHeaders(headerText, lineNumber: lineNumber)
        }
        return ProducerRecord(
            topic: topic,
            key: key.flatMap { isNull($0) ? nil : ByteBuffer(bytes: $0) },
            value: isNull(rest) ? nil : ByteBuffer(bytes: rest),
            headers: headers)
    }

    private func isNull(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let nullMarker else { return false }
        return bytes.elementsEqual(nullMarker)
    }

    /// The bytes of `rest` before `separator`, removing them and the separator from `rest`; `nil` (and `rest`
    /// untouched) when the separator is missing and `ignore.error` is set.
    private func field(
        of rest: inout ArraySlice<UInt8>, until separator: [UInt8], name: String, _ line: ArraySlice<UInt8>,
        _ lineNumber: Int
    ) throws(ToolError) -> ArraySlice<UInt8>? {
        guard let range = Self.firstRange(of: separator, in: rest) else {
            if ignoreError { return nil }
            throw ToolError(
                "No \(name) found on line number \(lineNumber): '\(String(decoding: line, as: UTF8.self))'"
            )
        }
        let value = rest[rest.startIndex..<range.lowerBound]
        rest = rest[range.upperBound...]
        return value
    }

    private func splitHeaders(_ text: ArraySlice<UInt8>, lineNumber: Int) throws(ToolError) -> [RecordHeader] {
        var pairs: [ArraySlice<UInt8>] = []
        var rest = text
        while let range = Self.firstRange(of: headersSeparator, in: rest) {
            pairs.append(rest[rest.startIndex..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        pairs.append(rest)
        // Java's String.split drops trailing empty strings.
        while let last = pairs.last, last.isEmpty, pairs.count > 1 { pairs.removeLast() }
        var headers: [RecordHeader] = []
        for pair in pairs {
            guard let range = Self.firstRange(of: headersKeySeparator, in: pair) else {
                if ignoreError {
                    headers.append(RecordHeader(key: String(decoding: pair, as: UTF8.self), value: nil))
                    continue
                }
                throw ToolError(
                    "No header key separator found in pair '\(String(decoding: pair, as: UTF8.self))' on line number \(lineNumber)"
                )
            }
            let key = pair[pair.startIndex..<range.lowerBound]
            if isNull(key) {
                throw ToolError(
                    "Header keys should not be equal to the null marker '\(String(decoding: nullMarker ?? [], as: UTF8.self))' as they can't be null (line number \(lineNumber))"
                )
            }
            let value = pair[range.upperBound...]
            headers.append(
                RecordHeader(
                    key: String(decoding: key, as: UTF8.self), value: isNull(value) ? nil : ByteBuffer(bytes: value)))
        }
        return headers
    }

    /// The first occurrence of `needle` in `haystack`.
    static func firstRange(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Range<Int>? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        let first = needle[0]
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) {
                return index..<index + needle.count
            }
            index += 1
        }
        return nil
    }
}
