package import ArgumentParser
import KafkaNetwork
package import NIOCore

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The options of `kafka-producer-perf-test` (Kafka's `ProducerPerformance`), their validation, the producer
/// properties and the payloads they make.
package struct ProducerPerfOptions: ParsableArguments {
    package init() {}

    @Option(name: .customLong("topic"), help: ArgumentHelp("Produce messages to this topic.", valueName: "TOPIC"))
    package var topic: String

    @Option(
        name: .customLong("num-records"), help: ArgumentHelp("Number of messages to produce.", valueName: "NUM-RECORDS")
    )
    package var numRecords: Int

    @Option(
        name: .customLong("record-size"),
        help: ArgumentHelp(
            "Message size in bytes. Exactly one of --record-size, --payload-file or --payload-monotonic.",
            valueName: "RECORD-SIZE"))
    package var recordSize: Int?

    @Option(
        name: .customLong("payload-file"),
        help: ArgumentHelp(
            "File to read the message payloads from (UTF-8), split by --payload-delimiter; each record takes "
                + "one at random.",
            valueName: "PAYLOAD-FILE"))
    package var payloadFile: String?

    @Option(
        name: .customLong("payload-delimiter"),
        help: ArgumentHelp(
            "Delimiter between payloads in --payload-file (\\n, \\r, \\t and \\\\ are escapes).",
            valueName: "PAYLOAD-DELIMITER"))
    package var payloadDelimiter: String = "\\n"

    @Flag(
        name: .customLong("payload-monotonic"),
        help: "The payload of each record is its number (0, 1, 2, ...) as text.")
    package var payloadMonotonic: Bool = false

    @Option(
        name: .customLong("throughput"), parsing: .unconditional,
        help: ArgumentHelp(
            "Throttle to approximately THROUGHPUT messages/sec. Set this to -1 to disable throttling.",
            valueName: "THROUGHPUT"))
    package var throughput: Double

    @Option(
        name: .customLong("producer-props"), parsing: .upToNextOption,
        help: ArgumentHelp(
            "Producer settings, such as bootstrap.servers=localhost:9092 acks=1. They override "
                + "--producer.config.",
            valueName: "PROP-NAME=PROP-VALUE"))
    package var producerProps: [String] = []

    @Option(
        name: .customLong("producer.config"),
        help: ArgumentHelp("Producer settings in a Java properties file.", valueName: "CONFIG-FILE"))
    package var producerConfig: String?

    @Option(
        name: .customLong("bootstrap-server"),
        help: ArgumentHelp(
            "The brokers to connect to; sets bootstrap.servers (overrides the other sources).",
            valueName: "HOST:PORT[,...]"))
    package var bootstrapServer: String?

    @Flag(name: .customLong("print-metrics"), help: "Print a short metrics summary at the end.")
    package var printMetrics: Bool = false

    @Option(
        name: .customLong("transactional-id"),
        help: ArgumentHelp(
            "The transactional id to use (transactions are not supported by this producer yet).",
            valueName: "TRANSACTIONAL-ID"))
    package var transactionalID: String?

    @Option(
        name: .customLong("transaction-duration-ms"),
        help: ArgumentHelp(
            "The maximum age of each transaction (transactions are not supported by this producer yet).",
            valueName: "TRANSACTION-DURATION"))
    package var transactionDurationMs: Int?

    package func validate() throws {
        let sources = [recordSize != nil, payloadFile != nil, payloadMonotonic].filter { $0 }.count
        guard sources == 1 else {
            throw ValidationError(
                "Exactly one of --record-size, --payload-file or --payload-monotonic must be specified.")
        }
        guard numRecords > 0 else { throw ValidationError("--num-records must be positive, not \(numRecords).") }
        if let recordSize, recordSize <= 0 {
            throw ValidationError("--record-size must be positive, not \(recordSize).")
        }
        guard throughput != 0, !throughput.isNaN else {
            throw ValidationError("--throughput must be positive, or -1 to disable throttling.")
        }
        guard !PayloadFile.unescape(payloadDelimiter).isEmpty else {
            throw ValidationError("--payload-delimiter must not be empty.")
        }
        if let transactionDurationMs, transactionDurationMs <= 0 {
            throw ValidationError("--transaction-duration-ms must be positive, not \(transactionDurationMs).")
        }
        for property in producerProps where !property.contains("=") {
            throw ValidationError("Invalid property: \(property) (expected name=value).")
        }
    }

    // MARK: - Settings

    /// --producer.config, then --producer-props, then --bootstrap-server, then KAFKA_BOOTSTRAP_SERVERS.
    package func resolveProperties() throws -> [String: String] {
        var properties: [String: String] = [:]
        if let producerConfig {
            properties = try PropertiesFile.load(path: producerConfig)
        }
        for property in producerProps {
            guard let equals = property.firstIndex(of: "=") else { throw ToolError("Invalid property: \(property)") }
            properties[String(property[..<equals])] = String(property[property.index(after: equals)...])
        }
        if let bootstrapServer {
            properties["bootstrap.servers"] = bootstrapServer
        }
        if properties["bootstrap.servers", default: ""].isEmpty {
            if let value = getenv("KAFKA_BOOTSTRAP_SERVERS").map({ String(cString: $0) }), !value.isEmpty {
                properties["bootstrap.servers"] = value
            } else {
                throw ToolError(
                    "no bootstrap servers: use --bootstrap-server, --producer-props bootstrap.servers=..., "
                        + "--producer.config or KAFKA_BOOTSTRAP_SERVERS")
            }
        }
        return properties
    }

    // MARK: - Payloads

    /// The payloads: one buffer of --record-size letters, or the parts of --payload-file (none with
    /// --payload-monotonic).
    /// The payloads as slices of one buffer: picking one at random per record then retains and releases one
    /// storage object that stays in the cache, where separate buffers made each pick a cache miss on a random
    /// object's reference count (about a tenth of the tool's CPU time with 10,000 payloads).
    static func slicesOfOneBuffer(_ payloads: [String]) -> [ByteBuffer] {
        var all = ByteBufferAllocator().buffer(capacity: payloads.reduce(0) { $0 + $1.utf8.count })
        var ranges: [(start: Int, length: Int)] = []
        ranges.reserveCapacity(payloads.count)
        for payload in payloads {
            ranges.append((all.writerIndex, all.writeString(payload)))
        }
        // Cannot fail: every range lies within what was just written.
        return ranges.map { all.getSlice(at: $0.start, length: $0.length) ?? ByteBuffer() }
    }

    package func loadPayloads() throws -> [ByteBuffer] {
        if let recordSize {
            // As Kafka: uppercase letters chosen once, from a generator seeded with 0.
            var random = PerfRandom(seed: 0)
            var buffer = ByteBufferAllocator().buffer(capacity: recordSize)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: recordSize) { raw in
                for offset in 0..<recordSize { raw[offset] = 65 + UInt8(random.next() % 26) }
                return recordSize
            }
            return [buffer]
        }
        if let payloadFile {
            let text = try PayloadFile.read(payloadFile)
            var parts = PayloadFile.split(text, by: PayloadFile.unescape(payloadDelimiter))
            // Java's String.split drops trailing empty strings.
            while parts.last?.isEmpty == true { parts.removeLast() }
            guard !parts.isEmpty else { throw ToolError("\(payloadFile): no payloads found") }
            print("Reading payloads from: \(payloadFile)")
            print("Number of messages read: \(parts.count)")
            return Self.slicesOfOneBuffer(parts)
        }
        return []
    }
}
