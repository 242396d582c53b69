import KafkaCLISupport
import KafkaTestSupport
import Testing

/// The perf tool's percentiles from per-millisecond counts are Kafka's: `sorted[Int(p * n)]` of the samples, in whole
/// milliseconds.
@Suite(.timeLimit(.minutes(5))) struct LatencyHistogramTests {
    static let points = [0.5, 0.95, 0.99, 0.999]

    /// Kafka's `ProducerPerformance.percentiles`, on microsecond samples.
    static func kafkaPercentiles(_ microseconds: [Int], _ points: [Double]) -> [Int] {
        let sorted = microseconds.sorted()
        return points.map { sorted[min(Int($0 * Double(sorted.count)), sorted.count - 1)] / 1000 }
    }

    @Test(arguments: [1, 2, 3, 7, 999, 1000, 1001, 20_000])
    func matchesSortingTheSamples(count: Int) {
        var random = SplitMix64(seed: UInt64(count))
        for shape in 0..<3 {
            let samples = (0..<count).map { _ -> Int in
                let draw = Int(random.next() % 1_000_000)
                switch shape {
                case 0: return draw % 5_000  // all within 5 ms: many ties per bucket
                case 1: return draw * 50  // up to 50 s, sparse
                default: return draw % 7 == 0 ? draw * 20 : draw % 30_000  // a long tail
                }
            }
            var histogram = LatencyHistogram()
            for sample in samples { histogram.record(microseconds: sample) }
            #expect(histogram.count == count)
            #expect(
                histogram.percentiles(Self.points) == Self.kafkaPercentiles(samples, Self.points),
                "count \(count), shape \(shape)")
            #expect(histogram.percentiles([0, 1]) == Self.kafkaPercentiles(samples, [0, 1]))
        }
    }

    @Test func emptyGivesZeros() {
        #expect(LatencyHistogram().percentiles(Self.points) == [0, 0, 0, 0])
    }

    @Test func negativeAndHugeLatenciesAreClamped() {
        var histogram = LatencyHistogram()
        histogram.record(microseconds: -5)
        histogram.record(microseconds: Int.max)
        #expect(histogram.percentiles([0, 0.999]) == [0, LatencyHistogram.maximumMilliseconds])
    }
}
