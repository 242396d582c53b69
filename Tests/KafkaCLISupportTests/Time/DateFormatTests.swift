import KafkaCLISupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite(.serialized) struct DateFormatTests {
    /// `pattern` applied to `millis` in UTC.
    static func utc(_ pattern: String, _ millis: Int64) throws -> String {
        setenv("TZ", "UTC", 1)
        tzset()
        return try DateFormat(pattern: pattern).format(millis: millis)
    }

    // 2024-03-05 14:07:09.045 UTC, a Tuesday, day 65 of the year.
    static let instant: Int64 = 1_709_647_629_045

    @Test(
        "SimpleDateFormat's letters, padded with zeros to their count",
        arguments: [
            ("yyyy-MM-dd HH:mm:ss:SSS", "2024-03-05 14:07:09:045"),
            ("yy/M/d", "24/3/5"),
            ("MMM MMMM", "Mar March"),
            ("E EEEE", "Tue Tuesday"),
            ("D DDD", "65 065"),
            ("h:mm a, K k", "2:07 PM, 2 14"),
            ("Z z", "+0000 UTC"),
            ("'at' HH 'o''clock' ''", "at 14 o'clock '"),
            ("HH.mm (S)", "14.07 (45)"),
        ])
    func letters(pattern: String, text: String) throws {
        #expect(try Self.utc(pattern, Self.instant) == text)
    }

    @Test("midnight is 0 for H and K, 24 for k, 12 for h; before the epoch counts back")
    func edges() throws {
        #expect(try Self.utc("H K k h a", 0) == "0 0 24 12 AM")
        #expect(try Self.utc("yyyy-MM-dd HH:mm:ss.SSS", -1) == "1969-12-31 23:59:59.999")
    }

    @Test("an unsupported letter or an open quote is one line naming the pattern")
    func errors() {
        #expect(
            throws: ToolError("unsupported pattern letter 'Q' in 'yyyy Q' (supported: y M d D H k h K m s S a E Z z)")
        ) {
            try DateFormat(pattern: "yyyy Q")
        }
        #expect(throws: ToolError("unterminated quote in 'HH 'at'")) { try DateFormat(pattern: "HH 'at") }
    }
}
