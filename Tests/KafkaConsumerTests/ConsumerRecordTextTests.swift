import KafkaConsumer
import NIOCore
import Testing

struct ConsumerRecordTextTests {
    static func record(key: ByteBuffer?, value: ByteBuffer?) -> ConsumerRecord {
        ConsumerRecord(
            topic: "t", partition: 0, offset: 0, timestamp: 0, timestampType: .createTime, key: key, value: value)
    }

    @Test func textAndBytesOfKeyAndValue() {
        let record = Self.record(key: ByteBuffer(string: "customer-7"), value: ByteBuffer(bytes: [0x68, 0xC3, 0xA9]))
        #expect(record.keyString == "customer-7")
        #expect(record.valueString == "hé")
        #expect(record.keyBytes == Array("customer-7".utf8))
        #expect(record.valueBytes == [0x68, 0xC3, 0xA9])
    }

    @Test func nullKeyAndTombstoneAreNil() {
        let record = Self.record(key: nil, value: nil)
        #expect(record.keyString == nil && record.valueString == nil)
        #expect(record.keyBytes == nil && record.valueBytes == nil)
    }

    @Test func invalidUTF8IsReplacedNotDropped() {
        let record = Self.record(key: nil, value: ByteBuffer(bytes: [0x61, 0xFF, 0x62]))
        #expect(record.valueString == "a\u{FFFD}b")
    }
}
