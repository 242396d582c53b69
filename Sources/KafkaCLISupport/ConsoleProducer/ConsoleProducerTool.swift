import ArgumentParser
import Foundation
import KafkaNetwork
import KafkaProducer

/// `kafka-console-producer`'s loop: standard input, line by line, through the line reader to the producer.
package enum ConsoleProducerTool {
    /// Sends each line of standard input as a record until the input ends or SIGINT/SIGTERM; exits 1 when a line
    /// failed (each failure is reported on standard error).
    package static func run(_ options: ConsoleProducerOptions, connection: ConnectionOptions) async throws {
        let topic = options.topic
        let reader = try LineMessageReader(topic: topic, properties: try options.readerProperties())
        let configuration = try KafkaProducerConfiguration(
            properties: try options.producerProperties(connection: connection))
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
            do {
                if options.sync {
                    _ = try await producer.send(record)
                } else {
                    try await producer.send(record) { result in
                        if case .failure(let error) = result {
                            failures.report(Self.sendFailure(line: number, topic: topic, error: error))
                        }
                    }
                }
            } catch let error where Self.stopsInput(error) {
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
