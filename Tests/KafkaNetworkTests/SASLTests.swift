import Testing

@testable import KafkaNetwork

@Suite(.timeLimit(.minutes(5))) struct SASLPlainTests {
    @Test func startSendsAuthzidUsernameAndPasswordSeparatedByNul() throws {
        var client = SASLClient(credentials: SASLCredentials(mechanism: .plain, username: "alice", password: "s3cr3t"))
        #expect(client.mechanism == .plain)
        let first = try client.start()
        #expect(first == [0] + Array("alice".utf8) + [0] + Array("s3cr3t".utf8))
        #expect(try client.receive([]) == .done)
    }

    @Test func passwordIsSentAsRawUTF8() throws {
        var client = SASLClient(credentials: SASLCredentials(mechanism: .plain, username: "bob", password: "pä ss€"))
        let first = try client.start()
        #expect(first == [0, 0x62, 0x6F, 0x62, 0, 0x70, 0xC3, 0xA4, 0x20, 0x73, 0x73, 0xE2, 0x82, 0xAC])
    }

    @Test func nonEmptyServerReplyIsAnError() throws {
        var client = SASLClient(credentials: SASLCredentials(mechanism: .plain, username: "alice", password: "pw"))
        _ = try client.start()
        let error = try #require(throws: SASLError.self) { try client.receive([1, 2, 3]) }
        #expect(error.message.hasPrefix("PLAIN authentication failed: unexpected 3-byte server message"))
        // The exchange is over after a failure.
        #expect(throws: SASLError.self) { try client.receive([]) }
    }

    @Test func callsInTheWrongStateAreErrors() throws {
        var client = SASLClient(credentials: SASLCredentials(mechanism: .plain, username: "alice", password: "pw"))
        let early = try #require(throws: SASLError.self) { try client.receive([]) }
        #expect(early.message == "PLAIN: received a server message before the exchange started")
        _ = try client.start()
        let twice = try #require(throws: SASLError.self) { try client.start() }
        #expect(twice.message == "PLAIN: start() called twice")
        #expect(try client.receive([]) == .done)
        let late = try #require(throws: SASLError.self) { try client.receive([]) }
        #expect(late.message == "PLAIN: received a server message after authentication completed")
    }

    @Test(arguments: [
        ("", "pw", "the username is empty"), ("a\0b", "pw", "the username contains a NUL character"),
        ("alice", "p\0w", "the password contains a NUL character"),
    ])
    func credentialsThatCannotBeEncodedAreRejected(username: String, password: String, reason: String) {
        var client = SASLClient(credentials: SASLCredentials(mechanism: .plain, username: username, password: password))
        let error = #expect(throws: SASLError.self) { try client.start() }
        #expect(error?.message == "PLAIN authentication failed: \(reason)")
        #expect(error?.description == error?.message)
    }

    @Test func credentialsNeverRevealThePassword() {
        let credentials = SASLCredentials(mechanism: .scramSHA512, username: "alice", password: "hunter2-secret")
        let texts = [
            credentials.description, credentials.debugDescription, String(describing: credentials),
            String(reflecting: credentials), "\(credentials)", "\([credentials])",
            {
                var out = ""; dump(credentials, to: &out); return out
            }(),
        ]
        for text in texts {
            #expect(!text.contains("hunter2"), "password revealed in \(text)")
            #expect(text.contains("alice"))
        }
        #expect(
            credentials.description
                == "SASLCredentials(mechanism: SCRAM-SHA-512, username: \"alice\", password: <redacted>)")
    }

    @Test func mechanismNamesAreKafkas() {
        #expect(
            SASLMechanism.allCases.map(\.rawValue) == ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"])
        #expect(SASLMechanism(rawValue: "SCRAM-SHA-256") == .scramSHA256)
        #expect(SASLMechanism(rawValue: "GSSAPI") == nil)
    }
}
