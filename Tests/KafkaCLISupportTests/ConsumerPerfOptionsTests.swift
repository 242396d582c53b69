import ArgumentParser
import KafkaCLISupport
import Testing

@Suite struct ConsumerPerfOptionsTests {
    static let base = ["--bootstrap-server", "localhost:9092", "--topic", "perf", "--messages", "10"]

    @Test("the consumer properties: the group, fetch size, reset and Kafka's fixed settings")
    func properties() throws {
        let options = try ConsumerPerfOptions.parse(
            Self.base + ["--group", "g", "--fetch-size", "4096", "--from-latest"])
        let properties = try options.resolveProperties()
        #expect(properties["bootstrap.servers"] == "localhost:9092")
        #expect(properties["group.id"] == "g")
        #expect(properties["max.partition.fetch.bytes"] == "4096")
        #expect(properties["auto.offset.reset"] == "latest")
        #expect(properties["check.crcs"] == "false")
        #expect(properties["client.id"] == "perf-consumer-client")
        let defaults = try ConsumerPerfOptions.parse(Self.base).resolveProperties()
        #expect(defaults["auto.offset.reset"] == "earliest")
        #expect(defaults["group.id"]?.hasPrefix("perf-consumer-") == true)
    }

    @Test(
        "Kafka's checks of the counts and the date format",
        arguments: [
            (["--messages=0"], "--messages must be positive, not 0."),
            (["--timeout=-1"], "--timeout must not be negative, not -1."),
            (["--reporting-interval", "0"], "Reporting interval must be greater than 0."),
            (
                ["--date-format", "yyyy Q"],
                "--date-format: unsupported pattern letter 'Q' in 'yyyy Q' (supported: y M d D H k h K m s S a E Z z)"
            ),
        ])
    func invalid(extra: [String], message: String) {
        do {
            _ = try ConsumerPerfOptions.parse(Self.base + extra)
            Issue.record("no error for \(extra)")
        } catch {
            #expect(ConsumerPerfOptions.message(for: error) == message)
        }
    }
}
