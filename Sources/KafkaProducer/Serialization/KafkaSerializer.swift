public import NIOCore

#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

// MARK: - Protocols

/// Converts a record key or value into the bytes sent to Kafka, as the Java client's `Serializer`.
///
/// A Kafka record's key and value may be absent (null). That is expressed by the caller passing an `Optional`
/// to the producer: a serializer is only called for values that are present, and never sees `nil`.
///
/// Serializers must be `Sendable`, because the producer may call them from any task.
public protocol KafkaSerializer<Value>: Sendable {
    /// The type this serializer accepts.
    associatedtype Value

    /// Serializes `value` for a record sent to `topic`.
    ///
    /// - Parameters:
    ///   - value: The key or value to serialize.
    ///   - topic: The topic the record is sent to, for serializers whose format depends on it and for errors.
    /// - Returns: The serialized bytes (the buffer's readable bytes).
    /// - Throws: An error, typically ``KafkaSerializationError``, when `value` cannot be serialized.
    func serialize(_ value: Value, topic: String) throws -> ByteBuffer
}

/// Converts the bytes of a record key or value received from Kafka back into a value, as the Java client's
/// `Deserializer`.
///
/// A deserializer is only called for keys and values that are present; an absent (null) key or value is
/// delivered as `nil` without calling it.
public protocol KafkaDeserializer<Value>: Sendable {
    /// The type this deserializer produces.
    associatedtype Value

    /// Deserializes the readable bytes of `bytes`, read from a record of `topic`.
    ///
    /// - Parameters:
    ///   - bytes: The serialized key or value; its readable bytes are the whole of it.
    ///   - topic: The topic the record was read from, for deserializers whose format depends on it and for errors.
    /// - Returns: The deserialized value.
    /// - Throws: An error, typically ``KafkaSerializationError``, when the bytes are not a valid encoding.
    func deserialize(_ bytes: ByteBuffer, topic: String) throws -> Value
}

// MARK: - Error

/// A key or value that could not be serialized or deserialized.
public struct KafkaSerializationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The topic of the record whose key or value could not be converted.
    public var topic: String
    /// What went wrong, for example "value is not valid UTF-8" or "expected 8 bytes for Int64, got 3".
    public var message: String

    /// Creates an error for a record of `topic`.
    ///
    /// - Parameters:
    ///   - topic: The topic of the record whose key or value could not be converted.
    ///   - message: What went wrong.
    public init(topic: String, message: String) {
        self.topic = topic
        self.message = message
    }

    /// A description naming the topic and the problem.
    public var description: String {
        "KafkaSerializationError(topic: \"\(topic)\"): \(message)"
    }
}

// MARK: - String

/// Serializes strings as their UTF-8 bytes, as the Java client's `StringSerializer` with its default encoding.
///
/// Deserializing bytes that are not valid UTF-8 throws ``KafkaSerializationError`` (where the Java client would
/// substitute replacement characters).
public struct StringSerializer: KafkaSerializer, KafkaDeserializer {
    /// The serialized type, `String`.
    public typealias Value = String

    /// Creates a UTF-8 string serializer.
    public init() {}

    /// Returns the UTF-8 bytes of `value`.
    ///
    /// - Parameters:
    ///   - value: The string to serialize.
    ///   - topic: The record's topic (unused).
    /// - Returns: A buffer holding the UTF-8 encoding of `value`.
    public func serialize(_ value: String, topic: String) throws -> ByteBuffer {
        ByteBuffer(string: value)
    }

    /// Decodes the readable bytes of `bytes` as UTF-8.
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 bytes.
    ///   - topic: The record's topic, named in the error.
    /// - Returns: The decoded string.
    /// - Throws: ``KafkaSerializationError`` when the bytes are not valid UTF-8.
    public func deserialize(_ bytes: ByteBuffer, topic: String) throws -> String {
        let view = bytes.readableBytesView
        // `transcode` returns `true` when it met invalid input and stopped.
        let invalid = transcode(
            view.makeIterator(), from: UTF8.self, to: UTF8.self, stoppingOnError: true, into: { _ in })
        if invalid {
            throw KafkaSerializationError(topic: topic, message: "value is not valid UTF-8")
        }
        return String(decoding: view, as: UTF8.self)
    }
}

// MARK: - Bytes

/// Passes byte arrays through unchanged, as the Java client's `ByteArraySerializer`.
public struct BytesSerializer: KafkaSerializer, KafkaDeserializer {
    /// The serialized type, `[UInt8]`.
    public typealias Value = [UInt8]

    /// Creates a byte array serializer.
    public init() {}

    /// Returns `value`'s bytes in a buffer.
    ///
    /// - Parameters:
    ///   - value: The bytes.
    ///   - topic: The record's topic (unused).
    /// - Returns: A buffer holding exactly `value`.
    public func serialize(_ value: [UInt8], topic: String) throws -> ByteBuffer {
        ByteBuffer(bytes: value)
    }

    /// Returns the readable bytes of `bytes` as an array.
    ///
    /// - Parameters:
    ///   - bytes: The bytes.
    ///   - topic: The record's topic (unused).
    /// - Returns: The readable bytes of `bytes`.
    public func deserialize(_ bytes: ByteBuffer, topic: String) throws -> [UInt8] {
        Array(bytes.readableBytesView)
    }
}

/// Passes `ByteBuffer`s through unchanged, as the Java client's `ByteBufferSerializer`.
public struct ByteBufferSerializer: KafkaSerializer, KafkaDeserializer {
    /// The serialized type, `ByteBuffer`.
    public typealias Value = ByteBuffer

