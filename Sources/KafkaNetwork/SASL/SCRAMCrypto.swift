import Crypto
import _CryptoExtras

/// A hash function SCRAM can use: one swift-crypto's PBKDF2 also offers.
protocol SCRAMHashFunction: HashFunction {
    /// The same function as PBKDF2 names it.
    static var pbkdf2HashFunction: KDF.Insecure.PBKDF2.HashFunction { get }
}

extension SHA256: SCRAMHashFunction {
    static var pbkdf2HashFunction: KDF.Insecure.PBKDF2.HashFunction { .sha256 }
}

extension SHA512: SCRAMHashFunction {
    static var pbkdf2HashFunction: KDF.Insecure.PBKDF2.HashFunction { .sha512 }
}

extension Insecure.SHA1: SCRAMHashFunction {
    static var pbkdf2HashFunction: KDF.Insecure.PBKDF2.HashFunction { .insecureSHA1 }
}

/// The SCRAM key derivations of RFC 5802 section 3, generic over the hash function.
///
/// `SHA256` and `SHA512` back the public mechanisms; `Insecure.SHA1` is only used to check the RFC 5802
/// test vector.
enum SCRAMCrypto<H: SCRAMHashFunction> {
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

    /// `Hi(str, salt, i)`: PBKDF2 with HMAC-H as the pseudo-random function and one output block (the
    /// digest's length), by swift-crypto. `iterations` must be at least 1 (callers validate the server's
    /// value).
    static func hi(password: [UInt8], salt: [UInt8], iterations: Int) throws -> [UInt8] {
        // The iteration count is the server's (Kafka's minimum is 4096), not ours to raise to
        // swift-crypto's 210,000 floor for new password hashes.
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: password, salt: salt, using: H.pbkdf2HashFunction, outputByteCount: H.Digest.byteCount,
            unsafeUncheckedRounds: iterations)
        return key.withUnsafeBytes { Array($0) }
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

/// The salted passwords Kafka stores for SCRAM users, for admin requests that create or replace a user's
/// credential (AlterUserScramCredentials carries the salt, the iteration count and `Hi(password, salt, i)`, never
/// the password).
package enum SCRAMSaltedPassword {
    /// `Hi(password, salt, iterations)` for SCRAM-SHA-256 or SCRAM-SHA-512 (PBKDF2 with HMAC-SHA-256 or
    /// HMAC-SHA-512, one output block), as the SCRAM client computes it when it authenticates.
    ///
    /// - Throws: for a mechanism that is not SCRAM, or an iteration count below 1.
    package static func compute(
        mechanism: SASLMechanism, password: [UInt8], salt: [UInt8], iterations: Int
    ) throws -> [UInt8] {
        guard iterations >= 1 else { throw SCRAMSaltError("the iteration count must be at least 1") }
        switch mechanism {
        case .scramSHA256: return try SCRAMCrypto<SHA256>.hi(password: password, salt: salt, iterations: iterations)
        case .scramSHA512: return try SCRAMCrypto<SHA512>.hi(password: password, salt: salt, iterations: iterations)
        case .plain, .oauthBearer: throw SCRAMSaltError("\(mechanism.rawValue) is not a SCRAM mechanism")
        }
    }

    /// A new random salt of 32 bytes from the system's secure generator.
    package static func randomSalt() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// Why a salted password could not be computed.
package struct SCRAMSaltError: Error, CustomStringConvertible, Sendable {
    /// The reason.
    package var description: String

    init(_ description: String) { self.description = description }
}
