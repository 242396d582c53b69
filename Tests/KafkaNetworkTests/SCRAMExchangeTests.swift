import KafkaDevCluster
import KafkaTestSupport
import Testing

@testable import KafkaNetwork

/// Our client against the independent `SCRAMServer`, and the client facing broken or hostile servers.
extension SCRAMTests {
    static let clientNonce = "clientNonceABC+/123"

    static func client(
        _ mechanism: SASLMechanism = .scramSHA256, username: String = "user", password: String = "pencil"
    ) -> SASLClient {
        SASLClient(
            credentials: SASLCredentials(mechanism: mechanism, username: username, password: password),
            nonce: clientNonce)
    }

    /// A client that has sent client-first and now expects server-first.
    static func startedClient(_ mechanism: SASLMechanism = .scramSHA256) throws -> SASLClient {
        var client = client(mechanism)
        _ = try client.start()
        return client
    }

    /// The server-final message `server` sends for `client`'s proof, with `client` waiting for it.
    static func serverFinal(_ client: inout SASLClient, _ server: inout SCRAMServer) throws -> [UInt8] {
        let serverFirst = try server.receive(try client.start())
        let step = try client.receive(serverFirst)
        guard case .send(let clientFinal) = step else {
            Issue.record("expected client-final, got \(step)")
            return []
        }
        return try server.receive(clientFinal)
    }

    @Test(arguments: [(SASLMechanism.scramSHA256, SCRAMHash.sha256), (.scramSHA512, .sha512)])
    func authenticatesAgainstTheTestServer(mechanism: SASLMechanism, hash: SCRAMHash) throws {
        var client = SASLClient(
            credentials: SASLCredentials(mechanism: mechanism, username: "alice", password: "pä$$wörd"))
        var server = SCRAMServer(hash: hash, users: ["alice": "pä$$wörd", "bob": "other"])
        let serverFinal = try Self.serverFinal(&client, &server)
        #expect(server.isComplete)
        #expect(server.authenticatedUser == "alice")
        #expect(try client.receive(serverFinal) == .done)
        // Nothing more is expected after success.
        let late = try #require(throws: SASLError.self) { try client.receive(serverFinal) }
        #expect(late.message == "\(mechanism.rawValue): received a server message after authentication completed")
    }

    @Test func randomNoncesDifferAndArePrintable() throws {
        let credentials = SASLCredentials(mechanism: .scramSHA256, username: "user", password: "pencil")
        var first = SASLClient(credentials: credentials)
        var second = SASLClient(credentials: credentials)
        let one = String(decoding: try first.start(), as: UTF8.self)
        let two = String(decoding: try second.start(), as: UTF8.self)
        #expect(one != two)
        let nonce = try #require(one.split(separator: ",").last)
        #expect(nonce.hasPrefix("r="))
        #expect(nonce.count == 2 + 32)  // 24 random bytes in base64
        #expect(nonce.utf8.allSatisfy(SCRAMMessage.isNonceCharacter))
    }

    @Test(arguments: [SCRAMHash.sha256, .sha512])
    func wrongPasswordIsRejectedByTheServer(hash: SCRAMHash) throws {
        var client = Self.client(hash == .sha256 ? .scramSHA256 : .scramSHA512, password: "wrong")
        var server = SCRAMServer(hash: hash, users: ["user": "pencil"])
        let error = try #require(throws: SCRAMServerError.self) { try Self.serverFinal(&client, &server) }
        #expect(error.message == "SCRAM: invalid proof for user 'user'")
        #expect(!server.isComplete)
        #expect(server.authenticatedUser == nil)
    }

    @Test func serverThatDoesNotKnowThePasswordIsRejected() throws {
        // An impostor holding another password for "user" completes an exchange with a client that uses that
        // password; with the same nonces and salt, its server-first is exactly what our client will see.
        let salt = Self.bytes("fixed salt")
        var impostor = SCRAMServer(hash: .sha512, users: ["user": "guess"], salt: salt, serverNonce: "srv")
        var accomplice = Self.client(.scramSHA512, password: "guess")
        let forgedFinal = try Self.serverFinal(&accomplice, &impostor)
        #expect(try accomplice.receive(forgedFinal) == .done)

        var replay = SCRAMServer(hash: .sha512, users: ["user": "guess"], salt: salt, serverNonce: "srv")
        var client = Self.client(.scramSHA512)
        let serverFirst = try replay.receive(try client.start())
        guard case .send = try client.receive(serverFirst) else {
            Issue.record("expected client-final")
            return
        }
        let error = try #require(throws: SASLError.self) { try client.receive(forgedFinal) }
        #expect(error.message == "SCRAM-SHA-512 authentication failed: server signature does not match")
    }

    @Test(arguments: [SCRAMHash.sha256, .sha512])
    func tamperedServerSignatureIsRejected(hash: SCRAMHash) throws {
        let mechanism: SASLMechanism = hash == .sha256 ? .scramSHA256 : .scramSHA512
        var client = Self.client(mechanism)
        var server = SCRAMServer(hash: hash, users: ["user": "pencil"])
        let serverFinal = try Self.serverFinal(&client, &server)
        var signature = try #require(SASLBase64.decode(String(decoding: serverFinal.dropFirst(2), as: UTF8.self)))
        signature[signature.count / 2] ^= 0x01
        let error = try #require(throws: SASLError.self) {
            try client.receive(Self.bytes("v=" + SASLBase64.encode(signature)))
        }
        #expect(error.message == "\(mechanism.rawValue) authentication failed: server signature does not match")
        // The exchange cannot be resumed with the genuine signature after a failure.
        #expect(throws: SASLError.self) { try client.receive(serverFinal) }
    }

    @Test func iterationsBelowKafkasMinimumAreRejected() throws {
        var client = Self.client()
        var server = SCRAMServer(hash: .sha256, users: ["user": "pencil"], iterations: 4095)
        let serverFirst = try server.receive(try client.start())
        let error = try #require(throws: SASLError.self) { try client.receive(serverFirst) }
        #expect(
            error.message
                == "SCRAM-SHA-256 authentication failed: the server asks for 4095 iterations, fewer than the minimum 4096"
        )
    }

    @Test func usernameWithEqualsAndCommaIsEscapedAndAuthenticates() throws {
        var client = Self.client(.scramSHA512, username: "a=b,c", password: "pw")
        var server = SCRAMServer(hash: .sha512, users: ["a=b,c": "pw"])
        let clientFirst = try client.start()
        #expect(clientFirst == Self.bytes("n,,n=a=3Db=2Cc,r=\(Self.clientNonce)"))
        guard case .send(let clientFinal) = try client.receive(try server.receive(clientFirst)) else {
            Issue.record("expected client-final")
            return
        }
        #expect(try client.receive(try server.receive(clientFinal)) == .done)
        #expect(server.authenticatedUser == "a=b,c")
    }
}
