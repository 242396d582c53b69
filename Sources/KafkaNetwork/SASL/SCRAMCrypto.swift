import Crypto

/// The SCRAM key derivations of RFC 5802 section 3, generic over the hash function.
///
/// `SHA256` and `SHA512` back the public mechanisms; `Insecure.SHA1` is only used to check the RFC 5802
/// test vector.
enum SCRAMCrypto<H: HashFunction> {
    /// The proof the client sends and the server signature it must then receive.
    struct Proof: Sendable {
        var clientProof: [UInt8]
        var serverSignature: [UInt8]
    }

    static func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        Array(HMAC<H>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    static func hash(_ data: [UInt8]) -> [UInt8] {
        Array(H.hash(data: data))
    }

    /// `Hi(str, salt, i)`: PBKDF2 with HMAC-H as the pseudo-random function and one output block.
    ///
    /// The keyed HMAC state is computed once and copied for each iteration; every `U_i` is XORed into
    /// one fixed result buffer. `iterations` must be at least 1 (callers validate the server's value).
    static func hi(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let keyed = HMAC<H>(key: SymmetricKey(data: password))
        var first = keyed
        first.update(data: salt)
        first.update(data: [0, 0, 0, 1])  // INT(1): the first (and only) block
        var previous = Array(first.finalize())
        var result = previous
        var remaining = iterations - 1
        while remaining > 0 {
            var mac = keyed
            mac.update(data: previous)
            let code = mac.finalize()
            code.withUnsafeBytes { bytes in
                for index in 0..<min(bytes.count, result.count) {
                    previous[index] = bytes[index]
                    result[index] ^= bytes[index]
                }
            }
            remaining -= 1
        }
        return result
    }

    /// ClientProof and ServerSignature for one exchange, from the salted password and the AuthMessage.
    static func proof(saltedPassword: [UInt8], authMessage: [UInt8]) -> Proof {
        let clientKey = hmac(key: saltedPassword, Array("Client Key".utf8))
        let storedKey = hash(clientKey)
        let clientSignature = hmac(key: storedKey, authMessage)
        let serverKey = hmac(key: saltedPassword, Array("Server Key".utf8))
        let serverSignature = hmac(key: serverKey, authMessage)
        return Proof(clientProof: xor(clientKey, clientSignature), serverSignature: serverSignature)
    }

    static func xor(_ lhs: [UInt8], _ rhs: [UInt8]) -> [UInt8] {
        zip(lhs, rhs).map { $0 ^ $1 }
    }

    /// Compares without an early exit, so the time taken does not reveal where the first difference is.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<lhs.count {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}
