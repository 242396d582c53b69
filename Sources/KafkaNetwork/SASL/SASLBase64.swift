#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Standard base64 (RFC 4648 section 4, with `=` padding) for the SCRAM attributes `s=`, `p=`, `v=` and `c=`,
/// done by Foundation.
///
/// Decoding accepts canonical base64 only: text that Foundation decodes and that encodes back to itself (the
/// standard alphabet, a length that is a multiple of four, padding only at the end, zero unused bits). Anything
/// else yields `nil`, never a crash.
enum SASLBase64 {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let text = String(text)
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        return Array(data)
    }
}
