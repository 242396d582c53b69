import ArgumentParser
import Foundation
import KafkaCLISupport
import NIOCore
import Testing

@Suite struct ProducerPerfOptionsTests {
    static let base = ["--topic", "perf", "--num-records", "10", "--throughput", "-1"]

    static func message(_ arguments: [String]) -> String? {
        do {
            _ = try ProducerPerfOptions.parse(arguments)
            return nil
        } catch {
            return ProducerPerfOptions.message(for: error)
        }
    }

    @Test(
        "Kafka's checks of the payload source, counts and properties",
        arguments: [
            ([], "Exactly one of --record-size, --payload-file or --payload-monotonic must be specified."),
            (
                ["--record-size", "10", "--payload-monotonic"],
                "Exactly one of --record-size, --payload-file or --payload-monotonic must be specified."
            ),
            (["--record-size", "0"], "--record-size must be positive, not 0."),
            (["--record-size", "1", "--payload-delimiter", ""], "--payload-delimiter must not be empty."),
            (["--record-size", "1", "--producer-props", "acks"], "Invalid property: acks (expected name=value)."),
        ])
    func invalid(extra: [String], message: String) {
        #expect(Self.message(Self.base + extra) == message)
    }

    @Test("--producer.config, then --producer-props, then --bootstrap-server")
    func properties() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("perf-\(UUID()).properties")
        try "acks=0\nlinger.ms=9\nbootstrap.servers=file:1\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let options = try ProducerPerfOptions.parse(
            Self.base + [
                "--record-size", "3", "--producer.config", file.path, "--producer-props", "acks=1", "batch.size=5",
                "--bootstrap-server", "cli:2",
            ])
        #expect(
            try options.resolveProperties() == [
                "acks": "1", "linger.ms": "9", "batch.size": "5", "bootstrap.servers": "cli:2",
            ])
    }

    @Test("--record-size: one payload of uppercase letters, the same for every run")
    func recordSize() throws {
        let payloads = try ProducerPerfOptions.parse(Self.base + ["--record-size", "8"]).loadPayloads()
        #expect(payloads.count == 1)
        let text = String(buffer: payloads[0])
        #expect(text.count == 8)
        #expect(text.allSatisfy { ("A"..."Z").contains($0) })
        #expect(try ProducerPerfOptions.parse(Self.base + ["--record-size", "8"]).loadPayloads() == payloads)
    }

    @Test("--payload-file: split at the delimiter, trailing empty payloads dropped as Java's String.split does")
    func payloadFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("payloads-\(UUID()).txt")
        try "one|two||three||".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let payloads = try ProducerPerfOptions.parse(
            Self.base + ["--payload-file", file.path, "--payload-delimiter", "|"]
        ).loadPayloads()
        #expect(payloads.map { String(buffer: $0) } == ["one", "two", "", "three"])
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID()).txt")
        try "\n\n".write(to: empty, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: ToolError("\(empty.path): no payloads found")) {
            try ProducerPerfOptions.parse(Self.base + ["--payload-file", empty.path]).loadPayloads()
        }
    }
}
