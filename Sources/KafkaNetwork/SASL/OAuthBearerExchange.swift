/// The client side of SASL/OAUTHBEARER (RFC 7628, KIP-255) with a token already in hand.
///
/// 1. The client sends `n,,\u{1}auth=Bearer <token>\u{1}` then each extension as `key=value\u{1}` (sorted by name),
///    then a final `\u{1}`.
/// 2. A broker that accepts the token answers with an empty message: authentication has completed.
///    A broker that refuses it answers with an error JSON (`{"status":"invalid_token",...}`); the client sends the
///    single byte `\u{1}` that RFC 7628 asks for, and the broker then fails the SaslAuthenticate request.
///    ``refusal`` keeps what the JSON said for that failure's message.
///
/// The token never appears in an error.
struct OAuthBearerExchange: Sendable {
    private enum State: Sendable {
        case initial
        case sent
        case refused
        case complete
        case failed
    }

    /// The SASL mechanism name.
    static let mechanismName = "OAUTHBEARER"

    private let token: OAuthBearerToken
    private var state: State = .initial
    /// The broker's error JSON, summarised (`invalid_token`, with its scope), once the broker refused the token.
    private(set) var refusal: String?

    init(token: OAuthBearerToken) {
        self.token = token
    }

    /// The client-first message.
    mutating func start() throws(SASLError) -> [UInt8] {
        guard case .initial = state else { throw SASLError("OAUTHBEARER: start() called twice") }
        state = .failed
        try Self.check(token)
        var message = Array("n,,\u{1}auth=Bearer ".utf8) + Array(token.value.utf8) + [1]
        for (key, value) in token.extensions.sorted(by: { $0.key < $1.key }) {
            message += Array("\(key)=\(value)".utf8) + [1]
        }
        message.append(1)
        state = .sent
        return message
    }

    /// The broker's reply: empty completes the exchange; an error JSON is answered with `\u{1}`.
    mutating func receive(_ serverMessage: [UInt8]) throws(SASLError) -> SASLClient.Step {
        switch state {
        case .initial:
            throw SASLError("OAUTHBEARER: received a server message before the exchange started")
        case .complete:
            throw SASLError("OAUTHBEARER: received a server message after authentication completed")
        case .failed:
            throw SASLError("OAUTHBEARER: received a server message after the exchange failed")
        case .refused:
            state = .failed
            throw Self.failure("broker refused the token (\(refusal ?? "invalid_token")) and sent another message")
        case .sent:
            if serverMessage.isEmpty {
                state = .complete
                return .done
            }
            state = .refused
            refusal = Self.summarise(errorJSON: serverMessage)
            return .send([1])
        }
    }

    /// The message for a SaslAuthenticate request that the broker failed, with its own error message.
    func failureMessage(brokerMessage: String?, code: String) -> String {
        let detail = brokerMessage.flatMap { $0.isEmpty ? nil : ": \(SCRAMMessage.printable(Array($0.utf8)[...]))" }
        if let refusal {
            return "SASL/OAUTHBEARER authentication failed: broker refused the token (\(refusal))\(detail ?? "")"
        }
        return "SASL/OAUTHBEARER authentication failed for principal '\(token.principalName)' (\(code))\(detail ?? "")"
    }

    /// Checks what RFC 7628 and Kafka allow in the message: a token of printable ASCII, extension names of ASCII
    /// letters (not `auth`), extension values of printable ASCII, space, tab and line breaks.
    static func check(_ token: OAuthBearerToken) throws(SASLError) {
        if let problem = problem(with: token) { throw failure(problem) }
    }

    /// What is wrong with `token` for the client-first message, if anything (never quoting the token).
    static func problem(with token: OAuthBearerToken) -> String? {
        guard !token.value.isEmpty else { return "the token is empty" }
        guard token.value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return "the token has characters outside printable ASCII (a bearer token has no spaces)"
        }
        for (key, value) in token.extensions.sorted(by: { $0.key < $1.key }) {
            guard !key.isEmpty, key.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
            else {
                return "the SASL extension name '\(key)' is not only ASCII letters"
            }
            guard key != "auth" else { return "the SASL extension name 'auth' is reserved" }
            guard !value.isEmpty,
                value.utf8.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D })
            else {
                return "the value of SASL extension '\(key)' is empty or not printable ASCII"
            }
        }
        return nil
    }

    /// `status` of the broker's error JSON, with `scope` when present; a message that is not JSON is shown as
    /// printable text.
    static func summarise(errorJSON: [UInt8]) -> String {
        struct ErrorBody: Decodable {
            var status: String?
            var scope: String?
        }
        guard let body = try? JSONDecoding.decode(ErrorBody.self, from: errorJSON), let status = body.status else {
            return SCRAMMessage.printable(errorJSON[...])
        }
        return body.scope.map { "\(status), scope \($0)" } ?? status
    }

    private static func failure(_ reason: String) -> SASLError {
        SASLError("SASL/OAUTHBEARER authentication failed: \(reason)")
    }
}
