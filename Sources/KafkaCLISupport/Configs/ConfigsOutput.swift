package import KafkaAdmin
import KafkaNetwork
import KafkaProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The lines `kafka-configs --describe` prints, as Kafka's `ConfigCommand`, and its `--json` document.
package enum ConfigsOutput {
    /// The header of one described resource: `Dynamic configs for topic orders are:` (`All` with `--all`),
    /// `Default configs for brokers in the cluster are:` for the empty broker name.
    package static func header(entityType: String, name: String, all: Bool) -> String {
        if name.isEmpty && (entityType == "brokers" || entityType == "broker-loggers") {
            return "Default configs for \(entityType) in the cluster are:"
        }
        return "\(all ? "All" : "Dynamic") configs for \(entityType.dropLast()) \(name) are:"
    }

    /// One config: `  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000,
    /// DEFAULT_CONFIG:log.retention.hours=168}` (a missing value is `null`).
    package static func line(_ entry: ConfigEntry) -> String {
        let synonyms = entry.synonyms.map { "\($0.source):\($0.name)=\($0.value ?? "null")" }
        return "  \(entry.name)=\(entry.value ?? "null") sensitive=\(entry.isSensitive) "
            + "synonyms={\(synonyms.joined(separator: ", "))}"
    }

    /// `Quota configs for user-principal 'alice', client-id 'reports' are consumer_byte_rate=1024.0,
    /// producer_byte_rate=2048.0` (quotas sorted by name, values as Java prints a double).
    package static func quotaLine(_ entity: ClientQuotaEntity, _ values: [String: Double]) -> String {
        let entries = values.sorted { $0.key < $1.key }.map { "\($0.key)=\(javaDouble($0.value))" }
        return "Quota configs for \(entity) are \(entries.joined(separator: ", "))"
    }

    /// `SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192`, or Kafka's line for
    /// a user whose credentials could not be described.
    package static func scramLine(user: String, _ result: Result<[ScramCredentialInfo], AdminError>) -> String {
        switch result {
        case .success(let credentials):
            let text = credentials.map { "\($0.mechanism.mechanismName)=iterations=\($0.iterations)" }
            return "SCRAM credential configs for user-principal '\(user)' are \(text.joined(separator: ", "))"
        case .failure(let error):
            return "Error retrieving SCRAM credential configs for user-principal '\(user)': "
                + "\(javaExceptionName(error.code)): \(error.message ?? error.code.message)"
        }
    }

    /// The Java exception class Kafka's client throws for an error code (the code's name otherwise).
    static func javaExceptionName(_ code: KafkaErrorCode) -> String {
        switch code {
        case .resourceNotFound: "ResourceNotFoundException"
        case .duplicateResource: "DuplicateResourceException"
        case .unacceptableCredential: "UnacceptableCredentialException"
        case .unsupportedSaslMechanism: "UnsupportedSaslMechanismException"
        case .clusterAuthorizationFailed: "ClusterAuthorizationException"
        default: code.name
        }
    }

    /// `value` as Java's `Double.toString` prints it: `1024.0`, `0.5`, `1.0E7`, `1.5E-4`.
    package static func javaDouble(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let sign = value < 0 ? "-" : ""
        let magnitude = Swift.abs(value)
        let shortest = "\(magnitude)"
        if magnitude >= 1e-3 && magnitude < 1e7 && !shortest.contains("e") {
            return sign + (shortest.contains(".") ? shortest : shortest + ".0")
        }
        // The shortest digits and the decimal exponent, from Swift's shortest round-trip text.
        var digits: [Character]
        var exponent: Int
        if let e = shortest.firstIndex(of: "e") {
            let mantissa = shortest[..<e]
            exponent = Int(shortest[shortest.index(after: e)...].replacingOccurrences(of: "+", with: "")) ?? 0
            let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
            // The mantissa is d[.ddd], so the exponent is already that of the first digit.
            digits = Array(parts[0]) + (parts.count > 1 ? Array(parts[1]) : [])
        } else {
            let parts = shortest.split(separator: ".", omittingEmptySubsequences: false)
            let integer = Array(parts[0])
            let fraction = parts.count > 1 ? Array(parts[1]) : []
            digits = integer + fraction
            exponent = integer.count - 1
            while digits.first == "0" && digits.count > 1 {
                digits.removeFirst()
                exponent -= 1
            }
        }
        while digits.last == "0" && digits.count > 1 { digits.removeLast() }
        let rest = digits.dropFirst()
        return "\(sign)\(digits[0]).\(rest.isEmpty ? "0" : String(rest))E\(exponent)"
    }

    // MARK: - JSON

    /// One described resource in the `--json` document.
    package struct ResourceJSON: Encodable, Sendable {
        package var entityType: String
        package var entityName: String
        package var configs: [EntryJSON]
    }

    /// One config in the `--json` document; a missing value is `null`.
    package struct EntryJSON: Encodable, Sendable {
        package var name: String
        package var value: String?
        package var source: String
        package var sensitive: Bool
        package var readOnly: Bool
        package var synonyms: [SynonymJSON]

        package init(_ entry: ConfigEntry) {
            name = entry.name
            value = entry.value
            source = "\(entry.source)"
            sensitive = entry.isSensitive
            readOnly = entry.isReadOnly
            synonyms = entry.synonyms.map { SynonymJSON(name: $0.name, value: $0.value, source: "\($0.source)") }
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(value, forKey: .value)
            try container.encode(source, forKey: .source)
            try container.encode(sensitive, forKey: .sensitive)
            try container.encode(readOnly, forKey: .readOnly)
            try container.encode(synonyms, forKey: .synonyms)
        }

        enum CodingKeys: String, CodingKey { case name, value, source, sensitive, readOnly, synonyms }
    }

    /// One synonym in the `--json` document.
    package struct SynonymJSON: Encodable, Sendable {
        package var name: String
        package var value: String?
        package var source: String

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(value, forKey: .value)
            try container.encode(source, forKey: .source)
        }

        enum CodingKeys: String, CodingKey { case name, value, source }
    }

    /// The `--json` document of users and clients: `{"quotas":[{"entity":{"user":"alice"},"values":{…}}],
    /// "scramCredentials":[{"user":"alice","credentials":[{"mechanism":"SCRAM-SHA-256","iterations":8192}]}]}`;
    /// a default entity's name is `null`, a user whose credentials could not be described has `error`.
    package static func quotasJSON(
        quotas: [ClientQuotaEntity: [String: Double]], scram: [String: Result<[ScramCredentialInfo], AdminError>]?
    ) -> String {
        var quotaItems: [String] = []
        for entity in quotas.keys.sorted(by: { $0.description < $1.description }) {
            let components = entity.components.map {
                "\(OAuthBearerJWS.jsonString($0.type)):\($0.name.map(OAuthBearerJWS.jsonString) ?? "null")"
            }
            let values = (quotas[entity] ?? [:]).sorted { $0.key < $1.key }.map {
                "\(OAuthBearerJWS.jsonString($0.key)):\(javaDouble($0.value))"
            }
            quotaItems.append(
                #"{"entity":{\#(components.joined(separator: ","))},"values":{\#(values.joined(separator: ","))}}"#)
        }
        var document = #"{"quotas":[\#(quotaItems.joined(separator: ","))]"#
        if let scram {
            let users = scram.keys.sorted().map { user -> String in
                let name = OAuthBearerJWS.jsonString(user)
                switch scram[user] {
                case .success(let credentials):
                    let items = credentials.map {
                        #"{"mechanism":"\#($0.mechanism.mechanismName)","iterations":\#($0.iterations)}"#
                    }
                    return #"{"user":\#(name),"credentials":[\#(items.joined(separator: ","))]}"#
                case .failure(let error):
                    return #"{"user":\#(name),"error":\#(OAuthBearerJWS.jsonString("\(error)"))}"#
                case nil:
                    return #"{"user":\#(name)}"#
                }
            }
            document += #","scramCredentials":[\#(users.joined(separator: ","))]"#
        }
        return document + "}"
    }
}
