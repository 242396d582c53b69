import ArgumentParser
import Foundation
import KafkaCLISupport
import KafkaConsumer
import KafkaNetwork
import KafkaProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `kafka-console-consumer`: prints the records of topics, as Kafka's `kafka-console-consumer.sh`.
@main
struct ConsoleConsumer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-console-consumer",
        abstract: "Read records from Kafka topics and print them on standard output.",
        discussion: """
            With --topic or --include the consumer joins a group (--group, or a random \
            console-consumer-NNNNN group that commits nothing) and starts where the group committed, else \
            at the end (at the beginning with --from-beginning). With --partition it reads that partition \
            of --topic alone, from --offset (earliest, latest (default) or a number).

            Output (Kafka's DefaultMessageFormatter) is controlled by --property: print.timestamp, \
            print.partition, print.offset, print.headers, print.key, print.value (true|false), \
            key.separator (TAB), line.separator (newline), headers.separator (,), null.literal (null); \
            columns come in that order, e.g. 'CreateTime:1700000000000<TAB>Partition:0<TAB>Offset:5<TAB>key<TAB>value'. \
            --format takes a kcat-style pattern instead: %t topic, %p partition, %o offset, %k key, \
            %s value, %h headers (name=value,...), %T timestamp, %K / %S key / value length, %%, and the \
            escapes \\n \\r \\t \\\\ (a null key or value prints as nothing). --json prints one JSON object \
            per record: topic, partition, offset, timestamp, timestampType, key, value, headers \
            ([{"key":...,"value":...}]); a key or value that is not valid UTF-8 is base64 with \
            "keyEncoding"/"valueEncoding":"base64" beside it; null stays null.

            It stops after --max-messages records, after --timeout-ms without a record, or on SIGINT / \
            SIGTERM; then it commits what it printed (with --group), leaves the group, prints 'Processed a \
            total of N messages' on standard error and exits 0. Errors exit 1, bad arguments 2.
            """,
        version: KafkaClientConfiguration.packageVersion)

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic to consume.")
    var topic: String?

    @Option(help: ArgumentHelp("A regular expression of the topics to consume (whole names).", valueName: "regex"))
    var include: String?

    @Option(help: ArgumentHelp("The consumer group (default: a random console-consumer-NNNNN).", valueName: "id"))
    var group: String?

    @Flag(
        name: .customLong("from-beginning"),
        help: "Without a committed offset, start at the earliest record rather than the latest.")
    var fromBeginning = false

    @Option(help: ArgumentHelp("Read only this partition of --topic (no group membership).", valueName: "n"))
    var partition: Int32?

    @Option(
        help: ArgumentHelp(
            "With --partition: earliest, latest or an offset to start from (default latest).", valueName: "offset"))
    var offset: String?

    @Option(
        name: .customLong("max-messages"),
        help: ArgumentHelp("Exit after this many records (default: no limit).", valueName: "n"))
    var maxMessages: Int?

    @Option(
        name: .customLong("timeout-ms"),
        help: ArgumentHelp("Exit when no record arrived for this many milliseconds.", valueName: "ms"))
    var timeoutMs: Int64?

    @Option(
        name: .customLong("isolation-level"),
        help: ArgumentHelp("read_committed or read_uncommitted (default).", valueName: "level"))
    var isolationLevel: String?

    @Option(
        name: [.customLong("consumer-property"), .customLong("command-property")],
        help: ArgumentHelp("A consumer property key=value (repeatable).", valueName: "consumer_prop"))
    var consumerProperty: [String] = []

    @Option(
        name: .customLong("consumer.config"),
        help: ArgumentHelp("A consumer properties file; --consumer-property takes precedence.", valueName: "file"))
    var consumerConfig: String?

    @Option(
        name: [.customLong("property"), .customLong("formatter-property")],
        help: ArgumentHelp("A formatter property key=value (repeatable; see below).", valueName: "prop"))
    var property: [String] = []

    @Option(
        name: .customLong("formatter-config"),
        help: ArgumentHelp("A formatter properties file; --property takes precedence.", valueName: "file"))
    var formatterConfig: String?

    @Option(help: ArgumentHelp("A kcat-style output pattern (see below).", valueName: "pattern"))
    var format: String?

    @Flag(help: "Print each record as one JSON object per line (see below).")
    var json = false

    /// Where the records start when --partition is given.
    enum StartOffset: Equatable {
        case earliest, latest
        case offset(Int64)
    }

    func validate() throws {
        if (topic == nil) == (include == nil) {
            throw ValidationError("Exactly one of --topic or --include is required")
        }
        if partition != nil {
            if topic == nil { throw ValidationError("The topic is required when partition is specified.") }
            // As Kafka's console consumer: a partition is read without group membership.
            if group != nil { throw ValidationError("Options group and partition cannot be specified together.") }
            if fromBeginning && offset != nil {
                throw ValidationError("Options from-beginning and offset cannot be specified together.")
            }
        } else if offset != nil {
            throw ValidationError("The partition is required when offset is specified.")
        }
        if let partition, partition < 0 { throw ValidationError("--partition must not be negative") }
        _ = try startOffset()
        if let maxMessages, maxMessages < 0 { throw ValidationError("--max-messages must not be negative") }
        if let timeoutMs, timeoutMs < 0 { throw ValidationError("--timeout-ms must not be negative") }
        if let isolationLevel, !["read_committed", "read_uncommitted"].contains(isolationLevel) {
            throw ValidationError(
                "--isolation-level must be read_committed or read_uncommitted, not '\(isolationLevel)'")
        }
        if json && format != nil { throw ValidationError("Options --json and --format cannot be specified together.") }
        if let format { _ = try FormatToken.parse(format) }
        _ = try KafkaTool.keyValues(consumerProperty, option: "--consumer-property")
        _ = try KafkaTool.keyValues(property, option: "--property")
    }

    func startOffset() throws -> StartOffset {
        guard let offset else { return fromBeginning ? .earliest : .latest }
        switch offset.lowercased() {
        case "earliest": return .earliest
        case "latest": return .latest
        default:
            guard let number = Int64(offset), number >= 0 else {
                throw ValidationError(
                    "The provided offset value '\(offset)' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."
                )
            }
            return .offset(number)
        }
    }

    /// The consumer properties and whether offsets are committed to a group the user chose.
    func consumerProperties() throws -> [String: String] {
        var properties: [String: String] = [:]
        if let consumerConfig { properties = try PropertiesFile.load(path: consumerConfig) }
        let fileGroup = properties["group.id"]
        let extra = try KafkaTool.keyValues(consumerProperty, option: "--consumer-property")
        properties.merge(extra) { $1 }
        let groups = Set([group, fileGroup, extra["group.id"]].compactMap { $0 })
        if groups.count > 1 {
            throw ValidationError(
                "The group ids provided in different places (directly using '--group', via '--consumer-property', "
                    + "or via '--consumer.config') do not match. Detected group ids: "
                    + groups.sorted().map { "'\($0)'" }.joined(separator: ", "))
        }
        if let reset = properties["auto.offset.reset"] {
            if fromBeginning && reset != "earliest" {
                throw ValidationError(
                    "Can't simultaneously specify --from-beginning and 'auto.offset.reset=\(reset)', please remove one option"
                )
            }
        } else {
            properties["auto.offset.reset"] = fromBeginning ? "earliest" : "latest"
        }
        if properties["client.id"] == nil { properties["client.id"] = "console-consumer" }
        if let isolationLevel {
            properties["isolation.level"] = isolationLevel
        } else if properties["isolation.level"] == nil {
            properties["isolation.level"] = "read_uncommitted"
        }
        if let chosen = groups.first {
            properties["group.id"] = chosen
        } else if partition == nil {
            // As Kafka: a throwaway group that commits nothing (unless asked to).
            properties["group.id"] = "console-consumer-\(Int.random(in: 0..<100_000))"
            if properties["enable.auto.commit"] == nil { properties["enable.auto.commit"] = "false" }
        }
        return try connection.clientProperties(extra: properties, keeping: ["allow.auto.create.topics"])
    }

    func formatter() throws -> MessageFormatter {
        if json { return .json }
        if let format { return .pattern(try FormatToken.parse(format)) }
        var properties: [String: String] = [:]
        if let formatterConfig { properties = try PropertiesFile.load(path: formatterConfig) }
        properties.merge(try KafkaTool.keyValues(property, option: "--property")) { $1 }
        return .kafka(DefaultMessageFormat(properties: properties))
    }

    func run() async throws {
        let formatter = try formatter()
        let start = try startOffset()
        let configuration = try KafkaConsumerConfiguration(properties: try consumerProperties())
        let consumer = try KafkaConsumer(configuration: configuration)
        if let topic {
            do {
                try await checkTopic(topic, consumer: consumer, bootstrap: configuration.client.bootstrapServers)
            } catch {
                await consumer.close()
                throw error
            }
        }
        let stop = StopFlag()
        let signals = ShutdownSignals {
            stop.set()
            consumer.wakeup()
        }
        signal(SIGPIPE, SIG_IGN)

        var processed = 0
        var failure: (any Error)?
        // The first record of each partition that was fetched but not printed (--max-messages reached).
        var unprinted: [TopicPartition: Int64] = [:]
        do {
            if let include {
                try consumer.subscribe(pattern: include)
            } else if let topic, let partition {
                let assigned = TopicPartition(topic: topic, partition: partition)
                try consumer.assign([assigned])
                switch start {
                case .earliest: try consumer.seekToBeginning([assigned])
                case .latest: try consumer.seekToEnd([assigned])
                case .offset(let offset): try consumer.seek(assigned, to: offset)
                }
            } else if let topic {
                try consumer.subscribe(topics: [topic])
            }
            let pollTimeout: Duration = timeoutMs.map { .milliseconds($0) } ?? .seconds(1)
            consuming: while maxMessages.map({ processed < $0 }) ?? true, !stop.isSet {
                let records: [ConsumerRecord]
                do throws(KafkaConsumerError) {
                    records = try await consumer.poll(timeout: pollTimeout)
                } catch {
                    if error.kind == .wakeup { break consuming }
                    throw error
                }
                if records.isEmpty {
                    if timeoutMs != nil { break consuming }
                    continue
                }
                var output: [UInt8] = []
                for record in records {
                    if let maxMessages, processed >= maxMessages {
                        let key = TopicPartition(topic: record.topic, partition: record.partition)
                        if unprinted[key] == nil { unprinted[key] = record.offset }
                        continue
                    }
                    try formatter.write(record, to: &output)
                    processed += 1
                }
                guard StandardOutput.writeAll(output) else {
                    KafkaTool.printError("Unable to write to standard out, closing consumer.")
                    break consuming
                }
            }
        } catch {
            failure = error
        }
        // Commit (on close) only what was printed.
        for (partition, offset) in unprinted { try? consumer.seek(partition, to: offset) }
        await consumer.close()
        signals.cancel()
        KafkaTool.printError("Processed a total of \(processed) messages")
        if let failure { throw failure }
    }

    /// Fails (one line, exit 1) when `topic` does not exist, or `--partition` is not one of its partitions, or the
    /// cluster cannot be reached. As Java's consumer, the Metadata request asks the broker to create a missing topic
    /// (`allow.auto.create.topics`, default true): a broker whose `auto.create.topics.enable` allows it creates the
    /// topic and the tool reads it. A broker that does not answers UNKNOWN_TOPIC_OR_PARTITION, and waiting could
    /// not make the topic appear: reporting it at once beats waiting for `--timeout-ms`. `--include` is not checked:
    /// a pattern that matches nothing yet waits for matching topics, as in Kafka.
    func checkTopic(_ topic: String, consumer: KafkaConsumer, bootstrap: [BrokerAddress]) async throws {
        let partitions: [PartitionMetadata]
        do throws(KafkaConsumerError) {
            partitions = try await consumer.partitionsFor(topic: topic)
        } catch {
            switch error.kind {
            case .broker(let error) where error.code == .unknownTopicOrPartition:
                throw ToolFailure("Topic '\(topic)' does not exist (UNKNOWN_TOPIC_OR_PARTITION)")
            case .network(let error):
                let servers = bootstrap.map(\.description).joined(separator: ",")
                throw ToolFailure("cannot reach the cluster at \(servers): \(KafkaTool.oneLine(error))")
            default:
                throw error
            }
        }
        if let partition, !partitions.contains(where: { $0.partition == partition }) {
            throw ToolFailure(
                "Partition \(partition) of topic '\(topic)' does not exist (the topic has \(partitions.count) partitions)"
            )
        }
    }
}

/// A failure reported as one line on standard error, exit status 1.
struct ToolFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
