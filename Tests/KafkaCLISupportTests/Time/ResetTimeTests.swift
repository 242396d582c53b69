import ArgumentParser
import KafkaCLISupport
import Testing

@Suite struct ResetTimeTests {
    @Test(
        "--to-datetime: YYYY-MM-DDTHH:mm[:SS[.sss]], UTC unless a zone follows",
        arguments: [
            ("2024-01-02T03:04:05.678", 1_704_164_645_678),
            ("2024-01-02T03:04:05.6", 1_704_164_645_600),
            ("2024-01-02T03:04:05", 1_704_164_645_000),
            ("2024-01-02T03:04", 1_704_164_640_000),
            ("2024-01-02T03:04:05.678Z", 1_704_164_645_678),
            ("2024-01-02T04:04:05.678+01:00", 1_704_164_645_678),
            ("2024-01-02T01:34:05.678-0130", 1_704_164_645_678),
            ("2024-01-02T05:04:05+02", 1_704_164_645_000),
            ("1970-01-01T00:00:00.000", 0),
            ("2024-02-29T00:00", 1_709_164_800_000),
        ] as [(String, Int64)])
    func dateTime(text: String, millis: Int64) throws {
        #expect(try ResetTime.parseDateTime(text) == millis)
    }

    @Test(
        "a malformed --to-datetime names the expected format",
        arguments: [
            "2024-01-02", "2024-01-02 03:04:05", "2024-1-02T03:04", "2024-13-02T03:04", "2023-02-29T00:00",
            "2024-01-02T24:00", "2024-01-02T03:60", "2024-01-02T03:04:05.1234", "2024-01-02T03:04+1", "yesterday",
        ])
    func badDateTime(text: String) {
        let message =
            "Invalid --to-datetime '\(text)': expected the format YYYY-MM-DDTHH:mm:SS.sss, in UTC or followed by Z "
            + "or an offset like +01:00"
        #expect {
            try ResetTime.parseDateTime(text)
        } throws: { error in
            (error as? ValidationError)?.message == message
        }
    }

    @Test(
        "--by-duration: Java's Duration.parse, PnDTnHnMn.nS with an optional sign",
        arguments: [
            ("PT1H", 3_600_000), ("PT15M", 900_000), ("PT0.5S", 500), ("P1D", 86_400_000),
            ("P1DT2H3M4.005S", 93_784_005), ("-PT1M", -60_000), ("+PT2S", 2000), ("pt1h", 3_600_000),
            ("PT-30S", -30_000),
        ] as [(String, Int64)])
    func duration(text: String, millis: Int64) throws {
        #expect(try ResetTime.parseDuration(text) == millis)
    }

    @Test(
        "a malformed --by-duration names the expected format",
        arguments: ["", "P", "PT", "1H", "PT1D", "P1H", "PT1.5M", "PT1H2", "PTxS", "P1DT"])
    func badDuration(text: String) {
        let message = "Text cannot be parsed to a Duration: '\(text)' (expected the format PnDTnHnMnS)"
        #expect {
            try ResetTime.parseDuration(text)
        } throws: { error in
            (error as? ValidationError)?.message == message
        }
    }
}
