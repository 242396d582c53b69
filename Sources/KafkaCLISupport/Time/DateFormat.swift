#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The common subset of `java.text.SimpleDateFormat` patterns, in local time, for `--date-format`.
///
/// Letters: `y` (year; `yy` is two digits), `M` (month; `MMM` "Jan", `MMMM` "January"), `d`, `D` (day of
/// year), `H` (0-23), `k` (1-24), `h` (1-12), `K` (0-11), `m`, `s`, `S` (milliseconds), `a` (AM/PM), `E`
/// (`E`…`EEE` "Mon", `EEEE` "Monday"), `Z` (`+0100`) and `z` (the zone's abbreviation). Numbers are padded with
/// zeros to the number of letters. Text in single quotes is literal (`''` is a quote); other letters are errors,
/// other characters are copied.
package struct DateFormat: Sendable {
    private enum Part: Sendable {
        case literal(String)
        case field(Character, Int)
    }

    private static let letters: Set<Character> = [
        "y", "M", "d", "D", "H", "k", "h", "K", "m", "s", "S", "a", "E", "Z", "z",
    ]
    private static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    private let parts: [Part]

    /// Parses `pattern`.
    ///
    /// - Throws: ``ToolError`` for an unsupported letter or an unterminated quote.
    package init(pattern: String) throws {
        var parts: [Part] = []
        var characters = Array(pattern)[...]
        while let first = characters.first {
            if first == "'" {
                characters.removeFirst()
                if characters.first == "'" {
                    characters.removeFirst()
                    parts.append(.literal("'"))
                    continue
                }
                var text = ""
                while true {
                    guard let next = characters.popFirst() else {
                        throw ToolError("unterminated quote in '\(pattern)'")
                    }
                    if next == "'" {
                        guard characters.first == "'" else { break }
                        characters.removeFirst()
                    }
                    text.append(next)
                }
                parts.append(.literal(text))
            } else if first.isASCII, first.isLetter {
                guard Self.letters.contains(first) else {
                    throw ToolError(
                        "unsupported pattern letter '\(first)' in '\(pattern)' (supported: y M d D H k h K m s S a E Z z)"
                    )
                }
                let run = characters.prefix { $0 == first }.count
                characters.removeFirst(run)
                parts.append(.field(first, run))
            } else {
                characters.removeFirst()
                parts.append(.literal(String(first)))
            }
        }
        self.parts = parts
    }

    /// Formats `millis` milliseconds since the epoch in local time.
    package func format(millis: Int64) -> String {
        var seconds = time_t(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)
        let milliseconds = Int(millis - Int64(seconds) * 1000)
        var fields = tm()
        localtime_r(&seconds, &fields)
        var result = ""
        for part in parts {
            switch part {
            case .literal(let text): result += text
            case .field(let letter, let count): result += Self.field(letter, count, fields, milliseconds)
            }
        }
        return result
    }

    private static func field(_ letter: Character, _ count: Int, _ fields: tm, _ milliseconds: Int) -> String {
        let hour = Int(fields.tm_hour)
        switch letter {
        case "y":
            let year = Int(fields.tm_year) + 1900
            return count == 2 ? pad(year % 100, zeros: 2) : pad(year, zeros: count)
        case "M":
            let month = Int(fields.tm_mon)
            if count >= 4 { return months[month] }
            if count == 3 { return String(months[month].prefix(3)) }
            return pad(month + 1, zeros: count)
        case "d": return pad(Int(fields.tm_mday), zeros: count)
        case "D": return pad(Int(fields.tm_yday) + 1, zeros: count)
        case "H": return pad(hour, zeros: count)
        case "k": return pad(hour == 0 ? 24 : hour, zeros: count)
        case "h": return pad(hour % 12 == 0 ? 12 : hour % 12, zeros: count)
        case "K": return pad(hour % 12, zeros: count)
        case "m": return pad(Int(fields.tm_min), zeros: count)
        case "s": return pad(Int(fields.tm_sec), zeros: count)
        case "S": return pad(milliseconds, zeros: count)
        case "a": return hour < 12 ? "AM" : "PM"
        case "E":
            let day = weekdays[Int(fields.tm_wday)]
            return count >= 4 ? day : String(day.prefix(3))
        case "Z":
            let offset = Int(fields.tm_gmtoff) / 60
            return (offset < 0 ? "-" : "+") + pad(abs(offset) / 60, zeros: 2) + pad(abs(offset) % 60, zeros: 2)
        default:  // "z"
            return fields.tm_zone.map { String(cString: $0) } ?? "UTC"
        }
    }
}

/// Milliseconds since the epoch, from the system's wall clock.
package func wallClockMillis() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
