import KafkaNetwork

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Kafka's `kafka-configs --add-config` syntax: `k1=v1,k2=[v1,v2],k3=v3`. Commas and `=` inside square brackets do
/// not separate; the brackets are then dropped from the value (`[a,b]` becomes `a,b`), as Kafka's `ConfigCommand`
/// does.
package enum ConfigAssignments {
    /// The pairs of an `--add-config` value, by key (a later pair of the same key wins, as in Java's `Properties`).
    ///
    /// - Throws: ``ToolError`` with Kafka's message for a pair that is not `key=val`, or a key with characters other
    ///   than `a-zA-Z0-9._-`.
    package static func parse(_ text: String) throws -> [String: String] {
        var pairs: [String: String] = [:]
        for item in split(Array(text), separator: { $0 == "," }, dropTrailingEmpty: true) {
            let parts = splitAtEquals(item)
            guard parts.count == 2 else {
                throw ToolError(
                    "Invalid entity config: all configs to be added must be in the format \"key=val\".")
            }
            let key = String(parts[0]).trimmingCharacters(in: .whitespaces)
            let value = String(parts[1].filter { $0 != "[" && $0 != "]" }).trimmingCharacters(in: .whitespaces)
            pairs[key] = value
        }
        try validateKeys(pairs.keys)
        return pairs
    }

    /// The pairs of an `--add-config-file` (a Java properties file).
    ///
    /// - Throws: ``ToolError`` when the file cannot be read, or for a key with characters other than `a-zA-Z0-9._-`.
    package static func load(path: String) throws -> [String: String] {
        let pairs: [String: String]
        do {
            pairs = try PropertiesFile.load(path: path)
        } catch {
            throw ToolError("\(error)")
        }
        try validateKeys(pairs.keys)
        return pairs
    }

    /// The keys of `--delete-config` values (each `k1,k2`), trimmed, empty ones left out, in order.
    package static func deletions(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
    }

    /// A SCRAM credential value, `[iterations=N,]password=P` (brackets already dropped): the iteration count
    /// (4096 when absent or -1) and the password.
    ///
    /// - Throws: ``ToolError`` with Kafka's message when the value has another form or too few iterations.
    package static func scramCredential(mechanism: String, _ value: String) throws -> (
        iterations: Int32, password: String
    ) {
        var rest = Substring(value)
        var iterations: Int32 = 4096
        if rest.hasPrefix("iterations=") {
            let afterKey = rest.dropFirst("iterations=".count)
            guard let comma = afterKey.firstIndex(of: ",") else {
                throw ToolError("Invalid credential property \(mechanism)=\(value)")
            }
            let number = afterKey[..<comma]
            let digits = number.hasPrefix("-") ? number.dropFirst() : number
            guard digits.allSatisfy(\.isASCIIDigit) else {
                throw ToolError("Invalid credential property \(mechanism)=\(value)")
            }
            if !digits.isEmpty, number != "-1" {
                guard let parsed = Int32(number) else {
                    throw ToolError("Invalid credential property \(mechanism)=\(value)")
                }
                iterations = parsed
            } else if digits.isEmpty {
                throw ToolError("Invalid credential property \(mechanism)=\(value)")
            }
            rest = afterKey[afterKey.index(after: comma)...]
        }
        guard rest.hasPrefix("password=") else { throw ToolError("Invalid credential property \(mechanism)=\(value)") }
        if iterations < 4096 {
            throw ToolError("Iterations \(iterations) is less than the minimum 4096 required for \(mechanism)")
        }
        return (iterations, String(rest.dropFirst("password=".count)))
    }

    private static func validateKeys(_ keys: some Sequence<String>) throws {
        for key in keys.sorted()
        where !key.unicodeScalars.allSatisfy(isKeyCharacter) {
            throw ToolError("Invalid character found for config key: \(key)")
        }
    }

    private static func isKeyCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }

    /// Splits at separators outside square brackets: a separator counts when, after it, a `[` or the end comes
    /// before any `]` (Kafka's lookahead `(?=[^\]]*(?:\[|$))`). Java's `split` drops trailing empty pieces.
    private static func split(
        _ characters: [Character], separator: (Character) -> Bool, dropTrailingEmpty: Bool
    ) -> [[Character]] {
        let outside = outsideBrackets(characters)
        var pieces: [[Character]] = [[]]
        for (index, character) in characters.enumerated() {
            if separator(character) && outside[index] {
                pieces.append([])
            } else {
                pieces[pieces.count - 1].append(character)
            }
        }
        if dropTrailingEmpty {
            while let last = pieces.last, last.isEmpty, pieces.count > 1 { pieces.removeLast() }
        }
        return pieces
    }

    /// Splits at `\s*=\s*` outside brackets, keeping empty pieces (Java's `split(regex, -1)`).
    private static func splitAtEquals(_ characters: [Character]) -> [[Character]] {
        let outside = outsideBrackets(characters)
        var pieces: [[Character]] = [[]]
        var index = 0
        while index < characters.count {
            if characters[index] == "=" && outside[index] {
                while let last = pieces[pieces.count - 1].last, last.isWhitespace {
                    pieces[pieces.count - 1].removeLast()
                }
                pieces.append([])
                index += 1
                while index < characters.count, characters[index].isWhitespace { index += 1 }
                continue
            }
            pieces[pieces.count - 1].append(characters[index])
            index += 1
        }
        return pieces
    }

    /// For each position, whether a separator there is outside brackets (see `split`).
    private static func outsideBrackets(_ characters: [Character]) -> [Bool] {
        var result = [Bool](repeating: true, count: characters.count)
        var nextIsOpenOrEnd = true
        for index in characters.indices.reversed() {
            result[index] = nextIsOpenOrEnd
            if characters[index] == "[" {
                nextIsOpenOrEnd = true
            } else if characters[index] == "]" {
                nextIsOpenOrEnd = false
            }
        }
        return result
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
