/// The client side of SASL/PLAIN (RFC 4616): one message `\0username\0password`, then the server's
/// empty reply (Kafka's PlainSaslServer answers with zero bytes) ends the exchange.
struct SASLPlainExchange: Sendable {
    private enum State: Sendable {
        case initial
        case sent
        case complete
        case failed
    }

    private let username: String
    private let password: String
    private var state: State = .initial

    init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The single client message: empty authorization identity, the username and the password, NUL-separated.
    mutating func start() throws(SASLError) -> [UInt8] {
        guard case .initial = state else { throw SASLError("PLAIN: start() called twice") }
        state = .failed
        guard !username.isEmpty else { throw failure("the username is empty") }
        guard !username.unicodeScalars.contains("\0") else { throw failure("the username contains a NUL character") }
        guard !password.unicodeScalars.contains("\0") else { throw failure("the password contains a NUL character") }
        state = .sent
        return [0] + Array(username.utf8) + [0] + Array(password.utf8)
    }

    /// The server's reply: must be empty; then authentication has completed.
    mutating func receive(_ serverMessage: [UInt8]) throws(SASLError) -> SASLClient.Step {
        switch state {
        case .initial:
            throw SASLError("PLAIN: received a server message before the exchange started")
        case .complete:
            throw SASLError("PLAIN: received a server message after authentication completed")
        case .failed:
            throw SASLError("PLAIN: received a server message after the exchange failed")
        case .sent:
            guard serverMessage.isEmpty else {
                state = .failed
                throw failure("unexpected \(serverMessage.count)-byte server message (PLAIN expects an empty reply)")
            }
            state = .complete
            return .done
        }
    }

    private func failure(_ reason: String) -> SASLError {
        SASLError("PLAIN authentication failed: \(reason)")
    }
}
