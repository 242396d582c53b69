import ArgumentParser
import KafkaCLISupport
import KafkaConsumer
import KafkaProtocol
import NIOCore
import Testing

@Suite struct MessageFormatterTests {
    /// Headers in the record format: per header a zigzag varint key length, the key, a zigzag varint value length
    /// (-1 for null) and the value.
    static func headers(_ pairs: [(String, String?)]) -> RecordHeaders {
        var buffer = ByteBuffer()
        func varint(_ value: Int) {
            var zigzag = UInt64(bitPattern: Int64(value << 1) ^ Int64(value >> 63))
            while zigzag >= 0x80 {
                buffer.writeInteger(UInt8(zigzag & 0x7F | 0x80))
                zigzag >>= 7
            }
            buffer.writeInteger(UInt8(zigzag))
        }
        for (key, value) in pairs {
            varint(key.utf8.count)
            buffer.writeString(key)
            if let value {
                varint(value.utf8.count)
                buffer.writeString(value)
            } else {
                varint(-1)
            }
        }
        return RecordHeaders(count: pairs.count, encoded: buffer)
    }

    static let record = ConsumerRecord(
        topic: "events", partition: 2, offset: 41, timestamp: 1_700_000_000_000, timestampType: .createTime,
        key: ByteBuffer(string: "k\"0"), value: ByteBuffer(string: "v0\n"), headers: headers([("h", "x"), ("n", nil)]))

    static let binary = ConsumerRecord(
        topic: "events", partition: 0, offset: 1, timestamp: -1, timestampType: nil, key: nil,
        value: ByteBuffer(bytes: [0xFF, 0x00, 0x41]))

    static func text(_ formatter: MessageFormatter, _ record: ConsumerRecord) throws -> String {
        var output: [UInt8] = []
        try formatter.write(record, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    @Test("Kafka's DefaultMessageFormatter: the value alone by default, every column with the print properties")
    func defaultFormat() throws {
        #expect(try Self.text(.kafka(DefaultMessageFormat(properties: [:])), Self.record) == "v0\n\n")
        let all = DefaultMessageFormat(properties: [
            "print.timestamp": "TRUE", "print.partition": "true", "print.offset": "true", "print.headers": "true",
            "print.key": " true ", "key.separator": "|", "null.literal": "<null>",
        ])
        #expect(
            try Self.text(.kafka(all), Self.record)
                == "CreateTime:1700000000000|Partition:2|Offset:41|h:x,n:<null>|k\"0|v0\n\n")
        #expect(
            try Self.text(.kafka(all), Self.binary)
                == "NO_TIMESTAMP|Partition:0|Offset:1|NO_HEADERS|<null>|\u{FFFD}\0A\n")
        let keyOnly = DefaultMessageFormat(properties: [
            "print.key": "true", "print.value": "false", "line.separator": ";",
        ])
        #expect(try Self.text(.kafka(keyOnly), Self.record) == "k\"0;")
    }

    @Test("a kcat-style --format pattern")
    func pattern() throws {
        let tokens = try FormatToken.parse("%t|%p|%o|%k|%h|%T|%K|%S|%%\\t%s\\n")
        #expect(
            try Self.text(.pattern(tokens), Self.record) == "events|2|41|k\"0|h=x,n=NULL|1700000000000|3|3|%\tv0\n\n")
        #expect(try Self.text(.pattern(try FormatToken.parse("[%k][%K]")), Self.binary) == "[][-1]")
    }

    @Test(
        "a bad --format pattern is one line naming the token",
        arguments: [
            ("%x", "--format: unknown token '%x' (known: %t %p %o %k %s %h %T %K %S %%)"),
            ("abc%", "--format ends with a lone '%'"),
            ("\\q", "--format: unknown escape '\\q' (known: \\n \\r \\t \\\\)"),
            ("\\", "--format ends with a lone '\\'"),
        ])
    func badPattern(pattern: String, message: String) {
        #expect {
            try FormatToken.parse(pattern)
        } throws: { error in
            (error as? ValidationError)?.message == message
        }
    }

    @Test("--json: one object per record, the fields in order, bytes that are not UTF-8 in base64")
    func json() throws {
        #expect(
            try Self.text(.json, Self.record)
                == #"{"topic":"events","partition":2,"offset":41,"timestamp":1700000000000,"timestampType":"CreateTime","key":"k\"0","value":"v0\n","headers":[{"key":"h","value":"x"},{"key":"n","value":null}]}"#
                + "\n")
        #expect(
            try Self.text(.json, Self.binary)
                == #"{"topic":"events","partition":0,"offset":1,"timestamp":-1,"timestampType":null,"key":null,"value":"/wBB","valueEncoding":"base64","headers":[]}"#
                + "\n")
    }
}
