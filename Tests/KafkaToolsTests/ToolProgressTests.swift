import Foundation
import KafkaAdmin
import KafkaCLISupport
import KafkaDevCluster
import KafkaNetwork
import Testing

/// The progress line of long operations (`Sources/KafkaCLISupport/Progress.swift`): its text, throttling and
/// erasing with an injected writer and clock, and that the tools print it only when standard error is a terminal.
@Suite("progress line", .timeLimit(.minutes(3)))
struct ToolProgressTests {
    /// Collects what a progress line writes, with a clock the test moves.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var written: [String] = []
        private var instant = ContinuousClock.now

        var output: [String] { lock.withLock { written } }
        func write(_ text: String) { lock.withLock { written.append(text) } }
        func now() -> ContinuousClock.Instant { lock.withLock { instant } }
        func advance(_ duration: Duration) { lock.withLock { instant += duration } }
    }

    static func line(_ recorder: Recorder, total: Int? = 600, terminal: Bool = true) -> ProgressLine {
        ProgressLine(
            label: "resetting offsets", unit: "partitions", total: total, isTerminal: terminal,
            interval: .milliseconds(100), now: { recorder.now() }, write: { recorder.write($0) })
    }

    @Test("redraws in place with \\r, throttled, always drawing the final count, then erases the line")
    func output() {
        let recorder = Recorder()
        let progress = Self.line(recorder)
        progress.update(120)
        progress.update(130)  // within 100 ms: skipped
        recorder.advance(.milliseconds(150))
        progress.update(599)
        progress.update(600)  // the final count is drawn at once
        progress.finish()
        let blank = String(repeating: " ", count: "resetting offsets: 600/600 partitions".count)
        #expect(
            recorder.output == [
                "\rresetting offsets: 120/600 partitions", "\rresetting offsets: 599/600 partitions",
                "\rresetting offsets: 600/600 partitions", "\r\(blank)\r",
            ])
    }

    @Test("a shorter line pads over the longer one; without a total only the count is shown")
    func padding() {
        let recorder = Recorder()
        let progress = Self.line(recorder, total: nil)
        progress.update(1000)
        recorder.advance(.milliseconds(200))
        progress.update(5)
        #expect(recorder.output == ["\rresetting offsets: 1000 partitions", "\rresetting offsets: 5 partitions   "])
        #expect(progress.text(7) == "resetting offsets: 7 partitions")
    }

    @Test("nothing at all is written when standard error is not a terminal")
    func notTerminal() {
        let recorder = Recorder()
        let progress = Self.line(recorder, terminal: false)
        progress.update(1)
        progress.update(600)
        progress.finish()
        #expect(recorder.output.isEmpty)
    }

    @Test("finish without a drawn line writes nothing")
    func finishWithoutLine() {
        let recorder = Recorder()
        Self.line(recorder).finish()
        #expect(recorder.output.isEmpty)
    }

    // MARK: - The tools

    /// `kafka-consumer-groups --reset-offsets --execute` over many partitions and `kafka-topics --delete` of many
    /// topics with standard error a pipe: no progress text, not even a carriage return.
    @Test("the tools print no progress when standard error is a pipe")
    func noProgressOnPipe() async throws {
        var topics: [String: Int32] = ["wide": 600]
        for index in 0..<150 { topics["doomed-\(index)"] = 1 }
        try await withDevCluster(topics: topics) { cluster in
            let bootstrap = ["--bootstrap-server", cluster.bootstrapServers]
            let reset = try await ToolRunner.run(
                "kafka-consumer-groups",
                bootstrap + ["--reset-offsets", "--group", "g", "--topic", "wide", "--to-earliest", "--execute"])
            #expect(reset.status == 0, "\(reset.stderr)")
            #expect(reset.stderr.isEmpty, "\(reset.stderr)")
            #expect(reset.stdout.split(separator: "\n").count == 601)  // header + 600 partitions
            #expect(!reset.stdout.contains("\r"))

            let deleted = try await ToolRunner.run("kafka-topics", bootstrap + ["--delete", "--topic", "doomed-.*"])
            #expect(deleted.status == 0, "\(deleted.stderr)")
            #expect(deleted.stderr.isEmpty, "\(deleted.stderr)")
            #expect(deleted.stdout.isEmpty, "\(deleted.stdout)")
            let left = try await ToolRunner.run("kafka-topics", bootstrap + ["--list"])
            #expect(left.stdout == "wide\n", "\(left.stdout)")
        }
    }

    /// The same deletion on a terminal (`script` gives the tool a pseudo-terminal): the progress line appears and
    /// is erased.
    @Test(
        "kafka-topics --delete shows the progress line on a terminal",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func progressOnTerminal() async throws {
        var topics: [String: Int32] = [:]
        for index in 0..<150 { topics["doomed-\(index)"] = 1 }
        try await withDevCluster(topics: topics) { cluster in
            let tool = try ToolRunner.executable("kafka-topics").path
            let command = "\(tool) --bootstrap-server \(cluster.bootstrapServers) --delete --topic 'doomed-.*'"
            let outcome = try await ToolRunner.runProgram("/usr/bin/script", ["-qec", command, "/dev/null"])
            #expect(outcome.status == 0, "\(outcome.stdout)")
            #expect(outcome.stdout.contains("\rdeleting topics: 150/150 topics"), "\(outcome.stdout.debugDescription)")
            #expect(outcome.stdout.hasSuffix("\r"), "\(outcome.stdout.debugDescription)")
        }
    }
}
