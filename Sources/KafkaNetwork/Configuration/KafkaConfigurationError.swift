/// An unknown or invalid client setting.
///
/// The ``message`` names the property and the offending value, except for secrets (`sasl.password`,
/// `ssl.key.password`, `ssl.keystore.password`, `ssl.truststore.password`, `ssl.keystore.key`, `sasl.jaas.config`),
/// whose values never appear in an error.
public struct KafkaConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The property involved, by its Java name (for example `request.timeout.ms`), when there is one.
    public var property: String?
    /// A one-line explanation naming the property and, unless it is secret, the offending value.
    public var message: String

    /// Creates an error.
    public init(property: String?, message: String) {
        self.property = property
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension KafkaConfigurationError {
    /// The error for a property name that is neither a client, producer nor consumer setting.
    static func unknownProperty(_ name: String) -> KafkaConfigurationError {
        KafkaConfigurationError(property: name, message: "unknown configuration property '\(name)'")
    }

    /// The error for a value that cannot be used; `value` is quoted in the message, so never pass a secret.
    static func invalidValue(_ value: String, for property: String, _ reason: String) -> KafkaConfigurationError {
        KafkaConfigurationError(property: property, message: "invalid value '\(value)' for \(property): \(reason)")
    }

    /// The error for a secret property: the message explains the problem without showing the value.
    static func invalidSecret(_ property: String, _ reason: String) -> KafkaConfigurationError {
        KafkaConfigurationError(property: property, message: "invalid value for \(property): \(reason)")
    }
}

/// Text helpers shared by the configuration parsers.
enum ConfigurationText {
    /// Whether `character` is a space, tab, form feed or line break.
    static func isBlank(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\u{0C}" || character == "\n" || character == "\r"
            || character == "\r\n"
    }

    /// `text` without leading and trailing blanks (see ``isBlank(_:)``).
    static func trimmed<S: StringProtocol>(_ text: S) -> String {
        guard let first = text.firstIndex(where: { !isBlank($0) }),
            let last = text.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(text[first...last])
    }
}
