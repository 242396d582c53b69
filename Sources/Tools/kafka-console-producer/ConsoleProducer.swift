import ArgumentParser
import Foundation
import KafkaCLISupport
import KafkaNetwork
import KafkaProducer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `kafka-console-producer`: one record per line of standard input, as Kafka's `kafka-console-producer.sh`.
@main
struct ConsoleProducer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-console-producer",
        abstract: "Read lines from standard input and send each as a record to a Kafka topic.",
        discussion: """
            Each line is one record (the value; with --property parse.key=true 'key<TAB>value'; with \
            parse.headers=true 'h1:v1,h2:v2<TAB>...'). Reader properties, as Kafka's LineMessageReader: \
            parse.key=false, key.separator=<TAB>, parse.headers=false, headers.delimiter=<TAB>, \
            headers.separator=',', headers.key.separator=':', null.marker=<unset> (a key, value or header \
            value equal to it is sent as null), ignore.error=false (a missing separator then gives a null \
            key / no headers instead of an error).

            A line that cannot be parsed or a record that cannot be delivered is reported on standard \
            error with its line number; the other lines are still sent. At end of input (or on SIGINT / \
            SIGTERM) every record is flushed before exit. Exit status: 0 when every line was delivered, \
            1 when any failed, 2 for bad arguments.
            """,
        version: KafkaClientConfiguration.packageVersion)

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "REQUIRED: The topic to produce messages to.")
    var topic: String

    @Flag(help: "Send each record synchronously, one at a time as they arrive.")
    var sync = false

    @Option(
        name: .customLong("compression-codec"), defaultAsFlag: "gzip", parsing: .next,
        help: ArgumentHelp(
            "The compression codec: none, gzip, snappy, lz4 or zstd; without a value gzip.",
            valueName: "codec"))
    var compressionCodec: String? = nil

    @Option(
        name: .customLong("batch-size"),
        help: ArgumentHelp("The batch size in bytes (batch.size; default 16384).", valueName: "size"))
    var batchSize: Int?

    @Option(
        name: .customLong("max-partition-memory-bytes"),
        help: ArgumentHelp("Also batch.size; overrides --batch-size (default 16384).", valueName: "bytes"))
    var maxPartitionMemoryBytes: Int?

    @Option(
        name: .customLong("message-send-max-retries"),
        help: ArgumentHelp("The producer's retries (default 3).", valueName: "n"))
    var messageSendMaxRetries: Int?

    @Option(
        name: .customLong("retry-backoff-ms"),
        help: ArgumentHelp("The producer's retry.backoff.ms (default 100).", valueName: "ms"))
    var retryBackoffMs: Int64?

    @Option(
        help: ArgumentHelp(
            "How long a record may wait for its batch to fill, in ms (linger.ms; default 1000).",
            valueName: "timeout_ms"))
    var timeout: Int64?

    @Option(
        name: .customLong("request-required-acks"),
        help: ArgumentHelp("The producer's acks: 0, 1, all or -1 (default -1).", valueName: "acks"))
    var requestRequiredAcks: String?

    @Option(
        name: .customLong("request-timeout-ms"),
        help: ArgumentHelp("The producer's request.timeout.ms (default 1500).", valueName: "ms"))
    var requestTimeoutMs: Int64?

    @Option(
        name: .customLong("metadata-expiry-ms"),
        help: ArgumentHelp("The producer's metadata.max.age.ms (default 300000).", valueName: "ms"))
    var metadataExpiryMs: Int64?

    @Option(
        name: .customLong("max-block-ms"),
        help: ArgumentHelp("How long a send may block for metadata or memory (default 60000).", valueName: "ms"))
    var maxBlockMs: Int64?

    @Option(
        name: .customLong("max-memory-bytes"),
        help: ArgumentHelp("The producer's buffer.memory (default 33554432).", valueName: "bytes"))
    var maxMemoryBytes: Int?

    @Option(
        name: .customLong("property"),
        help: ArgumentHelp("A line reader property key=value (repeatable; see below).", valueName: "prop"))
    var property: [String] = []

    @Option(
        name: .customLong("reader-config"),
        help: ArgumentHelp("A properties file for the line reader; --property takes precedence.", valueName: "file"))
    var readerConfig: String?

    @Option(
        name: .customLong("producer-property"),
        help: ArgumentHelp("A producer property key=value (repeatable).", valueName: "producer_prop"))
    var producerProperty: [String] = []

    @Option(
        name: .customLong("producer.config"),
        help: ArgumentHelp(
            "A producer properties file; --producer-property takes precedence.", valueName: "file"))
    var producerConfig: String?

    func validate() throws {
        if topic.isEmpty { throw ValidationError("--topic must not be empty") }
        if let compressionCodec,
            !["none", "gzip", "snappy", "lz4", "zstd"].contains(compressionCodec.lowercased())
        {
            throw ValidationError(
                "--compression-codec must be none, gzip, snappy, lz4 or zstd, not '\(compressionCodec)'")
        }
        _ = try KafkaTool.keyValues(property, option: "--property")
        _ = try KafkaTool.keyValues(producerProperty, option: "--producer-property")
    }

    /// The producer properties: --producer.config, then --producer-property, then the options (an option
    /// given on the command line wins; an option left out gives Kafka's console default unless the
    /// property was set), then --command-config and --bootstrap-server.
    func producerProperties() throws -> [String: String] {
        var properties: [String: String] = [:]
        if let producerConfig { properties = try PropertiesFile.load(path: producerConfig) }
        properties.merge(try KafkaTool.keyValues(producerProperty, option: "--producer-property")) { $1 }
        func merge(_ name: String, _ value: (any CustomStringConvertible)?, default fallback: String) {
            if let value {
                properties[name] = value.description
            } else if properties[name] == nil {
                properties[name] = fallback
            }
        }
        merge("compression.type", compressionCodec?.lowercased(), default: "none")
        merge("linger.ms", timeout, default: "1000")
        merge("acks", requestRequiredAcks, default: "-1")
        merge("request.timeout.ms", requestTimeoutMs, default: "1500")
        merge("retries", messageSendMaxRetries, default: "3")
        merge("retry.backoff.ms", retryBackoffMs, default: "100")
        merge("buffer.memory", maxMemoryBytes, default: "33554432")
        merge("batch.size", maxPartitionMemoryBytes ?? batchSize, default: "16384")
        merge("metadata.max.age.ms", metadataExpiryMs, default: "300000")
        merge("max.block.ms", maxBlockMs, default: "60000")
        if properties["client.id"] == nil { properties["client.id"] = "console-producer" }
        return try connection.clientProperties(extra: properties)
    }

    func run() async throws {
        var readerProperties: [String: String] = [:]
        if let readerConfig { readerProperties = try PropertiesFile.load(path: readerConfig) }
        readerProperties.merge(try KafkaTool.keyValues(property, option: "--property")) { $1 }
        let reader = try LineMessageReader(topic: topic, properties: readerProperties)
        let configuration = try KafkaProducerConfiguration(properties: try producerProperties())
        let servers = configuration.client.bootstrapServers.map(\.description).joined(separator: ",")
        let producer = try KafkaProducer(configuration: configuration)

        let input = StandardInputLines()
        let signals = await ShutdownSignals { input.stop() }
        let failures = FailureCount()
        var lineNumber = 0
        for await line in input.lines {
            input.taken()
            lineNumber += 1
            let record: ProducerRecord
            do {
                record = try reader.record(from: line[...], lineNumber: lineNumber)
            } catch {
                failures.report(error.description)
                continue
            }
            let number = lineNumber
            let topic = self.topic
            do {
                if sync {
                    _ = try await producer.send(record)
                } else {
                    try await producer.send(record) { result in
                        if case .failure(let error) = result {
                            failures.report(Self.sendFailure(line: number, topic: topic, error: error))
                        }
                    }
                }
            } catch  where Self.stopsInput(error) {
                // The topic never appeared in metadata within max.block.ms (the cluster is unreachable or the
                // topic does not exist), or the producer cannot go on: every further line would fail the same way
                // after another max.block.ms, so the remaining input is not read.
                failures.report(
                    Self.sendFailure(line: number, topic: topic, error: error)
                        + " (bootstrap servers \(servers)); the remaining input was not sent")
                input.stop()
                break
            } catch {
                failures.report(Self.sendFailure(line: number, topic: topic, error: error))
            }
        }
        await producer.flush()
        await producer.close()
        signals.cancel()
        if failures.count > 0 { throw ExitCode.failure }
    }

    /// Whether a failure of `send` itself means later records would fail alike: the topic's metadata did not
    /// arrive within `max.block.ms`, or the producer is closed or failed for good.
    static func stopsInput(_ error: KafkaProducerError) -> Bool {
        switch error.kind {
        case .unknownTopic, .closed, .fatal, .network: true
        default: false
        }
    }

    static func sendFailure(line: Int, topic: String, error: any Error) -> String {
        "Error when sending the record on line number \(line) to topic \(topic): \(KafkaTool.oneLine(error))"
    }
}

