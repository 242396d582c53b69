/// Latencies counted per whole millisecond, for the percentiles Kafka's perf tools print.
///
/// Kafka's `ProducerPerformance` keeps up to 500,000 sampled latencies, sorts them at the end and prints
/// `sorted[Int(p * n)]` for each percentile `p`, in whole milliseconds. Rounding down to whole milliseconds keeps the
/// order of the samples, so counting them per millisecond and walking the counts gives the same numbers without
/// keeping the samples (2 MB for 500,000) or sorting them at the end of the run (which the run's time included).
package struct LatencyHistogram: Sendable {
    /// The longest latency counted in a bucket of its own; longer ones count as this long (ten minutes, far beyond
    /// any `delivery.timeout.ms` in use: the buckets up to it would take 2.4 MB).
    package static let maximumMilliseconds = 600_000

    /// How many latencies were recorded.
    package private(set) var count = 0
    /// `buckets[ms]`: how many latencies were `ms` whole milliseconds long (grown as needed).
    private var buckets: [UInt32] = []

    package init() {}

    /// Counts one latency of `microseconds` (negative counts as 0).
    package mutating func record(microseconds: Int) {
        let milliseconds = min(max(microseconds, 0) / 1000, Self.maximumMilliseconds)
        if milliseconds >= buckets.count {
            buckets.append(contentsOf: repeatElement(0, count: milliseconds - buckets.count + 1))
        }
        buckets[milliseconds] &+= 1
        count += 1
    }

    /// For each of `points` (fractions in 0...1), the latency at index `Int(point * count)` of the recorded latencies
    /// in increasing order (the last one at most), in whole milliseconds; 0 for each when none was recorded.
    package func percentiles(_ points: [Double]) -> [Int] {
        guard count > 0 else { return points.map { _ in 0 } }
        return points.map { point in
            let wanted = min(max(Int(point * Double(count)), 0), count - 1)
            var seen = 0
            for (milliseconds, bucket) in buckets.enumerated() {
                seen += Int(bucket)
                if seen > wanted { return milliseconds }
            }
            return buckets.count - 1  // not reached: the buckets hold `count` latencies
        }
    }
}
