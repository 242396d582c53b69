/// The host and port of a broker.
///
/// ``init(parsing:)`` reads the forms used in `bootstrap.servers`: `host:port`, `[IPv6]:port` and a bare
/// `host` or `[IPv6]` (port 9092). An IPv6 address must be in brackets; ``description`` writes it that way.
public struct BrokerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The port used when an address has none: 9092.
    public static let defaultPort = 9092

    /// The host name or IP address; an IPv6 address is stored without brackets.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// Creates an address. The values are not checked.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[IPv6]:port`, `host` or `[IPv6]` (the last two with port 9092).
    ///
    /// Surrounding spaces are ignored.
    ///
    /// - Throws: ``KafkaConfigurationError`` (without a property) naming the text when it is empty, has an
    ///   invalid host, an unbracketed IPv6 address, a URL scheme, or a port that is not a number from 1 to 65535.
    public init(parsing text: String) throws(KafkaConfigurationError) {
        let trimmed = ConfigurationText.trimmed(text)
        func failure(_ reason: String) -> KafkaConfigurationError {
            KafkaConfigurationError(property: nil, message: "invalid broker address '\(trimmed)': \(reason)")
        }
        guard !trimmed.isEmpty else {
            throw KafkaConfigurationError(property: nil, message: "empty broker address")
        }
        if trimmed.contains("://") {
            throw failure("expected host:port without a scheme (the protocol is set by security.protocol)")
        }
        let hostPart: Substring
        let portPart: Substring?
        let bracketed = trimmed.hasPrefix("[")
        if bracketed {
            guard let close = trimmed.firstIndex(of: "]") else { throw failure("missing ']' after the IPv6 address") }
            hostPart = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            if rest.isEmpty {
                portPart = nil
            } else if rest.first == ":" {
                portPart = rest.dropFirst()
            } else {
                throw failure("expected ':' and a port after ']'")
            }
        } else {
            let colons = trimmed.count(where: { $0 == ":" })
            if colons > 1 {
                throw failure("an IPv6 address must be in brackets, e.g. [::1]:9092")
            } else if let colon = trimmed.firstIndex(of: ":") {
                hostPart = trimmed[..<colon]
                portPart = trimmed[trimmed.index(after: colon)...]
            } else {
                hostPart = trimmed[...]
                portPart = nil
            }
        }
        guard !hostPart.isEmpty else { throw failure("missing host") }
        guard hostPart.allSatisfy({ Self.isHostCharacter($0, bracketed: bracketed) }) else {
            throw failure("the host may contain only letters, digits, '-', '.' and '_'")
        }
        var port = Self.defaultPort
        if let portPart {
            guard !portPart.isEmpty else { throw failure("missing port after ':'") }
            guard portPart.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(portPart) else {
                throw failure("the port '\(portPart)' is not a number")
            }
            guard (1...65535).contains(number) else { throw failure("the port \(number) is not between 1 and 65535") }
            port = number
        }
        self.init(host: String(hostPart), port: port)
    }

    /// `host:port`, with an IPv6 host in brackets (`[::1]:9092`).
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func isHostCharacter(_ character: Character, bracketed: Bool) -> Bool {
        guard character.isASCII else { return false }
        if character.isLetter || character.isNumber || character == "-" || character == "." || character == "_" {
            return true
        }
        // IPv6 addresses, with an optional zone ("fe80::1%eth0"), only inside brackets.
        return bracketed && (character == ":" || character == "%")
    }
}

extension BrokerAddress {
    /// Parses a comma-separated list such as `"a:9092, b:9093"`: spaces are trimmed and empty entries ignored.
    ///
    /// - Throws: ``KafkaConfigurationError`` for `property` when an entry is invalid or the list is empty.
    static func parseList(_ text: String, property: String) throws(KafkaConfigurationError) -> [BrokerAddress] {
        var addresses: [BrokerAddress] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = ConfigurationText.trimmed(entry)
            guard !trimmed.isEmpty else { continue }
            do {
                addresses.append(try BrokerAddress(parsing: trimmed))
            } catch {
                throw KafkaConfigurationError(property: property, message: "\(property): \(error.message)")
            }
        }
        guard !addresses.isEmpty else {
            throw KafkaConfigurationError(
                property: property,
                message: "\(property) is empty ('\(text)'): at least one broker address (host:port) is required")
        }
        return addresses
    }
}
