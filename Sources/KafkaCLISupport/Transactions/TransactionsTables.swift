package import KafkaAdmin
package import KafkaNetwork

/// The tables of `kafka-transactions`, as Apache Kafka's `ToolsUtils.prettyPrintTable` prints them: every cell
/// left-aligned and padded to its column's widest value, each followed by a tab (the last one too), the header first.
package enum TransactionsTables {
    /// The table text, a newline after each line.
    package static func render(headers: [String], rows: [[String]]) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() where index < widths.count {
                text += cell + String(repeating: " ", count: widths[index] - cell.count) + "\t"
            }
            return text + "\n"
        }
        return line(headers) + rows.map(line).joined()
    }

    // MARK: list

    /// The headers of `list`.
    package static let listHeaders = ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]

    /// The rows of `list`: by coordinator id, then transactional id.
    package static func listRows(_ listings: [Int32: [TransactionListing]]) -> [[String]] {
        listings.keys.sorted().flatMap { broker in
            (listings[broker] ?? []).sorted { $0.transactionalID < $1.transactionalID }.map {
                [$0.transactionalID, String(broker), String($0.producerID), $0.state.rawValue]
            }
        }
    }

    // MARK: describe

    /// The headers of `describe`.
    package static let describeHeaders = [
        "CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState", "TransactionTimeoutMs",
        "CurrentTransactionStartTimeMs", "TransactionDurationMs", "TopicPartitions",
    ]

    /// The row of `describe` at `nowMs`: the start time and duration are `None` without an open transaction; the
    /// partitions are `topic-partition` joined by commas, in Kafka's order.
    package static func describeRow(_ id: String, _ description: TransactionDescription, nowMs: Int64) -> [String] {
        let start = description.transactionStartTimeMs
        return [
            String(description.coordinatorID), id, String(description.producerID), String(description.producerEpoch),
            description.state.rawValue, String(description.transactionTimeoutMs), start.map(String.init) ?? "None",
            start.map { String(nowMs &- $0) } ?? "None",
            GetOffsetsTool.kafkaOrder(Array(description.topicPartitions)).map(\.description).joined(separator: ","),
        ]
    }

    // MARK: describe-producers

    /// The headers of `describe-producers`.
    package static let producerHeaders = [
        "ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp",
        "CurrentTransactionStartOffset",
    ]

    /// The rows of `describe-producers`: a missing coordinator epoch is -1, a missing open transaction `None`.
    package static func producerRows(_ producers: [ProducerState]) -> [[String]] {
        producers.map {
            [
                String($0.producerID), String($0.producerEpoch), String($0.coordinatorEpoch ?? -1),
                String($0.lastSequence), String($0.lastTimestamp),
                $0.currentTransactionStartOffset.map(String.init) ?? "None",
            ]
        }
    }

    // MARK: find-hanging

    /// The headers of `find-hanging`.
    package static let hangingHeaders = [
        "Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset", "LastTimestamp",
        "Duration(min)",
    ]

    /// The rows of `find-hanging` at `nowMs`: the duration is whole minutes since the producer's last timestamp.
    package static func hangingRows(_ transactions: [OpenTransaction], nowMs: Int64) -> [[String]] {
        transactions.map {
            [
                $0.partition.topic, String($0.partition.partition), String($0.producer.producerID),
                String($0.producer.producerEpoch), String($0.producer.coordinatorEpoch ?? -1),
                String($0.producer.currentTransactionStartOffset ?? -1), String($0.producer.lastTimestamp),
                String((nowMs &- $0.producer.lastTimestamp) / 60_000),
            ]
        }
    }
}

/// A producer's open transaction on a partition (a `find-hanging` candidate).
package struct OpenTransaction: Sendable, Hashable {
    /// The partition.
    package var partition: TopicPartitionKey
    /// The producer as the partition's replica describes it.
    package var producer: ProducerState

    package init(partition: TopicPartitionKey, producer: ProducerState) {
        self.partition = partition
        self.producer = producer
    }
}

