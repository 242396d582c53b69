package import KafkaAdmin
import KafkaNetwork
import KafkaProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The subcommands of `kafka-transactions` on an admin client, as Apache Kafka's `TransactionsCommand` runs them.
/// Failures are ``ToolError``s with Kafka's messages (`Failed to list transactions: <reason>`, …).
package struct TransactionsTool {
    package let admin: KafkaAdminClient
    /// The current time in milliseconds since the epoch (durations are measured against it).
    package let now: @Sendable () -> Int64
    /// Where the output goes.
    package let write: @Sendable (String) -> Void

    /// How many partitions one DescribeProducers of `find-hanging` asks about (Kafka's batch size).
    static let batchSize = 500

    package init(
        admin: KafkaAdminClient, now: @escaping @Sendable () -> Int64 = TransactionsTool.systemMilliseconds,
        write: @escaping @Sendable (String) -> Void = { print($0, terminator: "") }
    ) {
        self.admin = admin
        self.now = now
        self.write = write
    }

    /// The wall clock in milliseconds since the epoch.
    package static func systemMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// `list`: the transactional ids of every broker.
    package func list(_ options: ListTransactionsOptions) async throws {
        let states = try options.stateFilter()
        let producerIDs = try options.producerIDFilter()
        let results: [Int32: Result<[TransactionListing], AdminError>]
        do {
            results = try await admin.listTransactions(
                states: states, producerIDs: producerIDs, minimumDurationMs: options.minimumDurationMs)
        } catch {
            throw ToolError("Failed to list transactions: \(error)")
        }
        var listings: [Int32: [TransactionListing]] = [:]
        for (broker, result) in results {
            switch result {
            case .success(let found): listings[broker] = found
            case .failure(let error): throw ToolError("Failed to list transactions: \(error)")
            }
        }
        write(
            options.json
                ? TransactionsJSON.list(listings)
                : TransactionsTables.render(
                    headers: TransactionsTables.listHeaders, rows: TransactionsTables.listRows(listings)))
    }

    /// `describe`: one transactional id as its coordinator sees it.
    package func describe(_ options: DescribeTransactionOptions) async throws {
        let id = options.transactionalID
        let failure = "Failed to describe transaction state of transactional-id `\(id)`"
        let results: [String: Result<TransactionDescription, AdminError>]
        do {
            results = try await admin.describeTransactions([id])
        } catch {
            throw ToolError("\(failure): \(error)")
        }
        let description: TransactionDescription
        switch results[id] {
        case .success(let found)?: description = found
        case .failure(let error)?: throw ToolError("\(failure): \(error)")
        case nil: throw ToolError("\(failure): the coordinator did not answer for it")
        }
        let nowMs = now()
        write(
            options.json
                ? TransactionsJSON.describe(id, description, nowMs: nowMs)
                : TransactionsTables.render(
                    headers: TransactionsTables.describeHeaders,
                    rows: [TransactionsTables.describeRow(id, description, nowMs: nowMs)]))
    }

    /// `describe-producers`: the producers of one partition, on its leader or on `--broker-id`.
    package func describeProducers(_ options: DescribeProducersOptions) async throws {
        let partition = options.topicPartition
        let producers: [ProducerState]
        do {
            producers = try await producerStates(of: partition, brokerID: options.brokerID)
        } catch {
            let on = options.brokerID.map { "broker \($0)" } ?? "leader"
            throw ToolError("Failed to describe producers for partition \(partition) on \(on): \(error)")
        }
        write(
            options.json
                ? TransactionsJSON.producers(producers)
                : TransactionsTables.render(
                    headers: TransactionsTables.producerHeaders, rows: TransactionsTables.producerRows(producers)))
    }

    /// `abort`: an abort marker for the named transaction, found first by its start offset when so given.
    package func abort(_ options: AbortTransactionOptions) async throws {
        let spec: AbortTransactionSpec
        switch try options.target() {
        case .spec(let given):
            spec = given
        case .startOffset(let offset):
            let partition = options.topicPartition
            let producers: [ProducerState]
            do {
                producers = try await producerStates(of: partition, brokerID: nil)
            } catch {
                throw ToolError("Failed to validate producer state for partition \(partition): \(error)")
            }
            guard let producer = producers.first(where: { $0.currentTransactionStartOffset == offset }) else {
                throw ToolError(
                    "Could not find any open transactions starting at offset \(offset) on partition \(partition)")
            }
            spec = AbortTransactionSpec(
                partition: partition, producerID: producer.producerID,
                producerEpoch: Int16(clamping: producer.producerEpoch),
                coordinatorEpoch: max(producer.coordinatorEpoch ?? 0, 0))
        }
        do {
            try await admin.abortTransaction(spec)
        } catch {
            throw ToolError("Failed to abort transaction \(spec): \(error)")
        }
    }

    /// `find-hanging`: open transactions older than `--max-transaction-timeout` whose coordinator does not list their
    /// partition (or that no coordinator knows), as Kafka's command finds them.
    package func findHanging(_ options: FindHangingOptions) async throws {
        try options.checkScope()
        let partitions = try await partitionsToSearch(options)
        var candidates: [OpenTransaction] = []
        var start = 0
        while start < partitions.count {
            let batch = Array(partitions[start..<min(start + Self.batchSize, partitions.count)])
            start += batch.count
            let failure =
                "Failed to describe producers for \(batch.count) partitions on broker "
                + "\(options.brokerID.map(String.init) ?? "(any)")"
            let results: [TopicPartitionKey: Result<[ProducerState], AdminError>]
            do {
                results = try await admin.describeProducers(batch, brokerID: options.brokerID)
            } catch {
                throw ToolError("\(failure): \(error)")
            }
            let nowMs = now()
            for partition in batch {
                let producers: [ProducerState]
                switch results[partition] {
                case .success(let found)?: producers = found
                case .failure(let error)?: throw ToolError("\(failure): \(error)")
                case nil: continue
                }
                for producer in producers where producer.currentTransactionStartOffset != nil {
                    if nowMs &- producer.lastTimestamp > options.maxTransactionTimeoutMs {
                        candidates.append(OpenTransaction(partition: partition, producer: producer))
                    }
                }
            }
        }
        let hanging = candidates.isEmpty ? [] : try await hangingTransactions(among: candidates)
        let nowMs = now()
        write(
            options.json
                ? TransactionsJSON.hanging(hanging, nowMs: nowMs)
                : TransactionsTables.render(
                    headers: TransactionsTables.hangingHeaders,
                    rows: TransactionsTables.hangingRows(hanging, nowMs: nowMs)))
    }

    /// The producers of one partition; the partition's own error is thrown.
    private func producerStates(
        of partition: TopicPartitionKey, brokerID: Int32?
    ) async throws(AdminError) -> [ProducerState] {
        guard let result = try await admin.describeProducers([partition], brokerID: brokerID)[partition] else {
            throw AdminError(
                code: .unknownServerError, api: .describeProducers, partition: partition,
                message: "no answer for this partition")
        }
        return try result.get()
    }

    /// The partitions `find-hanging` searches: the one given, a topic's (on `--broker-id` only, if given), or every
    /// partition with a replica on `--broker-id`.
    private func partitionsToSearch(_ options: FindHangingOptions) async throws -> [TopicPartitionKey] {
        if let topic = options.topic, let partition = options.partition {
            return [TopicPartitionKey(topic: topic, partition: partition)]
        }
        let topics: [String]
        if let topic = options.topic {
            topics = [topic]
        } else {
            do {
                topics = try await admin.listTopics(includeInternal: true)
            } catch {
                throw ToolError("Failed to list topics: \(error)")
            }
        }
        var partitions: [TopicPartitionKey] = []
        var start = 0
        while start < topics.count {
            let batch = Array(topics[start..<min(start + Self.batchSize, topics.count)])
            start += batch.count
            let described: [String: Result<TopicDescription, AdminError>]
            do {
                described = try await admin.describeTopics(batch)
            } catch {
                throw ToolError("Failed to describe \(batch.count) topics: \(error)")
            }
            for name in batch {
                let description: TopicDescription
                switch described[name] {
                case .success(let found)?: description = found
                case .failure(let error)?: throw ToolError("Failed to describe \(batch.count) topics: \(error)")
                case nil: continue
                }
                for info in description.partitions where options.brokerID.map({ info.replicas.contains($0) }) ?? true {
                    partitions.append(TopicPartitionKey(topic: name, partition: info.partition))
                }
            }
        }
        return partitions
    }

    /// The candidates whose transaction the coordinator will never finish: no transactional id has their producer
    /// id, the id is unknown to its coordinator, or the coordinator's transaction does not include the partition.
    private func hangingTransactions(among candidates: [OpenTransaction]) async throws -> [OpenTransaction] {
        let producerIDs = Set(candidates.map(\.producer.producerID))
        var transactionalIDs: [Int64: String] = [:]
        let listFailure = "Failed to list transactions for \(producerIDs.count) producers"
        let listed: [Int32: Result<[TransactionListing], AdminError>]
        do {
            listed = try await admin.listTransactions(producerIDs: producerIDs)
        } catch {
            throw ToolError("\(listFailure): \(error)")
        }
        for (_, result) in listed {
            switch result {
            case .success(let listings):
                for listing in listings where producerIDs.contains(listing.producerID) {
                    transactionalIDs[listing.producerID] = listing.transactionalID
                }
            case .failure(let error):
                throw ToolError("\(listFailure): \(error)")
            }
        }
        var descriptions: [String: TransactionDescription] = [:]
        let ids = Set(transactionalIDs.values).sorted()
        if !ids.isEmpty {
            let described: [String: Result<TransactionDescription, AdminError>]
            do {
                described = try await admin.describeTransactions(ids)
            } catch {
                throw ToolError("Failed to describe \(ids.count) transactions: \(error)")
            }
            for (id, result) in described {
                switch result {
                case .success(let description): descriptions[id] = description
                case .failure(let error) where error.code == .transactionalIdNotFound: continue
                case .failure(let error): throw ToolError("Failed to describe \(ids.count) transactions: \(error)")
                }
            }
        }
        return candidates.filter { candidate in
            guard let id = transactionalIDs[candidate.producer.producerID], let description = descriptions[id] else {
                return true
            }
            return !description.topicPartitions.contains(candidate.partition)
        }
        .sorted { ($0.partition, $0.producer.producerID) < ($1.partition, $1.producer.producerID) }
    }
}
