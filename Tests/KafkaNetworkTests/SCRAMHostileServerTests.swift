import KafkaTestSupport
import Testing

@testable import KafkaNetwork

/// Malformed or hostile server messages: always a `SASLError` with a clear reason, never a crash.
extension SCRAMTests {
    static let validServerFirst = "r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,i=4096"

    /// Feeds `serverFirst` to a fresh client that has sent client-first; returns the error.
    static func serverFirstError(_ serverFirst: [UInt8]) throws -> SASLError {
        var client = try startedClient()
        return try #require(throws: SASLError.self) { try client.receive(serverFirst) }
    }

    @Test(arguments: [
        ("", "malformed server-first message: expected comma-separated key=value attributes"),
        ("garbage", "malformed server-first message: expected comma-separated key=value attributes"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92", "expected r=, s= and i=, got 2 attributes"),
        ("r=\(clientNonce)SRV,,s=QSXCR+Q6sek8bf92,i=4096", "expected comma-separated key=value attributes"),
        ("s=QSXCR+Q6sek8bf92,r=\(clientNonce)SRV,i=4096", "missing the nonce (r=)"),
        ("r=\(clientNonce)SRV,i=4096,s=QSXCR+Q6sek8bf92", "missing the salt (s=)"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,x=4096", "missing the iteration count (i=)"),
        ("r=\(clientNonce)SRV,s=not*base64,i=4096", "the salt is not valid non-empty base64"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf9,i=4096", "the salt is not valid non-empty base64"),
        ("r=\(clientNonce)SRV,s=,i=4096", "the salt is not valid non-empty base64"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,i=", "the iteration count is not a number"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,i=abc", "the iteration count is not a number"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,i=-4096", "the iteration count is not a number"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,i=+4096", "the iteration count is not a number"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,i=99999999999999999999", "the iteration count is not a number"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,i=0", "fewer than the minimum 4096"),
        ("r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,i=100000001", "more than the maximum 100000000"),
        ("r=otherNonceSRV,s=QSXCR+Q6sek8bf92,i=4096", "the server nonce does not extend the client nonce"),
        ("r=\(clientNonce),s=QSXCR+Q6sek8bf92,i=4096", "the server nonce does not extend the client nonce"),
        ("r=SRV\(clientNonce),s=QSXCR+Q6sek8bf92,i=4096", "the server nonce does not extend the client nonce"),
        ("r=\(clientNonce)S V,s=QSXCR+Q6sek8bf92,i=4096", "the nonce has characters outside printable ASCII"),
        ("r=\(clientNonce)Sé,s=QSXCR+Q6sek8bf92,i=4096", "the nonce has characters outside printable ASCII"),
        ("e=other-error", "server error: other-error"),
        ("m=must-understand,r=\(clientNonce)SRV,s=QSXCR+Q6sek8bf92,i=4096", "unsupported mandatory extension (m=)"),
    ])
    func malformedServerFirstIsRejected(serverFirst: String, reason: String) throws {
        let error = try Self.serverFirstError(Self.bytes(serverFirst))
        #expect(error.message.hasPrefix("SCRAM-SHA-256 authentication failed: "))
        #expect(error.message.contains(reason), "\(error.message)")
    }

    @Test func invalidUTF8IsRejected() throws {
        let error = try Self.serverFirstError(
            Self.bytes("r=\(Self.clientNonce)") + [0xFF, 0xFE] + Self.bytes(",s=QQ==,i=4096"))
        #expect(error.message == "SCRAM-SHA-256 authentication failed: malformed server-first message: not valid UTF-8")
    }

    @Test func serverErrorTextIsSanitisedAndBounded() throws {
        let error = try Self.serverFirstError(Self.bytes("e=bad\nline" + String(repeating: "x", count: 500)))
        #expect(!error.message.contains("\n"))
        #expect(error.message.contains("server error: bad?line"))
        #expect(error.message.count < 300)
    }

    @Test func extensionsAfterTheIterationCountAreIgnored() throws {
        var client = try Self.startedClient()
        let step = try client.receive(Self.bytes(Self.validServerFirst + ",x=extension,y="))
        #expect(Self.text(step)?.hasPrefix("c=biws,r=\(Self.clientNonce)SRV,p=") == true)
    }

    @Test func everyTruncationOfAValidServerFirstIsRejected() throws {
        let valid = Self.bytes(Self.validServerFirst)
        for length in 0..<valid.count {
            var client = try Self.startedClient()
            #expect(throws: SASLError.self, "prefix of \(length) bytes") {
                try client.receive(Array(valid.prefix(length)))
            }
        }
    }

    @Test func randomBytesAreRejectedAsServerFirstAndServerFinal() throws {
        var generator = SCRAMNoise(seed: 0x5EED_5A51)
        for round in 0..<300 {
            let length = Int(generator.next() % 96)
            let noise = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Half of the rounds look like attributes, to get past the first checks.
            let message = round.isMultiple(of: 2) ? noise : Self.bytes("r=\(Self.clientNonce)") + noise
            var client = try Self.startedClient(round.isMultiple(of: 3) ? .scramSHA512 : .scramSHA256)
            #expect(throws: SASLError.self) { try client.receive(message) }

            var waitingForFinal = try Self.startedClient()
            _ = try waitingForFinal.receive(Self.bytes(Self.validServerFirst))
            #expect(throws: SASLError.self) { try waitingForFinal.receive(Self.bytes("v=") + noise) }
        }
    }

    @Test(arguments: [
        ("e=invalid-proof", "server error: invalid-proof"),
        ("e=other-error,x=y", "server error: other-error"),
        ("", "malformed server-final message: expected comma-separated key=value attributes"),
        ("v=", "server signature does not match"),
        ("v=not base64", "malformed server-final message: the server signature is not valid base64"),
        ("v=AAAA", "server signature does not match"),
        ("x=AAAA", "malformed server-final message: expected v= or e="),
        ("v", "malformed server-final message: expected comma-separated key=value attributes"),
    ])
    func malformedServerFinalIsRejected(serverFinal: String, reason: String) throws {
        var client = try Self.startedClient()
        _ = try client.receive(Self.bytes(Self.validServerFirst))
        let error = try #require(throws: SASLError.self) { try client.receive(Self.bytes(serverFinal)) }
        #expect(error.message == "SCRAM-SHA-256 authentication failed: \(reason)")
    }

    @Test func callsInTheWrongStateAreErrors() throws {
        var client = Self.client(.scramSHA512)
        let early = try #require(throws: SASLError.self) { try client.receive(Self.bytes(Self.validServerFirst)) }
        #expect(early.message == "SCRAM-SHA-512: received a server message before the exchange started")
        _ = try client.start()
        let twice = try #require(throws: SASLError.self) { try client.start() }
        #expect(twice.message == "SCRAM-SHA-512: start() called twice")
        // A failed exchange stays failed.
        _ = try? client.receive(Self.bytes("e=nope"))
        let afterFailure = try #require(throws: SASLError.self) {
            try client.receive(Self.bytes(Self.validServerFirst))
        }
        #expect(afterFailure.message == "SCRAM-SHA-512: received a server message after the exchange failed")
    }

    @Test(arguments: [("", "the username is empty"), ("us\0er", "the username contains a NUL character")])
    func unusableUsernamesAreRejected(username: String, reason: String) {
        var client = Self.client(username: username)
        let error = #expect(throws: SASLError.self) { try client.start() }
        #expect(error?.message == "SCRAM-SHA-256 authentication failed: \(reason)")
    }
}

/// A seeded generator, so failures reproduce.
typealias SCRAMNoise = SplitMix64
