extension Duration {
    /// Whole milliseconds (rounded toward zero), clamped to `Int64`.
    package var clampedMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !sumOverflow else { return scaled < 0 ? .min : .max }
        return sum
    }

    /// Whole nanoseconds (rounded toward zero), clamped to `Int64`.
    package var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !sumOverflow else { return scaled < 0 ? .min : .max }
        return sum
    }
}
