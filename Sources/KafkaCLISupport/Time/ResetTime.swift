import ArgumentParser
import Foundation

/// `--to-datetime` and `--by-duration`.
package enum ResetTime {
    /// Milliseconds since the epoch of `YYYY-MM-DDTHH:mm[:SS[.sss]]`, in UTC unless followed by `Z` or `±hh[:mm]`.
    ///
    /// - Throws: `ValidationError` for another format.
    package static func parseDateTime(_ text: String) throws -> Int64 {
        let invalid = ValidationError(
            "Invalid --to-datetime '\(text)': expected the format YYYY-MM-DDTHH:mm:SS.sss, in UTC or followed by "
                + "Z or an offset like +01:00")
        let scalars = Array(text)
        // The zone: a trailing Z, or a sign after the 'T' followed by hh[:mm] or hhmm.
        guard let tIndex = scalars.firstIndex(of: "T") else { throw invalid }
        var body = scalars
        var offsetSeconds = 0
        if body.last == "Z" || body.last == "z" {
            body.removeLast()
        } else if let signIndex = body.lastIndex(where: { $0 == "+" || $0 == "-" }), signIndex > tIndex {
            let zone = String(body[(signIndex + 1)...]).replacingOccurrences(of: ":", with: "")
            guard zone.count == 2 || zone.count == 4, let value = Int(zone), value >= 0 else { throw invalid }
            let hours = zone.count == 2 ? value : value / 100
            let minutes = zone.count == 2 ? 0 : value % 100
            guard hours < 24, minutes < 60 else { throw invalid }
            offsetSeconds = (hours * 3600 + minutes * 60) * (body[signIndex] == "-" ? -1 : 1)
            body.removeSubrange(signIndex...)
        }
        let date = String(body[..<tIndex])
        let time = String(body[(tIndex + 1)...])
        let dateParts = date.split(separator: "-", omittingEmptySubsequences: false)
        guard dateParts.count == 3, dateParts[0].count == 4, dateParts[1].count == 2, dateParts[2].count == 2,
            let year = Int(dateParts[0]), let month = Int(dateParts[1]), let day = Int(dateParts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { throw invalid }
        var secondsText = "0"
        var millis = 0
        let timeParts = time.split(separator: ":", omittingEmptySubsequences: false)
        guard timeParts.count == 2 || timeParts.count == 3, timeParts[0].count == 2, timeParts[1].count == 2,
            let hour = Int(timeParts[0]), let minute = Int(timeParts[1]), hour < 24, minute < 60
        else { throw invalid }
        if timeParts.count == 3 {
            let secondsPart = timeParts[2].split(separator: ".", omittingEmptySubsequences: false)
            guard secondsPart.count <= 2, secondsPart[0].count == 2 else { throw invalid }
            secondsText = String(secondsPart[0])
            if secondsPart.count == 2 {
                let fraction = secondsPart[1]
                guard (1...3).contains(fraction.count), let value = Int(fraction) else { throw invalid }
                millis = value * [1, 100, 10, 1][fraction.count]
            }
        }
        guard let second = Int(secondsText), second < 60 else { throw invalid }
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(secondsFromGMT: 0) else { throw invalid }
        calendar.timeZone = utc
        let components = DateComponents(
            calendar: calendar, timeZone: utc, year: year, month: month, day: day, hour: hour, minute: minute,
            second: second)
        guard components.isValidDate, let instant = calendar.date(from: components) else { throw invalid }
        let seconds = Int64(instant.timeIntervalSince1970.rounded()) - Int64(offsetSeconds)
        return seconds * 1000 + Int64(millis)
    }

    /// The length in milliseconds of an ISO-8601 duration `PnDTnHnMn.nS` (Java's `Duration.parse`), with an
    /// optional leading sign.
    ///
    /// - Throws: `ValidationError` for another format.
    package static func parseDuration(_ text: String) throws -> Int64 {
        let invalid = ValidationError("Text cannot be parsed to a Duration: '\(text)' (expected the format PnDTnHnMnS)")
        var rest = Substring(text.uppercased())
        var sign: Double = 1
        if rest.first == "-" || rest.first == "+" {
            if rest.first == "-" { sign = -1 }
            rest = rest.dropFirst()
        }
        guard rest.first == "P" else { throw invalid }
        rest = rest.dropFirst()
        var total = 0.0
        var inTime = false
        var number = ""
        var sawUnit = false
        var sawTimeUnit = false
        for character in rest {
            switch character {
            case "T":
                guard !inTime, number.isEmpty else { throw invalid }
                inTime = true
            case "0"..."9", ".", "-", "+":
                number.append(character)
            case "D", "H", "M", "S":
                guard let value = Double(number), value.isFinite else { throw invalid }
                if character == "D" && inTime { throw invalid }
                if character != "D" && !inTime { throw invalid }
                if character != "S" && number.contains(".") { throw invalid }
                let unit: Double =
                    switch character {
                    case "D": 86_400
                    case "H": 3600
                    case "M": 60
                    default: 1
                    }
                total += value * unit
                number = ""
                sawUnit = true
                if inTime { sawTimeUnit = true }
            default:
                throw invalid
            }
        }
        guard number.isEmpty, sawUnit, !inTime || sawTimeUnit else { throw invalid }
        return Int64((sign * total * 1000).rounded())
    }
}
