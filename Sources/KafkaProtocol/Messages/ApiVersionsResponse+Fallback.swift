public import NIOCore

extension ApiVersionsResponse {
    /// Decodes the answer to an ApiVersions request sent at `version`, tolerating the answer of a
    /// broker that does not support that version.
    ///
    /// Such a broker answers UNSUPPORTED_VERSION in the v0 layout (KIP-511) — and some peers
    /// (librdkafka's mock cluster) in a layout of their own. Like the Java client, this tries
    /// `version`, then v0; when neither parses but the body starts with the UNSUPPORTED_VERSION
    /// error code, it returns a response carrying only that code, so the caller can retry with v0.
    public static func decodeAllowingFallback(from bytes: ByteBuffer, version: Int16) throws -> ApiVersionsResponse {
        do {
            return try decode(from: bytes, version: version)
        } catch {
            if version != 0, let v0 = try? decode(from: bytes, version: 0) { return v0 }
            if bytes.getInteger(at: bytes.readerIndex, endianness: .big, as: Int16.self)
                == KafkaErrorCode.unsupportedVersion.rawValue
            {
                return ApiVersionsResponse(errorCode: KafkaErrorCode.unsupportedVersion.rawValue)
            }
            throw error
        }
    }
}
