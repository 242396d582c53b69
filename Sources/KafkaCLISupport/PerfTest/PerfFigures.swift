/// The durations and tables of Kafka's perf tools.
package enum PerfFigures {
    /// `duration` in seconds, exactly.
    @inlinable
    package static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// `duration` in whole milliseconds (truncated toward zero).
    @inlinable
    package static func millis(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// `--print-metrics`: a blank line, `Metric Name : Value`, then a `name : value` line per row, the names padded
    /// to the longest.
    package static func metricsTable(_ rows: [(String, String)]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        return "\n" + pad("Metric Name", width) + " : Value\n"
            + rows.map { pad($0.0, width) + " : " + $0.1 }.joined(separator: "\n")
    }
}
