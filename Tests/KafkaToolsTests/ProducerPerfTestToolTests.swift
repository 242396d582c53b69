import Foundation
import KafkaTestSupport
import Testing

/// `kafka-producer-perf-test` against librdkafka's mock cluster: what it sends arrives, and it prints Kafka's lines.
@Suite("kafka-producer-perf-test on librdkafka's mock cluster", .timeLimit(.minutes(3)), .enabled(if: Kcat.runsTests))
struct ProducerPerfTestToolTests {
    /// Kafka's summary line: `N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, …`.
    static var summary: Regex<(Substring, Substring, Substring, Substring, Substring, Substring, Substring, Substring)>
    {
        #/^(\d+) records sent, [0-9.]+ records/sec \([0-9.]+ MB/sec\), ([0-9.]+) ms avg latency, ([0-9.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/#
    }

    @Test("every record arrives, and the summary line has Kafka's shape with consistent latencies")
    func sendsEveryRecord() async throws {
        let mock = try MockKafkaCluster(brokers: 3)
        try mock.createTopic("perf", partitions: 6)
        let run = try await ToolRunner.run(
            "kafka-producer-perf-test",
            [
                "--topic", "perf", "--num-records", "30000", "--record-size", "100", "--throughput", "-1",
                "--producer-props", "bootstrap.servers=\(mock.bootstrapServers)", "acks=all", "compression.type=lz4",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let last = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        let match = try #require(try Self.summary.wholeMatch(in: last), "not Kafka's summary line: \(last)")
        #expect(match.output.1 == "30000")
        let average = try #require(Double(match.output.2))
        let maximum = try #require(Double(match.output.3))
        let percentiles = [match.output.4, match.output.5, match.output.6, match.output.7].compactMap { Int($0) }
        #expect(average <= maximum)
        #expect(percentiles == percentiles.sorted(), "percentiles out of order: \(last)")
        #expect(Double(percentiles[3]) <= maximum + 1)

        let stored = try await Kcat.consume(bootstrap: mock.bootstrapServers, topic: "perf")
        #expect(stored.count == 30000)
        #expect(stored.allSatisfy { $0.value?.count == 100 && $0.key == nil })
    }

    @Test("records the producer fails are counted and reported: exit 1 and one line naming the broker's error")
    func failedRecordsAreReported() async throws {
        let mock = try MockKafkaCluster(brokers: 1)
        try mock.createTopic("refused", partitions: 1)
        // INVALID_RECORD is final: the first produce request's batch fails (timed and untimed records alike), the
        // mock accepts the rest. (MESSAGE_TOO_LARGE is not: the batch would be split and resent, as in Java.)
        mock.pushRequestErrors(.produce, [.invalidRecord])
        let run = try await ToolRunner.run(
            "kafka-producer-perf-test",
            [
                "--topic", "refused", "--num-records", "2000", "--record-size", "10", "--throughput", "-1",
                "--producer-props", "bootstrap.servers=\(mock.bootstrapServers)", "linger.ms=50",
            ])
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        let line = try #require(
            run.stderr.split(separator: "\n").first { $0.contains("record(s) failed; first error:") }, "\(run.stderr)")
        #expect(line.contains("INVALID_RECORD"), "\(line)")
        let failed = try #require(Int(line.split(separator: ":")[1].split(separator: " ")[0]), "\(line)")
        #expect(failed > 0 && failed <= 2000)
        // Every other record was acknowledged: the summary counts exactly those.
        let summary = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        let match = try #require(try Self.summary.wholeMatch(in: summary), "\(summary)")
        #expect(Int(match.output.1) == 2000 - failed)
    }

    @Test("a throttled run prints a window line every 5 seconds, and sends at about the asked rate")
    func throttledRunPrintsWindows() async throws {
        let mock = try MockKafkaCluster(brokers: 1)
        try mock.createTopic("slow", partitions: 1)
        let started = ContinuousClock.now
        let run = try await ToolRunner.run(
            "kafka-producer-perf-test",
            [
                "--topic", "slow", "--num-records", "7000", "--record-size", "10", "--throughput", "1000",
                "--producer-props", "bootstrap.servers=\(mock.bootstrapServers)",
            ])
        let elapsed = ContinuousClock.now - started
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let windows = lines.filter { $0.contains("ms max latency.") }
        #expect(windows.count >= 1, "no window line in: \(run.stdout)")
        for window in windows {
            #expect(
                window.wholeMatch(
                    of:
                        #/^\d+ records sent, [0-9.]+ records/sec \([0-9.]+ MB/sec\), [0-9.]+ ms avg latency, [0-9.]+ ms max latency\.$/#
                ) != nil, "\(window)")
        }
        #expect(lines.last.flatMap { try? Self.summary.wholeMatch(in: $0) }?.output.1 == "7000")
        // 7000 records at 1000 records/s: about 7 seconds, not a burst.
        #expect(elapsed >= .seconds(6), "took \(elapsed)")
    }
}
