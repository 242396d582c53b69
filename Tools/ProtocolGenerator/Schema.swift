import Foundation

/// A Kafka schema version range such as `0+`, `3-7`, `5` or `none`.
struct VersionRange: Equatable {
    var low: Int
    var high: Int  // Int.max when open-ended; empty when low > high

    static let none = VersionRange(low: 1, high: 0)

    init(low: Int, high: Int) {
        self.low = low
        self.high = high
    }

    init(parsing text: String) throws {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s == "none" {
            self = .none
        } else if s.hasSuffix("+"), let low = Int(s.dropLast()) {
            self.init(low: low, high: Int.max)
        } else if let dash = s.firstIndex(of: "-"), let low = Int(s[..<dash]),
            let high = Int(s[s.index(after: dash)...])
        {
            self.init(low: low, high: high)
        } else if let exact = Int(s) {
            self.init(low: exact, high: exact)
        } else {
            throw GeneratorError("bad version range '\(text)'")
        }
    }

    var isEmpty: Bool { low > high }

    func intersection(_ other: VersionRange) -> VersionRange {
        VersionRange(low: max(low, other.low), high: min(high, other.high))
    }

    func contains(_ v: Int) -> Bool { v >= low && v <= high }

    /// A Swift boolean expression over `version` that is true exactly for the versions of this range
    /// that fall within `valid`; `"true"`/`"false"` when constant there.
    func condition(within valid: VersionRange) -> String {
        let r = intersection(valid)
        if r.isEmpty { return "false" }
        if r.low <= valid.low && r.high >= valid.high { return "true" }
        if r.low <= valid.low { return "version <= \(r.high)" }
        if r.high >= valid.high { return "version >= \(r.low)" }
        if r.low == r.high { return "version == \(r.low)" }
        return "(version >= \(r.low) && version <= \(r.high))"
    }
}

struct GeneratorError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

indirect enum FieldType: Equatable {
    case primitive(String)  // int8 int16 uint16 int32 uint32 int64 float64 bool string bytes records uuid
    case array(FieldType)
    case structure(String)

    static let primitives: Set<String> = [
        "int8", "int16", "uint16", "int32", "uint32", "int64", "float64", "bool", "string", "bytes", "records", "uuid",
    ]

    init(parsing s: String) {
        if s.hasPrefix("[]") {
            self = .array(FieldType(parsing: String(s.dropFirst(2))))
        } else if FieldType.primitives.contains(s) {
            self = .primitive(s)
        } else {
            self = .structure(s)
        }
    }

    /// Whether null is representable for this type at all.
    var canBeNull: Bool {
        switch self {
        case .primitive(let p): return ["string", "bytes", "records", "uuid"].contains(p)
        case .array, .structure: return true
        }
    }
}

final class Field {
    let name: String
    let type: FieldType
    let versions: VersionRange
    let nullableVersions: VersionRange
    let taggedVersions: VersionRange
    let tag: Int?
    let defaultValue: String?
    let ignorable: Bool
    let flexibleOverride: VersionRange?
    let about: String?
    let fields: [Field]

    init(json: [String: Any]) throws {
        guard let name = json["name"] as? String, let type = json["type"] as? String else {
            throw GeneratorError("field without name/type: \(json)")
        }
        self.name = name
        self.type = FieldType(parsing: type)
        self.versions = try VersionRange(parsing: json["versions"] as? String ?? "none")
        self.nullableVersions = try VersionRange(parsing: json["nullableVersions"] as? String ?? "none")
        self.taggedVersions = try VersionRange(parsing: json["taggedVersions"] as? String ?? "none")
        self.tag = (json["tag"] as? NSNumber)?.intValue
        if let d = json["default"] {
            if let s = d as? String {
                self.defaultValue = s
            } else if let n = d as? NSNumber {
                // JSON booleans and numbers both arrive as NSNumber.
                if case .primitive("bool") = self.type {
                    self.defaultValue = n.boolValue ? "true" : "false"
                } else {
                    self.defaultValue = n.stringValue
                }
            } else {
                self.defaultValue = nil
            }
        } else {
            self.defaultValue = nil
        }
        self.ignorable = (json["ignorable"] as? NSNumber)?.boolValue ?? false
        if let fv = json["flexibleVersions"] as? String {
            self.flexibleOverride = try VersionRange(parsing: fv)
        } else {
            self.flexibleOverride = nil
        }
        self.about = json["about"] as? String
        self.fields = try (json["fields"] as? [[String: Any]] ?? []).map(Field.init(json:))
    }

    var isTaggedSomewhere: Bool { tag != nil && !taggedVersions.isEmpty }
}

struct StructDefinition {
    let name: String
    let fields: [Field]
    let versions: VersionRange
}

final class MessageSchema {
    let fileName: String
    let name: String
    let kind: String  // request, response, header, data
    let apiKey: Int?
    let validVersions: VersionRange
    let flexibleVersions: VersionRange
    let listeners: [String]
    let fields: [Field]
    let commonStructs: [StructDefinition]

    init(fileName: String, text: String) throws {
        let stripped = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
            .joined(separator: "\n")
        guard let data = stripped.data(using: .utf8),
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let name = json["name"] as? String, let kind = json["type"] as? String
        else { throw GeneratorError("\(fileName): not a message schema") }
        self.fileName = fileName
        self.name = name
        self.kind = kind
        self.apiKey = (json["apiKey"] as? NSNumber)?.intValue
        self.validVersions = try VersionRange(parsing: json["validVersions"] as? String ?? "none")
        self.flexibleVersions = try VersionRange(parsing: json["flexibleVersions"] as? String ?? "none")
        self.listeners = json["listeners"] as? [String] ?? []
        self.fields = try (json["fields"] as? [[String: Any]] ?? []).map(Field.init(json:))
        self.commonStructs = try (json["commonStructs"] as? [[String: Any]] ?? []).map { cs in
            guard let n = cs["name"] as? String else { throw GeneratorError("\(fileName): common struct without name") }
            return StructDefinition(
                name: n,
                fields: try (cs["fields"] as? [[String: Any]] ?? []).map(Field.init(json:)),
                versions: try VersionRange(parsing: cs["versions"] as? String ?? "0+"))
        }
    }
}
