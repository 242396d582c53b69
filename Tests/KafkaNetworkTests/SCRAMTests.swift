import Crypto
import KafkaDevCluster
import KafkaTestSupport
import Testing

@testable import KafkaNetwork

/// SCRAM client (and test server) checks: published test vectors, then exchanges against `SCRAMServer`
/// and hostile server messages (in SCRAMExchangeTests.swift and SCRAMServerTests.swift).
@Suite(.timeLimit(.minutes(5))) struct SCRAMTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func text(_ step: SASLClient.Step) -> String? {
        guard case .send(let bytes) = step else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    // RFC 5802 section 5 (SCRAM-SHA-1), checked through the generic core.
    @Test func rfc5802SHA1Example() throws {
        var exchange = SCRAMClientExchange<Insecure.SHA1>(
            mechanismName: "SCRAM-SHA-1", username: "user", password: "pencil", clientNonce: "fyko+d2lbbFgONRv9qkxdawL")
        #expect(try exchange.start() == Self.bytes("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"))
        let clientFinal = try exchange.receive(
            Self.bytes("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"))
        #expect(
            Self.text(clientFinal)
                == "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
        #expect(try exchange.receive(Self.bytes("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")) == .done)
    }

    // RFC 7677 section 3 (SCRAM-SHA-256), through the public client.
    @Test func rfc7677SHA256Example() throws {
        var client = SASLClient(
            credentials: SASLCredentials(mechanism: .scramSHA256, username: "user", password: "pencil"),
            nonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(client.mechanism == .scramSHA256)
        #expect(try client.start() == Self.bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
        let clientFinal = try client.receive(
            Self.bytes("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
        #expect(
            Self.text(clientFinal)
                == "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        #expect(try client.receive(Self.bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")) == .done)
    }

    // SCRAM-SHA-512 has no RFC example. These strings were computed with Python 3's hashlib/hmac:
    //   salt = b"kafka-scram-sha512-salt!"; sp = hashlib.pbkdf2_hmac("sha512", b"pencil", salt, 4096)
    //   ck = hmac.new(sp, b"Client Key", "sha512").digest(); sk = hashlib.sha512(ck).digest()
    //   am = (client-first-bare + "," + server-first + "," + "c=biws,r=" + nonce).encode()
    //   proof = ck XOR hmac.new(sk, am, "sha512").digest()
    //   v = hmac.new(hmac.new(sp, b"Server Key", "sha512").digest(), am, "sha512").digest()
    // with client nonce "fyko+d2lbbFgONRv9qkxdawL" and server nonce suffix "3rfcNHYJY1ZVvWVs7j512".
    static let sha512ServerFirst =
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j512,s=a2Fma2Etc2NyYW0tc2hhNTEyLXNhbHQh,i=4096"
    static let sha512ClientFinal =
        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j512,"
        + "p=cPczZnvh9lnBlm2MSx8MmXxVgbVMV+lhG104JuioR4WXIRqfjE+hx2ZvOBTAkzjn9pBARnow0vC+SlY+kwPQFQ=="
    static let sha512ServerFinal =
        "v=Zvz4hReO4L7k9iPeNvw4TJKwidUk6IASfWfu6F4dFEYtg7zrOf1lPZD/xt8Lqe+6t3LCjQPbGSgGj3Tra8vMgg=="

    @Test func sha512ExampleComputedWithPython() throws {
        var client = SASLClient(
            credentials: SASLCredentials(mechanism: .scramSHA512, username: "user", password: "pencil"),
            nonce: "fyko+d2lbbFgONRv9qkxdawL")
        #expect(try client.start() == Self.bytes("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"))
        #expect(Self.text(try client.receive(Self.bytes(Self.sha512ServerFirst))) == Self.sha512ClientFinal)
        #expect(try client.receive(Self.bytes(Self.sha512ServerFinal)) == .done)
    }

    // The test server reproduces the same vectors from the server side.
    @Test func serverReproducesTheSHA256AndSHA512Examples() throws {
        let salt: [UInt8] = try #require(SASLBase64.decode("W22ZaJ0SNY7soEsUEjb6gQ=="))
        var sha256 = SCRAMServer(
            hash: .sha256, users: ["user": "pencil"], salt: salt,
            serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
        #expect(
            try sha256.receive(Self.bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
                == Self.bytes("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
        #expect(!sha256.isComplete)
        let sha256Final = try sha256.receive(
            Self.bytes(
                "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                    + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))
        #expect(sha256Final == Self.bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
        #expect(sha256.isComplete)
        #expect(sha256.authenticatedUser == "user")

        var sha512 = SCRAMServer(
            hash: .sha512, users: ["user": "pencil"], salt: Self.bytes("kafka-scram-sha512-salt!"),
            serverNonce: "3rfcNHYJY1ZVvWVs7j512")
        #expect(
            try sha512.receive(Self.bytes("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL")) == Self.bytes(Self.sha512ServerFirst)
        )
        #expect(try sha512.receive(Self.bytes(Self.sha512ClientFinal)) == Self.bytes(Self.sha512ServerFinal))
        #expect(sha512.authenticatedUser == "user")
    }

    // Hi is PBKDF2 with one block: RFC 6070's PBKDF2-HMAC-SHA1 vectors.
    @Test(arguments: [
        (1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"), (2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
        (4096, "4b007901b765489abead49d926f721d065a429c1"),
    ])
    func hiMatchesRFC6070(iterations: Int, expectedHex: String) throws {
        let derived = try SCRAMCrypto<Insecure.SHA1>.hi(
            password: Self.bytes("password"), salt: Self.bytes("salt"), iterations: iterations)
        let hex = derived.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
        #expect(hex == expectedHex)
    }

    // RFC 4648 section 10.
    @Test func base64MatchesRFC4648() {
        let vectors = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            #expect(SASLBase64.encode(Self.bytes(plain)) == encoded)
            #expect(SASLBase64.decode(encoded) == Self.bytes(plain))
        }
        #expect(SASLBase64.encode([0xFB, 0xFF]) == "+/8=")
        #expect(SASLBase64.decode("+/8=") == [0xFB, 0xFF])
    }

    // Only canonical base64 decodes: also `Zh==`, which would be "f" with its unused bits ignored, is refused.
    @Test(arguments: ["Zg", "Zg=", "Z===", "====", "Zm9v=Zm9", "Zm 9", "Zm9v\n", "Zm-_", "Zg==Zg==", "é123", "Zh=="])
    func base64RejectsMalformedInput(_ input: String) {
        #expect(SASLBase64.decode(input) == nil)
    }

    @Test func saslNameEscapesEqualsAndComma() {
        #expect(SCRAMMessage.saslName("a=b,c") == "a=3Db=2Cc")
        #expect(SCRAMMessage.saslName("==,,") == "=3D=3D=2C=2C")
        #expect(SCRAMMessage.saslName("plain-ü") == "plain-ü")
    }
}