/// Counts failed lines and reports each on standard error; called from the producer's sender too.
final class FailureCount: @unchecked Sendable {
    private let lock = NSLock()
    private var failed = 0

    var count: Int { lock.withLock { failed } }

    func report(_ message: String) {
        lock.withLock { failed += 1 }
        KafkaTool.printError("kafka-console-producer: \(message)")
    }
}

/// Standard input, line by line (`\n` or `\r\n` terminated; a last line without terminator counts),
/// read on a thread of its own so that a terminal waiting for input never holds up the producer, with
/// at most a few thousand lines read ahead.
final class StandardInputLines: Sendable {
    let lines: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation

    init() {
        let (lines, continuation) = AsyncStream.makeStream(
            of: [UInt8].self, bufferingPolicy: .unbounded)
        self.lines = lines
        self.continuation = continuation
        // Created at 0 and raised to 4096: libdispatch traps when a semaphore is freed below its initial value,
        // which lines read ahead but never taken (input stopped early) would otherwise cause.
        let slots = DispatchSemaphore(value: 0)
        for _ in 0..<4096 { slots.signal() }
        self.slots = slots
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            func emit(_ line: [UInt8]) {
                var line = line
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                slots.wait()
                continuation.yield(line)
            }
            reading: while true {
                let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    break reading
                }
                if count == 0 { break reading }
                var start = 0
                while let newline = buffer[start..<count].firstIndex(of: UInt8(ascii: "\n")) {
                    pending.append(contentsOf: buffer[start..<newline])
                    emit(pending)
                    pending.removeAll(keepingCapacity: true)
                    start = newline + 1
                }
                pending.append(contentsOf: buffer[start..<count])
            }
            if !pending.isEmpty { emit(pending) }
            continuation.finish()
        }
        thread.start()
    }

    private let slots: DispatchSemaphore

    /// Lets the reader thread read one more line ahead: call once per line taken from ``lines``.
    func taken() { slots.signal() }

    /// Ends the stream: lines not yet taken are dropped.
    func stop() { continuation.finish() }
}
