import ArgumentParser
import Foundation
import KafkaConsumer
import KafkaNetwork
import KafkaProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `kafka-console-consumer`'s loop: poll, format, write to standard output.
package enum ConsoleConsumerTool {
    /// Prints the records until --max-messages, --timeout-ms without a record, or SIGINT/SIGTERM; then commits what
    /// it printed (with a group), leaves the group and reports the count on standard error.
    package static func run(_ options: ConsoleConsumerOptions, connection: ConnectionOptions) async throws {
        let formatter = try options.formatter()
        let start = try options.startOffset()
        let configuration = try KafkaConsumerConfiguration(
            properties: try options.consumerProperties(connection: connection))
        let (topic, include, partition) = (options.topic, options.include, options.partition)
        let (maxMessages, timeoutMs) = (options.maxMessages, options.timeoutMs)
        let consumer = try KafkaConsumer(configuration: configuration)
        if let topic {
            do {
                try await checkTopic(
                    topic, partition: partition, consumer: consumer, bootstrap: configuration.client.bootstrapServers)
            } catch {
                await consumer.close()
                throw error
            }
        }
        let stop = StopFlag()
        let signals = await ShutdownSignals {
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
    static func checkTopic(
        _ topic: String, partition: Int32?, consumer: KafkaConsumer, bootstrap: [BrokerAddress]
    ) async throws {
        let partitions: [PartitionMetadata]
        do throws(KafkaConsumerError) {
            partitions = try await consumer.partitionsFor(topic: topic)
        } catch {
            switch error.kind {
            case .broker(let error) where error.code == .unknownTopicOrPartition:
                throw ToolError("Topic '\(topic)' does not exist (UNKNOWN_TOPIC_OR_PARTITION)")
            case .network(let error):
                let servers = bootstrap.map(\.description).joined(separator: ",")
                throw ToolError("cannot reach the cluster at \(servers): \(KafkaTool.oneLine(error))")
            default:
                throw error
            }
        }
        if let partition, !partitions.contains(where: { $0.partition == partition }) {
            throw ToolError(
                "Partition \(partition) of topic '\(topic)' does not exist (the topic has \(partitions.count) partitions)"
            )
        }
    }
}
