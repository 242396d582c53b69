/// An `http` or `https` URL of an OIDC token endpoint (`sasl.oauthbearer.token.endpoint.url`), split into what an
/// HTTP/1.1 request needs.
struct OIDCEndpoint: Sendable, Hashable, CustomStringConvertible {
    var usesTLS: Bool
    var host: String
    var port: Int
    /// The path and query, at least `/`.
    var target: String

    /// Parses `scheme://host[:port][/path][?query]`; an IPv6 host is in brackets. User information (`user@`) is
    /// refused: credentials belong in `clientId` and `clientSecret`.
    init?(_ text: String) {
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            usesTLS = true
            rest = text.dropFirst("https://".count)
        } else if lowered.hasPrefix("http://") {
            usesTLS = false
            rest = text.dropFirst("http://".count)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if let fragment = path.firstIndex(of: "#") { path = String(path[..<fragment]) }
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        guard !authority.isEmpty, !authority.contains("@"), !path.contains(where: { $0 == " " || $0.isNewline })
        else { return nil }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        let defaultPort = usesTLS ? 443 : 80
        var port = defaultPort
        if let portText {
            guard let parsed = Int(portText) else { return nil }
            port = parsed
        }
        guard (1...65535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
        self.target = path
    }

    /// The `Host` header: the host, bracketed for IPv6, with the port unless it is the scheme's default.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (usesTLS ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// The URL, without user information (it has none).
    var description: String { "\(usesTLS ? "https" : "http")://\(hostHeader)\(target)" }
}