/// The `--json` documents of `kafka-transactions`: one object per table row, the table's columns as camel-case keys
/// with numbers as numbers and absent values as null.
package enum TransactionsJSON {
    struct Listing: Encodable {
        var transactionalId: String
        var coordinatorId: Int32
        var producerId: Int64
        var transactionState: String
    }

    struct Description: Encodable {
        var coordinatorId: Int32
        var transactionalId: String
        var producerId: Int64
        var producerEpoch: Int16
        var transactionState: String
        var transactionTimeoutMs: Int32
        var currentTransactionStartTimeMs: Int64?
        var transactionDurationMs: Int64?
        var topicPartitions: [String]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(coordinatorId, forKey: .coordinatorId)
            try container.encode(transactionalId, forKey: .transactionalId)
            try container.encode(producerId, forKey: .producerId)
            try container.encode(producerEpoch, forKey: .producerEpoch)
            try container.encode(transactionState, forKey: .transactionState)
            try container.encode(transactionTimeoutMs, forKey: .transactionTimeoutMs)
            try container.encode(currentTransactionStartTimeMs, forKey: .currentTransactionStartTimeMs)
            try container.encode(transactionDurationMs, forKey: .transactionDurationMs)
            try container.encode(topicPartitions, forKey: .topicPartitions)
        }

        enum CodingKeys: String, CodingKey {
            case coordinatorId, transactionalId, producerId, producerEpoch, transactionState, transactionTimeoutMs
            case currentTransactionStartTimeMs, transactionDurationMs, topicPartitions
        }
    }

    struct Producer: Encodable {
        var topic: String?
        var partition: Int32?
        var producerId: Int64
        var producerEpoch: Int32
        var coordinatorEpoch: Int32
        var lastSequence: Int32?
        var lastTimestamp: Int64
        var currentTransactionStartOffset: Int64?
        var durationMinutes: Int64?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            if let topic { try container.encode(topic, forKey: .topic) }
            if let partition { try container.encode(partition, forKey: .partition) }
            try container.encode(producerId, forKey: .producerId)
            try container.encode(producerEpoch, forKey: .producerEpoch)
            try container.encode(coordinatorEpoch, forKey: .coordinatorEpoch)
            if let lastSequence { try container.encode(lastSequence, forKey: .lastSequence) }
            try container.encode(lastTimestamp, forKey: .lastTimestamp)
            try container.encode(currentTransactionStartOffset, forKey: .currentTransactionStartOffset)
            if let durationMinutes { try container.encode(durationMinutes, forKey: .durationMinutes) }
        }

        enum CodingKeys: String, CodingKey {
            case topic, partition, producerId, producerEpoch, coordinatorEpoch, lastSequence, lastTimestamp
            case currentTransactionStartOffset, durationMinutes
        }
    }

    /// `list` as JSON.
    package static func list(_ listings: [Int32: [TransactionListing]]) -> String {
        JSONOutput.array(
            listings.keys.sorted().flatMap { broker in
                (listings[broker] ?? []).sorted { $0.transactionalID < $1.transactionalID }.map {
                    Listing(
                        transactionalId: $0.transactionalID, coordinatorId: broker, producerId: $0.producerID,
                        transactionState: $0.state.rawValue)
                }
            })
    }

    /// `describe` as JSON.
    package static func describe(_ id: String, _ description: TransactionDescription, nowMs: Int64) -> String {
        let start = description.transactionStartTimeMs
        return JSONOutput.array([
            Description(
                coordinatorId: description.coordinatorID, transactionalId: id, producerId: description.producerID,
                producerEpoch: description.producerEpoch, transactionState: description.state.rawValue,
                transactionTimeoutMs: description.transactionTimeoutMs, currentTransactionStartTimeMs: start,
                transactionDurationMs: start.map { nowMs &- $0 },
                topicPartitions: GetOffsetsTool.kafkaOrder(Array(description.topicPartitions)).map(\.description))
        ])
    }

    /// `describe-producers` as JSON.
    package static func producers(_ producers: [ProducerState]) -> String {
        JSONOutput.array(
            producers.map {
                Producer(
                    producerId: $0.producerID, producerEpoch: $0.producerEpoch,
                    coordinatorEpoch: $0.coordinatorEpoch ?? -1, lastSequence: $0.lastSequence,
                    lastTimestamp: $0.lastTimestamp, currentTransactionStartOffset: $0.currentTransactionStartOffset)
            })
    }

    /// `find-hanging` as JSON.
    package static func hanging(_ transactions: [OpenTransaction], nowMs: Int64) -> String {
        JSONOutput.array(
            transactions.map {
                Producer(
                    topic: $0.partition.topic, partition: $0.partition.partition, producerId: $0.producer.producerID,
                    producerEpoch: $0.producer.producerEpoch, coordinatorEpoch: $0.producer.coordinatorEpoch ?? -1,
                    lastTimestamp: $0.producer.lastTimestamp,
                    currentTransactionStartOffset: $0.producer.currentTransactionStartOffset,
                    durationMinutes: (nowMs &- $0.producer.lastTimestamp) / 60_000)
            })
    }
}
