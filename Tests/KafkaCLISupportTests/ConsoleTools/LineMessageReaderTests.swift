import ArgumentParser
import KafkaCLISupport
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing

@Suite struct LineMessageReaderTests {
    static func record(_ line: String, _ properties: [String: String]) throws -> ProducerRecord {
        let reader = try LineMessageReader(topic: "t", properties: properties)
        return try reader.record(from: Array(line.utf8)[...], lineNumber: 3)
    }

    @Test("a line is the value; with parse.key and parse.headers it is headers<TAB>key<TAB>value")
    func parses() throws {
        let plain = try Self.record("a\tb", [:])
        #expect(plain.key == nil)
        #expect(plain.value == ByteBuffer(string: "a\tb"))
        let full = try Self.record(
            "h1:v1,h2:NULL\tkey\tvalue", ["parse.key": "true", "parse.headers": "TRUE", "null.marker": "NULL"])
        #expect(full.key == ByteBuffer(string: "key"))
        #expect(full.value == ByteBuffer(string: "value"))
        #expect(
            full.headers == [
                RecordHeader(key: "h1", value: ByteBuffer(string: "v1")), RecordHeader(key: "h2", value: nil),
            ])
        let nulls = try Self.record("NULL=NULL", ["parse.key": "true", "key.separator": "=", "null.marker": "NULL"])
        #expect(nulls.key == nil)
        #expect(nulls.value == nil)
    }

    @Test(
        "a line without its separators is one line naming the line number",
        arguments: [
            ("no-separator", ["parse.key": "true"], "No key separator found on line number 3: 'no-separator'"),
            ("h:v", ["parse.headers": "true"], "No headers delimiter found on line number 3: 'h:v'"),
            ("bad\tv", ["parse.headers": "true"], "No header key separator found in pair 'bad' on line number 3"),
        ])
    func malformed(line: String, properties: [String: String], message: String) {
        #expect(throws: ToolError(message)) { try Self.record(line, properties) }
    }

    @Test("ignore.error keeps a line without its key separator as the value")
    func ignoreError() throws {
        let record = try Self.record("just-a-value", ["parse.key": "true", "ignore.error": "true"])
        #expect(record.key == nil)
        #expect(record.value == ByteBuffer(string: "just-a-value"))
    }

    @Test("an empty separator is a usage error")
    func emptySeparator() {
        #expect {
            try LineMessageReader(topic: "t", properties: ["key.separator": ""])
        } throws: { error in
            (error as? ValidationError)?.message == "--property key.separator must not be empty"
        }
    }
}
