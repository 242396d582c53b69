#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads Java `.properties` text into a dictionary, for ``KafkaClientConfiguration/init(properties:)``.
///
/// Follows `java.util.Properties.load`: lines starting with `#` or `!` are comments; an entry is `key=value`,
/// `key: value` or `key value`; a line ending in an odd number of backslashes continues on the next line (whose
/// leading blanks are dropped); `\t`, `\n`, `\r`, `\f`, `\\` and `\uXXXX` are escapes, and a backslash before any
/// other character stands for that character (so `\=`, `\:` and `\ ` put those into a key). Unlike Java, trailing
/// blanks of a value are trimmed too (escape them to keep them). When a key appears twice, the last value wins.
public enum PropertiesFile {
    /// The largest file ``load(path:)`` reads: 16 MiB.
    static let maximumFileSize = 16 * 1024 * 1024

    /// Parses `.properties` text.
    ///
    /// - Throws: ``KafkaConfigurationError`` naming the line of an entry without a key or with a malformed
    ///   `\uXXXX` escape (the value itself is not quoted: it may be a password).
    public static func parse(_ text: String) throws(KafkaConfigurationError) -> [String: String] {
        let lines = naturalLines(text)
        var result: [String: String] = [:]
        var index = 0
        while index < lines.count {
            let lineNumber = index + 1
            var logical = droppingLeadingBlanks(lines[index])
            index += 1
            guard let first = logical.first, first != "#", first != "!" else { continue }
            while endsWithContinuation(logical) {
                logical.removeLast()
                guard index < lines.count else { break }
                logical += droppingLeadingBlanks(lines[index])
                index += 1
            }
            let (key, value) = try entry(logical, line: lineNumber)
            result[key] = value
        }
        return result
    }

    /// Reads and parses the `.properties` file at `path` (UTF-8, or ISO 8859-1 when it is not valid UTF-8).
    ///
    /// - Throws: ``KafkaConfigurationError`` whose message starts with the path, when the file cannot be read,
    ///   is larger than 16 MiB, or does not parse.
    public static func load(path: String) throws(KafkaConfigurationError) -> [String: String] {
        let bytes = try readFile(path)
        let text =
            String(validating: bytes, as: UTF8.self) ?? String(String.UnicodeScalarView(bytes.map(Unicode.Scalar.init)))
        do {
            return try parse(text)
        } catch {
            throw KafkaConfigurationError(property: error.property, message: "\(path): \(error.message)")
        }
    }

    // MARK: - Lines

    private typealias Line = [Unicode.Scalar]

