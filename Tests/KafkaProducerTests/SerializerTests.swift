import Foundation
import KafkaProducer
import NIOCore
import Testing

/// The built-in key/value serializers and deserializers: byte layouts as the Java client's, round trips and errors.
@Suite(.timeLimit(.minutes(5))) struct SerializerTests {
    static let topic = "orders-topic"

    private func bytes(_ buffer: ByteBuffer) -> [UInt8] {
        Array(buffer.readableBytesView)
    }

    // MARK: - String

    @Test func stringSerializesAsUTF8() throws {
        let serializer = StringSerializer()
        #expect(bytes(try serializer.serialize("héllo", topic: Self.topic)) == [0x68, 0xC3, 0xA9, 0x6C, 0x6C, 0x6F])
        #expect(bytes(try serializer.serialize("", topic: Self.topic)) == [])
    }

    @Test(arguments: ["", "plain ascii", "héllo wörld", "日本語", "emoji 🎉👍🏽", "nul\u{0}inside"])
    func stringRoundTrips(value: String) throws {
        let serializer = StringSerializer()
        let buffer = try serializer.serialize(value, topic: Self.topic)
        #expect(buffer.readableBytes == value.utf8.count)
        #expect(try serializer.deserialize(buffer, topic: Self.topic) == value)
    }

    @Test func stringDeserializesOnlyTheReadableBytes() throws {
        var buffer = ByteBuffer(bytes: [0xFF, 0x61, 0x62])
        buffer.moveReaderIndex(forwardBy: 1)
        #expect(try StringSerializer().deserialize(buffer, topic: Self.topic) == "ab")
    }

    @Test(arguments: [
        [0xFF] as [UInt8],  // never valid in UTF-8
        [0x61, 0xC3],  // truncated two-byte sequence
        [0xC0, 0xAF],  // overlong encoding of "/"
        [0xED, 0xA0, 0x80],  // UTF-16 surrogate
        [0x80, 0x61],  // lone continuation byte
    ])
    func stringRejectsInvalidUTF8(invalid: [UInt8]) throws {
        let error = try #require(throws: KafkaSerializationError.self) {
            try StringSerializer().deserialize(ByteBuffer(bytes: invalid), topic: Self.topic)
        }
        #expect(error.topic == Self.topic)
        #expect(error.message == "value is not valid UTF-8")
        #expect(error.description.contains(Self.topic))
    }

    // MARK: - Bytes and ByteBuffer

    @Test func bytesRoundTrip() throws {
        let serializer = BytesSerializer()
        let value: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF]
        let buffer = try serializer.serialize(value, topic: Self.topic)
        #expect(bytes(buffer) == value)
        #expect(try serializer.deserialize(buffer, topic: Self.topic) == value)
        #expect(try serializer.deserialize(ByteBuffer(), topic: Self.topic) == [])
    }

    @Test func bytesDeserializeOnlyTheReadableBytes() throws {
        var buffer = ByteBuffer(bytes: [9, 9, 1, 2, 3])
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try BytesSerializer().deserialize(buffer, topic: Self.topic) == [1, 2, 3])
    }

    @Test func byteBufferIsTheIdentity() throws {
        let serializer = ByteBufferSerializer()
        var value = ByteBuffer(bytes: [7, 8, 9, 10])
        value.moveReaderIndex(forwardBy: 1)
        let serialized = try serializer.serialize(value, topic: Self.topic)
        #expect(bytes(serialized) == [8, 9, 10])
        #expect(serialized == value)
        #expect(try serializer.deserialize(serialized, topic: Self.topic) == value)
    }

    // MARK: - Integers

    @Test func int32MatchesJavaIntegerSerializer() throws {
        let serializer = IntegerSerializer<Int32>()
        #expect(bytes(try serializer.serialize(258, topic: Self.topic)) == [0, 0, 1, 2])
        #expect(bytes(try serializer.serialize(-1, topic: Self.topic)) == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(bytes(try serializer.serialize(Int32.min, topic: Self.topic)) == [0x80, 0, 0, 0])
        #expect(bytes(try serializer.serialize(0x0102_0304, topic: Self.topic)) == [1, 2, 3, 4])
    }

    @Test func int64MatchesJavaLongSerializer() throws {
        let serializer = IntegerSerializer(Int64.self)
        #expect(bytes(try serializer.serialize(-1, topic: Self.topic)) == Array(repeating: 0xFF, count: 8))
        #expect(bytes(try serializer.serialize(258, topic: Self.topic)) == [0, 0, 0, 0, 0, 0, 1, 2])
        #expect(
            bytes(try serializer.serialize(0x0102_0304_0506_0708, topic: Self.topic)) == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func int16MatchesJavaShortSerializer() throws {
        let serializer = IntegerSerializer<Int16>()
        #expect(bytes(try serializer.serialize(258, topic: Self.topic)) == [1, 2])
        #expect(bytes(try serializer.serialize(-2, topic: Self.topic)) == [0xFF, 0xFE])
    }

    @Test func unsignedAndByteIntegers() throws {
        #expect(bytes(try IntegerSerializer<UInt16>().serialize(0xABCD, topic: Self.topic)) == [0xAB, 0xCD])
        #expect(bytes(try IntegerSerializer<UInt8>().serialize(0x7F, topic: Self.topic)) == [0x7F])
        #expect(bytes(try IntegerSerializer<Int8>().serialize(-128, topic: Self.topic)) == [0x80])
    }

    @Test(arguments: [Int64.min, -1, 0, 1, 258, Int64(Int32.max) + 1, Int64.max])
    func int64RoundTrips(value: Int64) throws {
        let serializer = IntegerSerializer<Int64>()
        #expect(try serializer.deserialize(serializer.serialize(value, topic: Self.topic), topic: Self.topic) == value)
    }

    @Test func integerRoundTripsForOtherWidths() throws {
        func roundTrip<T: FixedWidthInteger>(_ value: T) throws -> T {
            let serializer = IntegerSerializer<T>()
            return try serializer.deserialize(serializer.serialize(value, topic: Self.topic), topic: Self.topic)
        }
        for value: Int32 in [.min, -258, 0, 258, .max] { #expect(try roundTrip(value) == value) }
        for value: Int16 in [.min, -1, 0, 258, .max] { #expect(try roundTrip(value) == value) }
        for value: UInt64 in [0, 1, .max] { #expect(try roundTrip(value) == value) }
        for value: UInt32 in [0, 0xDEAD_BEEF, .max] { #expect(try roundTrip(value) == value) }
    }

    @Test func integerDeserializesJavaBytes() throws {
        #expect(try IntegerSerializer<Int32>().deserialize(ByteBuffer(bytes: [0, 0, 1, 2]), topic: Self.topic) == 258)
        #expect(
            try IntegerSerializer<Int64>().deserialize(
                ByteBuffer(bytes: Array(repeating: 0xFF, count: 8)), topic: Self.topic) == -1)
        var offset = ByteBuffer(bytes: [0xAA, 0xFF, 0xFE])
        offset.moveReaderIndex(forwardBy: 1)
        #expect(try IntegerSerializer<Int16>().deserialize(offset, topic: Self.topic) == -2)
    }

    @Test(arguments: [0, 3, 7, 9])
    func int64RejectsWrongLength(length: Int) throws {
        let buffer = ByteBuffer(bytes: Array(repeating: 0x01, count: length))
        let error = try #require(throws: KafkaSerializationError.self) {
            try IntegerSerializer<Int64>().deserialize(buffer, topic: Self.topic)
        }
        #expect(error.topic == Self.topic)
        #expect(error.message == "expected 8 bytes for Int64, got \(length)")
        #expect(error.description.contains(Self.topic))
    }

    @Test func int32RejectsWrongLength() throws {
        let error = try #require(throws: KafkaSerializationError.self) {
            try IntegerSerializer<Int32>().deserialize(ByteBuffer(bytes: [0, 1, 2, 3, 4]), topic: "t2")
        }
        #expect(error == KafkaSerializationError(topic: "t2", message: "expected 4 bytes for Int32, got 5"))
    }

    // MARK: - JSON

    struct Order: Codable, Equatable {
        var id: Int
        var customer: String
        var amount: Double
        var tags: [String]
        var note: String?
    }

    @Test func jsonRoundTrips() throws {
        let serializer = JSONSerializer<Order>()
        let order = Order(id: 42, customer: "Zoë", amount: 12.5, tags: ["a", "b"], note: nil)
        let buffer = try serializer.serialize(order, topic: Self.topic)
        #expect(try serializer.deserialize(buffer, topic: Self.topic) == order)
        let withNote = Order(id: -1, customer: "", amount: 0, tags: [], note: "rush")
        #expect(
            try serializer.deserialize(serializer.serialize(withNote, topic: Self.topic), topic: Self.topic) == withNote
        )
    }

    @Test func jsonBytesAreTheExpectedObject() throws {
        let order = Order(id: 42, customer: "Zoë", amount: 12.5, tags: ["a", "b"], note: nil)
        let buffer = try JSONSerializer(Order.self).serialize(order, topic: Self.topic)
        let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))
        let dictionary = try #require(object as? [String: Any])
        #expect(Set(dictionary.keys) == ["id", "customer", "amount", "tags"])
        #expect(dictionary["id"] as? Int == 42)
        #expect(dictionary["customer"] as? String == "Zoë")
        #expect(dictionary["amount"] as? Double == 12.5)
        #expect(dictionary["tags"] as? [String] == ["a", "b"])
    }

    @Test func jsonUsesTheGivenEncoderAndDecoder() throws {
        struct Event: Codable, Equatable {
            var eventName: String
            var at: Date
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = .sortedKeys
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .secondsSince1970
        let serializer = JSONSerializer<Event>(encoder: encoder, decoder: decoder)
        let event = Event(eventName: "paid", at: Date(timeIntervalSince1970: 1_700_000_000))
        let buffer = try serializer.serialize(event, topic: Self.topic)
        #expect(String(buffer: buffer) == #"{"at":1700000000,"event_name":"paid"}"#)
        #expect(try serializer.deserialize(buffer, topic: Self.topic) == event)
    }

    @Test func jsonDecodingErrorsNameTheTopic() throws {
        let serializer = JSONSerializer<Order>()
        for invalid in [#"{"id": 1}"#, "not json", ""] {
            let error = try #require(throws: KafkaSerializationError.self) {
                try serializer.deserialize(ByteBuffer(string: invalid), topic: "json-topic")
            }
            #expect(error.topic == "json-topic")
            #expect(error.message.hasPrefix("could not decode Order from JSON"))
            #expect(error.description.contains("json-topic"))
        }
    }

    @Test func jsonEncodingErrorsNameTheTopic() throws {
        // Default `JSONEncoder` refuses non-finite floating-point values.
        let serializer = JSONSerializer<Order>()
        let order = Order(id: 1, customer: "x", amount: .infinity, tags: [], note: nil)
        let error = try #require(throws: KafkaSerializationError.self) {
            try serializer.serialize(order, topic: Self.topic)
        }
        #expect(error.topic == Self.topic)
        #expect(error.message.hasPrefix("could not encode Order as JSON"))
    }

    // MARK: - Protocols

    @Test func serializersWorkThroughTheProtocols() throws {
        func encode<S: KafkaSerializer>(_ value: S.Value, with serializer: S) throws -> [UInt8] {
            Array(try serializer.serialize(value, topic: Self.topic).readableBytesView)
        }
        func decode<D: KafkaDeserializer>(_ bytes: [UInt8], with deserializer: D) throws -> D.Value {
            try deserializer.deserialize(ByteBuffer(bytes: bytes), topic: Self.topic)
        }
        let key: any KafkaSerializer<String> = StringSerializer()
        #expect(try encode("k", with: key) == [0x6B])
        let value: any KafkaDeserializer<Int32> = IntegerSerializer<Int32>()
        #expect(try decode([0, 0, 1, 2], with: value) == 258)
        #expect(try decode([0, 0, 0, 1, 0, 0, 0, 2], with: IntegerSerializer<Int64>()) == 4_294_967_298)
    }
}
