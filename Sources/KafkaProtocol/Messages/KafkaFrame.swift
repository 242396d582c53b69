public import NIOCore

/// Encoding and decoding of whole request and response frames: the `int32` size prefix, the header
/// at the version the API and its version call for, and the message body.
public enum KafkaFrame {
    /// Encodes `request` at `version` as a complete frame (size prefix, request header, body).
    public static func encodeRequest<R: KafkaRequest>(
        _ request: R, version: Int16, correlationID: Int32, clientID: String?, into buffer: inout ByteBuffer
    ) throws {
        let sizeIndex = try beginRequest(
            R.self, version: version, correlationID: correlationID, clientID: clientID, into: &buffer)
        try request.encode(into: &buffer, version: version)
        try endRequest(sizeIndex: sizeIndex, size: buffer.writerIndex - sizeIndex - 4, in: &buffer)
    }

    /// Checks the version and writes a placeholder size prefix and the request header; returns where the size goes.
    static func beginRequest<R: KafkaRequest>(
        _: R.Type, version: Int16, correlationID: Int32, clientID: String?, into buffer: inout ByteBuffer
    ) throws -> Int {
        guard R.validVersions.contains(version) else {
            throw KafkaProtocolError(
                .unsupportedVersion, "\(R.messageName) has no version \(version) (valid \(R.validVersions))")
        }
        let sizeIndex = buffer.writerIndex
        buffer.writeKafkaInt32(0)
        let header = RequestHeader(
            requestApiKey: R.apiKey.rawValue, requestApiVersion: version, correlationId: correlationID,
            clientId: clientID)
        try header.encode(into: &buffer, version: R.requestHeaderVersion(for: version))
        return sizeIndex
    }

    /// Sets the size prefix at `sizeIndex` to `size` (the frame's bytes after the prefix).
    static func endRequest(sizeIndex: Int, size: Int, in buffer: inout ByteBuffer) throws {
        guard size <= Int(Int32.max) else {
            throw KafkaProtocolError(.invalidLength, "request of \(size) bytes is too large")
        }
        buffer.setInteger(Int32(size), at: sizeIndex, endianness: .big)
    }

    /// Decodes the header of a request frame body (without the size prefix), leaving `frame` at the
    /// start of the request body. Used by servers and test peers.
    public static func decodeRequestHeader(_ frame: inout ByteBuffer) throws -> RequestHeader {
        var peek = frame
        let apiKey = KafkaAPIKey(rawValue: try peek.readKafkaInt16())
        let version = try peek.readKafkaInt16()
        var headerVersion: Int16 = 1
        if let type = KafkaMessageRegistry.requestType(for: apiKey), type.isFlexible(version) {
            headerVersion = 2
        }
        return try RequestHeader(from: &frame, version: headerVersion)
    }

    /// Decodes a response frame body (without the size prefix) to `R.Response`, checking the
    /// correlation id when one is given.
    public static func decodeResponse<R: KafkaRequest>(
        to _: R.Type, version: Int16, frame: ByteBuffer, expectedCorrelationID: Int32? = nil
    ) throws -> (correlationID: Int32, response: R.Response) {
        var buffer = frame
        let header = try ResponseHeader(from: &buffer, version: R.responseHeaderVersion(for: version))
        if let expectedCorrelationID, expectedCorrelationID != header.correlationId {
            throw KafkaProtocolError(
                .invalidValue,
                "correlation id \(header.correlationId) does not match the expected \(expectedCorrelationID)",
                context: ["\(R.Response.messageName) v\(version)"])
        }
        let response = try R.Response.decode(from: buffer, version: version)
        return (header.correlationId, response)
    }
}
