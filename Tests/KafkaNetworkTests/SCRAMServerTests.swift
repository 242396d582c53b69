import KafkaDevCluster
import KafkaTestSupport
import Testing

@testable import KafkaNetwork

/// The dev cluster's `SCRAMServer` refuses what a broker must refuse.
extension SCRAMTests {
    static func serverError(_ messages: [String], users: [String: String] = ["user": "pencil"]) -> SCRAMServerError? {
        var server = SCRAMServer(hash: .sha256, users: users, serverNonce: "SRV")
        let error = #expect(throws: SCRAMServerError.self) {
            for message in messages { _ = try server.receive(Self.bytes(message)) }
        }
        #expect(!server.isComplete)
        #expect(server.authenticatedUser == nil)
        return error
    }

    @Test(arguments: [
        ("", "lacks a GS2 header"),
        ("n,,", "malformed attribute in client-first message"),
        ("p=tls-unique,,n=user,r=abc", "unsupported channel binding flag"),
        ("n,x=y,n=user,r=abc", "malformed authzid"),
        ("n,a=other,n=user,r=abc", "authzid differs from the username"),
        ("n,,r=abc,n=user", "must start with n= and r="),
        ("n,,n=user", "must start with n= and r="),
        ("n,,n=us=er,r=abc", "malformed username"),
        ("n,,n=,r=abc", "malformed username"),
        ("n,,n=mallory,r=abc", "unknown user 'mallory'"),
        ("n,,n=user,r=", "malformed client nonce"),
        ("n,,n=user,r=a b", "malformed client nonce"),
    ])
    func serverRejectsMalformedClientFirst(message: String, reason: String) {
        let error = Self.serverError([message])
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        ("c=biws,r=abcSRV", "must be c=...,r=...,p=..."),
        ("r=abcSRV,c=biws,p=AAAA", "must be c=...,r=...,p=..."),
        ("c=biws,r=abcSRV,p=AAAA,x=y", "must be c=...,r=...,p=..."),
        ("c=eSws,r=abcSRV,p=AAAA", "channel binding (c=) does not match"),
        ("c=biws,r=abcXYZ,p=AAAA", "nonce in client-final message does not match"),
        ("c=biws,r=abcSRV,p=A*AA", "proof is not valid base64"),
        ("c=biws,r=abcSRV,p=AAAA", "invalid proof for user 'user'"),
        ("c=biws,r=abcSRV,p=", "invalid proof for user 'user'"),
    ])
    func serverRejectsMalformedClientFinal(message: String, reason: String) {
        let error = Self.serverError(["n,,n=user,r=abc", message])
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func serverAcceptsAMatchingAuthzidAndTheYFlag() throws {
        var server = SCRAMServer(hash: .sha256, users: ["user": "pencil"], serverNonce: "SRV")
        let serverFirst = try server.receive(Self.bytes("y,a=user,n=user,r=abc"))
        #expect(String(decoding: serverFirst, as: UTF8.self).hasPrefix("r=abcSRV,s="))
    }

    @Test func serverStopsAfterAFailureOrCompletion() throws {
        var failed = SCRAMServer(hash: .sha256, users: ["user": "pencil"])
        #expect(throws: SCRAMServerError.self) { try failed.receive(Self.bytes("n,,n=nobody,r=abc")) }
        let again = try #require(throws: SCRAMServerError.self) { try failed.receive(Self.bytes("n,,n=user,r=abc")) }
        #expect(again.message == "SCRAM: message received after the exchange failed")

        var client = Self.client()
        var server = SCRAMServer(hash: .sha256, users: ["user": "pencil"])
        let serverFinal = try Self.serverFinal(&client, &server)
        #expect(try client.receive(serverFinal) == .done)
        let late = try #require(throws: SCRAMServerError.self) { try server.receive(Self.bytes("n,,n=user,r=abc")) }
        #expect(late.message == "SCRAM: message received after the exchange completed")
        #expect(late.description == late.message)
    }

    @Test func serverSurvivesRandomClientMessages() throws {
        var generator = SCRAMNoise(seed: 0xC0FF_EE00)
        for _ in 0..<200 {
            let noise = (0..<Int(generator.next() % 64)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var server = SCRAMServer(hash: .sha512, users: ["user": "pencil"], iterations: 4096)
            #expect(throws: SCRAMServerError.self) { try server.receive(noise) }
            var second = SCRAMServer(hash: .sha512, users: ["user": "pencil"])
            _ = try second.receive(Self.bytes("n,,n=user,r=abc"))
            #expect(throws: SCRAMServerError.self) { try second.receive(Self.bytes("c=biws,") + noise) }
        }
    }
}