    /// Creates an identity serializer.
    public init() {}

    /// Returns `value` unchanged; its readable bytes are the serialized form.
    ///
    /// - Parameters:
    ///   - value: The buffer.
    ///   - topic: The record's topic (unused).
    /// - Returns: `value`.
    public func serialize(_ value: ByteBuffer, topic: String) throws -> ByteBuffer {
        value
    }

    /// Returns `bytes` unchanged.
    ///
    /// - Parameters:
    ///   - bytes: The buffer.
    ///   - topic: The record's topic (unused).
    /// - Returns: `bytes`.
    public func deserialize(_ bytes: ByteBuffer, topic: String) throws -> ByteBuffer {
        bytes
    }
}

// MARK: - Integers

/// Serializes fixed-width integers in big-endian byte order (two's complement for signed types), as the Java
/// client's `ShortSerializer` (`Int16`), `IntegerSerializer` (`Int32`) and `LongSerializer` (`Int64`).
///
/// Deserializing a buffer whose length is not exactly the integer's width throws ``KafkaSerializationError``.
public struct IntegerSerializer<T: FixedWidthInteger>: KafkaSerializer, KafkaDeserializer {
    /// The serialized type, the integer type `T`.
    public typealias Value = T

    /// Creates a big-endian serializer for `T`.
    public init() {}

    /// Creates a big-endian serializer for the given integer type.
    ///
    /// - Parameter type: The integer type, for example `Int64.self`.
    public init(_ type: T.Type) {}

    /// Returns the big-endian bytes of `value`, `MemoryLayout<T>.size` of them.
    ///
    /// - Parameters:
    ///   - value: The integer.
    ///   - topic: The record's topic (unused).
    /// - Returns: A buffer holding `value` in big-endian byte order.
    public func serialize(_ value: T, topic: String) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(MemoryLayout<T>.size)
        buffer.writeInteger(value, endianness: .big, as: T.self)
        return buffer
    }

    /// Reads a big-endian `T` from `bytes`, which must hold exactly `MemoryLayout<T>.size` readable bytes.
    ///
    /// - Parameters:
    ///   - bytes: The big-endian bytes.
    ///   - topic: The record's topic, named in the error.
    /// - Returns: The integer.
    /// - Throws: ``KafkaSerializationError`` when the buffer's length is not the integer's width.
    public func deserialize(_ bytes: ByteBuffer, topic: String) throws -> T {
        let width = MemoryLayout<T>.size
        guard bytes.readableBytes == width,
            let value = bytes.getInteger(at: bytes.readerIndex, endianness: .big, as: T.self)
        else {
            throw KafkaSerializationError(
                topic: topic, message: "expected \(width) bytes for \(T.self), got \(bytes.readableBytes)")
        }
        return value
    }
}

// MARK: - JSON

/// Serializes `Codable` values as JSON with Foundation's `JSONEncoder` and `JSONDecoder`.
///
/// Encoding and decoding failures are reported as ``KafkaSerializationError`` naming the topic, with the
/// underlying error's description in the message.
public struct JSONSerializer<T: Codable>: KafkaSerializer, KafkaDeserializer {
    /// The serialized type, `T`.
    public typealias Value = T

    /// The encoder used by ``serialize(_:topic:)``.
    ///
    /// Configure it before passing it to ``init(encoder:decoder:)``; do not mutate it afterwards, since the
    /// serializer may be used from several tasks at once.
    public let encoder: JSONEncoder
    /// The decoder used by ``deserialize(_:topic:)``.
    ///
    /// Configure it before passing it to ``init(encoder:decoder:)``; do not mutate it afterwards.
    public let decoder: JSONDecoder

    /// Creates a JSON serializer.
    ///
    /// - Parameters:
    ///   - encoder: The encoder for ``serialize(_:topic:)``; a default `JSONEncoder()` unless given.
    ///   - decoder: The decoder for ``deserialize(_:topic:)``; a default `JSONDecoder()` unless given.
    public init(encoder: JSONEncoder = JSONEncoder(), decoder: JSONDecoder = JSONDecoder()) {
        self.encoder = encoder
        self.decoder = decoder
    }

    /// Creates a JSON serializer for the given type with default encoder and decoder.
    ///
    /// - Parameter type: The `Codable` type, for example `Order.self`.
    public init(_ type: T.Type) {
        self.init()
    }

    /// Encodes `value` as JSON.
    ///
    /// - Parameters:
    ///   - value: The value to encode.
    ///   - topic: The record's topic, named in the error.
    /// - Returns: A buffer holding the JSON text (UTF-8).
    /// - Throws: ``KafkaSerializationError`` when the encoder fails.
    public func serialize(_ value: T, topic: String) throws -> ByteBuffer {
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw KafkaSerializationError(topic: topic, message: "could not encode \(T.self) as JSON: \(error)")
        }
        return ByteBuffer(bytes: data)
    }

    /// Decodes a `T` from the JSON in the readable bytes of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: The JSON text (UTF-8).
    ///   - topic: The record's topic, named in the error.
    /// - Returns: The decoded value.
    /// - Throws: ``KafkaSerializationError`` when the bytes are not JSON for a `T`.
    public func deserialize(_ bytes: ByteBuffer, topic: String) throws -> T {
        do {
            return try decoder.decode(T.self, from: Data(bytes.readableBytesView))
        } catch {
            throw KafkaSerializationError(topic: topic, message: "could not decode \(T.self) from JSON: \(error)")
        }
    }
}