    private static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\u{0C}"
    }

    /// Splits at `\n`, `\r` and `\r\n`.
    private static func naturalLines(_ text: String) -> [Line] {
        var lines: [Line] = []
        var current: Line = []
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n", previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = scalar == "\r"
            if scalar == "\n" || scalar == "\r" {
                lines.append(current)
                current = []
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    private static func droppingLeadingBlanks(_ line: Line) -> Line {
        Array(line.drop(while: isBlank))
    }

    /// Whether the line ends in an odd number of backslashes.
    private static func endsWithContinuation(_ line: Line) -> Bool {
        var count = 0
        for scalar in line.reversed() {
            guard scalar == "\\" else { break }
            count += 1
        }
        return count % 2 == 1
    }

    // MARK: - Entries

    /// A character of a logical line after escape processing; escaped characters never separate or get trimmed.
    private struct Unit {
        var scalar: Unicode.Scalar
        var escaped: Bool

        func isUnescaped(_ candidate: Unicode.Scalar) -> Bool { !escaped && scalar == candidate }
        var isBlank: Bool { !escaped && PropertiesFile.isBlank(scalar) }
        var isSeparator: Bool { isUnescaped("=") || isUnescaped(":") }
    }

    private static func entry(_ line: Line, line number: Int) throws(KafkaConfigurationError) -> (String, String) {
        let units = try unescape(line, line: number)
        var keyEnd = 0
        while keyEnd < units.count, !units[keyEnd].isBlank, !units[keyEnd].isSeparator { keyEnd += 1 }
        var valueStart = keyEnd
        while valueStart < units.count, units[valueStart].isBlank { valueStart += 1 }
        if valueStart < units.count, units[valueStart].isSeparator {
            valueStart += 1
            while valueStart < units.count, units[valueStart].isBlank { valueStart += 1 }
        }
        var valueEnd = units.count
        while valueEnd > valueStart, units[valueEnd - 1].isBlank { valueEnd -= 1 }
        guard keyEnd > 0 else {
            throw KafkaConfigurationError(
                property: nil, message: "line \(number): missing property name before the value")
        }
        return (string(units[..<keyEnd]), string(units[valueStart..<valueEnd]))
    }

    private static func string(_ units: ArraySlice<Unit>) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: units.map(\.scalar))
        return String(scalars)
    }

    private static func unescape(_ line: Line, line number: Int) throws(KafkaConfigurationError) -> [Unit] {
        func failure(_ reason: String) -> KafkaConfigurationError {
            KafkaConfigurationError(property: nil, message: "line \(number): \(reason)")
        }
        /// The UTF-16 code unit of the `\uXXXX` escape whose `u` is at `index`, if it is one.
        func codeUnit(at index: Int) -> UInt16? {
            guard index + 4 < line.count, line[index] == "u" else { return nil }
            var value: UInt16 = 0
            for scalar in line[(index + 1)...(index + 4)] {
                guard let digit = hexValue(scalar) else { return nil }
                value = (value << 4) | digit
            }
            return value
        }
        var units: [Unit] = []
        var index = 0
        while index < line.count {
            let scalar = line[index]
            index += 1
            guard scalar == "\\" else {
                units.append(Unit(scalar: scalar, escaped: false))
                continue
            }
            guard index < line.count else { break }  // a lone backslash at the end of the input
            let escaped = line[index]
            index += 1
            switch escaped {
            case "t": units.append(Unit(scalar: "\t", escaped: true))
            case "n": units.append(Unit(scalar: "\n", escaped: true))
            case "r": units.append(Unit(scalar: "\r", escaped: true))
            case "f": units.append(Unit(scalar: "\u{0C}", escaped: true))
            case "u":
                guard let high = codeUnit(at: index - 1) else { throw failure("malformed \\uXXXX escape") }
                index += 4
                var value = UInt32(high)
                if (0xD800...0xDBFF).contains(high) {
                    // A surrogate pair: the low half must follow as another \uXXXX escape.
                    guard index + 1 < line.count, line[index] == "\\", let low = codeUnit(at: index + 1),
                        (0xDC00...0xDFFF).contains(low)
                    else { throw failure("unpaired UTF-16 surrogate in a \\uXXXX escape") }
                    index += 6
                    value = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                }
                guard let decoded = Unicode.Scalar(value) else {
                    throw failure("unpaired UTF-16 surrogate in a \\uXXXX escape")
                }
                units.append(Unit(scalar: decoded, escaped: true))
            default: units.append(Unit(scalar: escaped, escaped: true))
            }
        }
        return units
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt16? {
        switch scalar.value {
        case 0x30...0x39: return UInt16(scalar.value - 0x30)
        case 0x41...0x46: return UInt16(scalar.value - 0x41 + 10)
        case 0x61...0x66: return UInt16(scalar.value - 0x61 + 10)
        default: return nil
        }
    }

    // MARK: - Files

    private static func readFile(_ path: String) throws(KafkaConfigurationError) -> [UInt8] {
        func failure(_ reason: String) -> KafkaConfigurationError {
            KafkaConfigurationError(property: nil, message: "\(path): cannot read the properties file: \(reason)")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(errorText(errno)) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw failure(errorText(code))
            }
            if count == 0 { return bytes }
            guard bytes.count + count <= maximumFileSize else {
                throw failure("larger than \(maximumFileSize) bytes")
            }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }

    private static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
