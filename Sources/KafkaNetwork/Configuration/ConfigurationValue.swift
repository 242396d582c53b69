/// Parsers for property values, shared by the producer, consumer and admin configurations so every
/// module reports bad values the same way (the message names the property and the value).
package enum ConfigurationValue {
    /// A non-negative whole number of milliseconds (`*.ms` properties).
    package static func milliseconds(_ text: String, for property: String) throws(KafkaConfigurationError) -> Duration {
        try KafkaClientConfiguration.duration(ConfigurationText.trimmed(text), for: property)
    }

    /// An integer within `range`.
    package static func integer(
        _ text: String, for property: String, in range: ClosedRange<Int>
    ) throws(KafkaConfigurationError) -> Int {
        try KafkaClientConfiguration.integer(ConfigurationText.trimmed(text), for: property, in: range)
    }

    /// `true` or `false`, case-insensitive.
    package static func boolean(_ text: String, for property: String) throws(KafkaConfigurationError) -> Bool {
        try KafkaClientConfiguration.boolean(ConfigurationText.trimmed(text), for: property)
    }

    /// `text` without leading and trailing blanks, as every parser here reads it.
    package static func trimmed(_ text: String) -> String {
        ConfigurationText.trimmed(text)
    }

    /// The error for a property name nobody recognises.
    package static func unknownProperty(_ name: String) -> KafkaConfigurationError {
        .unknownProperty(name)
    }

    /// The error for a value that cannot be used (never pass a secret: the value is quoted).
    package static func invalid(_ value: String, for property: String, _ reason: String) -> KafkaConfigurationError {
        .invalidValue(value, for: property, reason)
    }
}
