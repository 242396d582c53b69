#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `kafka-producer-perf-test --payload-file`: the file read whole and split at `--payload-delimiter`.
package enum PayloadFile {
    /// `--payload-delimiter` with Java's escapes `\\n`, `\\r`, `\\t` (any other escaped character stands for
    /// itself; a trailing backslash is kept).
    package static func unescape(_ text: String) -> String {
        var result = ""
        var escaped = false
        for character in text {
            if escaped {
                switch character {
                case "n": result.append("\n")
                case "r": result.append("\r")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        if escaped { result.append("\\") }
        return result
    }

    /// `text` split at every `delimiter` (bytes, not characters: `\r\n` splits at `\n`).
    package static func split(_ text: String, by delimiter: String) -> [String] {
        let source = Array(text.utf8)
        let separator = Array(delimiter.utf8)
        var parts: [String] = []
        var partStart = 0
        var index = 0
        while index + separator.count <= source.count {
            if source[index..<(index + separator.count)].elementsEqual(separator) {
                parts.append(String(decoding: source[partStart..<index], as: UTF8.self))
                index += separator.count
                partStart = index
            } else {
                index += 1
            }
        }
        parts.append(String(decoding: source[partStart...], as: UTF8.self))
        return parts
    }

    /// The file at `path` as UTF-8 text.
    ///
    /// - Throws: ``ToolError`` naming the file when it cannot be opened or read.
    package static func read(_ path: String) throws -> String {
        guard let file = fopen(path, "rb") else {
            throw ToolError("\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            if count < chunk.count {
                if ferror(file) != 0 { throw ToolError("\(path): read error") }
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
