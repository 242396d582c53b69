/// Swift identifiers for schema names.
enum Naming {
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
        "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else",
        "fallthrough", "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "catch",
        "false", "is", "nil", "super", "self", "Self", "throw", "throws", "true", "try", "Type", "Protocol",
        "Any",
    ]

    /// `ThrottleTimeMs` → `throttleTimeMs`, `ISR` → `isr`, keywords escaped with backticks.
    static func property(_ name: String) -> String {
        let chars = Array(name)
        var i = 0
        while i < chars.count && chars[i].isUppercase { i += 1 }
        let lowered: String
        if i == 0 {
            lowered = name
        } else if i == 1 || i == chars.count {
            lowered = String(chars[0..<i]).lowercased() + String(chars[i...])
        } else {
            // "ISRNodes" → "isrNodes": keep the last capital of a run as the next word's start.
            lowered = String(chars[0..<(i - 1)]).lowercased() + String(chars[(i - 1)...])
        }
        return escape(lowered)
    }

    static func escape(_ id: String) -> String {
        keywords.contains(id) ? "`\(id)`" : id
    }

    /// `MetadataRequest` → `metadata` style API case names come from the request name.
    static func apiCase(_ requestName: String) -> String {
        var base = requestName
        if base.hasSuffix("Request") { base = String(base.dropLast("Request".count)) }
        return property(base)
    }

    static func stringLiteral(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
