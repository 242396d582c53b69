import KafkaNetwork

/// Java client properties that runbooks and `.properties` files commonly carry but that this client has no use
/// for: the tools accept them with a warning on standard error instead of failing on an unknown property.
///
/// Only settings whose absence changes nothing a user relies on are listed: timeouts and knobs of Java's own
/// machinery. Anything security-related, or that changes which records are read or written, is not (an unknown
/// property stays an error there). A name the client configuration itself knows
/// (``KafkaClientConfiguration/knownProperties``) is never dropped.
package enum JavaOnlyProperties {
    /// Each ignored name with the reason printed in the warning.
    package static let ignored: [String: String] = [
        "default.api.timeout.ms": "the tools bound each call with request.timeout.ms and their own --timeout",
        "allow.auto.create.topics": "only a consumer asks the cluster to create the topics it reads",
        "exclude.internal.topics": "internal topics are only read when named",
        "metadata.max.idle.ms": "the client keeps metadata only for the topics in use",
        "internal.leave.group.on.close": "the consumer always leaves its group on close",
    ]

    /// `properties` without the names in ``ignored`` that the client configuration does not know (nor `keeping`,
    /// the names the tool's own client uses), and a warning for each removed name (sorted by name).
    package static func strip(
        _ properties: [String: String], keeping: Set<String> = []
    ) -> (properties: [String: String], warnings: [String]) {
        var kept = properties
        var warnings: [String] = []
        let known = Set(KafkaClientConfiguration.knownProperties).union(keeping)
        for name in properties.keys.sorted() where !known.contains(name) {
            guard let reason = ignored[name] else { continue }
            kept[name] = nil
            warnings.append("warning: ignoring the Java client property '\(name)' (\(reason))")
        }
        return (kept, warnings)
    }
}
