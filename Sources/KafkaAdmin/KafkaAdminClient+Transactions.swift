public import KafkaNetwork
import KafkaProtocol

extension KafkaAdminClient {
    /// Lists the transactional ids of the cluster (Java's `listTransactions`): every broker lists the ids it
    /// coordinates, with ListTransactions (Kafka 2.8 and later).
    ///
    /// - Parameters:
    ///   - states: only ids in these states; `nil` or empty for every state.
    ///   - producerIDs: only ids whose current producer id is one of these; `nil` or empty for every id.
    ///   - minimumDurationMs: only transactions open for longer than this many milliseconds (ListTransactions v1,
    ///     Kafka 3.8); `nil` for every transaction.
    /// - Returns: per broker, the ids it coordinates, or the error that kept it from answering (`UNSUPPORTED_VERSION`
    ///   naming the API and the broker's versions when the broker is too old).
    /// - Throws: ``AdminError`` when the cluster's brokers cannot be learned, or the task's cancellation
    ///   (``AdminError/isCancellation``).
    public func listTransactions(
        states: Set<TransactionState>? = nil, producerIDs: Set<Int64>? = nil, minimumDurationMs: Int64? = nil
    ) async throws(AdminError) -> [Int32: Result<[TransactionListing], AdminError>] {
        let brokers = try await describeCluster().brokers.map(\.nodeID)
        var results: [Int32: Result<[TransactionListing], AdminError>] = [:]
        for broker in brokers {
            do {
                results[broker] = .success(
                    try await listTransactions(
                        on: broker, states: states, producerIDs: producerIDs, minimumDurationMs: minimumDurationMs))
            } catch {
                let failure = AdminError.thrownByOperation(
                    error, api: .listTransactions, resourceKind: .broker, resourceName: "\(broker)")
                if failure.isCancellation { throw failure }
                results[broker] = .failure(failure)
            }
        }
        return results
    }

    private func listTransactions(
        on broker: Int32, states: Set<TransactionState>?, producerIDs: Set<Int64>?, minimumDurationMs: Int64?
    ) async throws -> [TransactionListing] {
        try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
            let connection = try await cluster.connection(to: .broker(broker), kind: .admin)
            try Self.require(
                .listTransactions, version: minimumDurationMs == nil ? 0 : 1,
                kafka: minimumDurationMs == nil ? "2.8" : "3.8",
                purpose: minimumDurationMs == nil ? "listing transactions" : "filtering transactions by duration",
                on: connection, broker: broker)
            let (response, _) = try await cluster.send(on: connection) { _ in
                ListTransactionsRequest(
                    stateFilters: (states ?? []).map(\.rawValue).sorted(),
                    producerIdFilters: (producerIDs ?? []).sorted(),
                    durationFilter: minimumDurationMs ?? -1)
            }
            let code = KafkaErrorCode(rawValue: response.errorCode)
            if code != .none { throw KafkaError(code: code, api: .listTransactions) }
            return response.transactionStates.map {
                TransactionListing(
                    transactionalID: $0.transactionalId, producerID: $0.producerId,
                    state: TransactionState(rawValue: $0.transactionState))
            }
            .sorted { $0.transactionalID < $1.transactionalID }
        }
    }

    /// Describes transactional ids (Java's `describeTransactions`): each id's coordinator is found with
    /// FindCoordinator and asked with DescribeTransactions (Kafka 3.0 and later); coordinator moves are retried.
    ///
    /// - Returns: a result per requested id: its description, or the error for it (`TRANSACTIONAL_ID_NOT_FOUND` for
    ///   an id the coordinator does not know, `UNSUPPORTED_VERSION` naming the API and the broker's versions when
    ///   the coordinator is too old).
    /// - Throws: ``AdminError`` only when the task is cancelled (``AdminError/isCancellation``).
    public func describeTransactions(
        _ transactionalIDs: [String]
    ) async throws(AdminError) -> [String: Result<TransactionDescription, AdminError>] {
        var results: [String: Result<TransactionDescription, AdminError>] = [:]
        for id in Set(transactionalIDs).sorted() {
            do {
                results[id] = .success(try await describeTransaction(id))
            } catch {
                let failure = AdminError.thrownByOperation(
                    error, api: (error as? KafkaError)?.api ?? .describeTransactions, resourceKind: .transactionalID,
                    resourceName: id)
                if failure.isCancellation { throw failure }
                results[id] = .failure(failure)
            }
        }
        return results
    }

    private func describeTransaction(_ id: String) async throws -> TransactionDescription {
        try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
            let coordinator: BrokerMetadata
            switch try await cluster.lookUpCoordinators(for: [id], type: .transaction)[id] {
            case .success(let broker)?: coordinator = broker
            case .failure(let error)?: throw error
            case nil: throw KafkaError(code: .coordinatorNotAvailable, api: .findCoordinator)
            }
            let connection: BrokerConnection
            do {
                connection = try await cluster.connection(to: .broker(coordinator.nodeID), kind: .admin)
            } catch {
                cluster.invalidateCoordinator(for: id, type: .transaction)
                throw error
            }
            try Self.require(
                .describeTransactions, version: 0, kafka: "3.0", purpose: "describing transactions", on: connection,
                broker: coordinator.nodeID)
            let (response, _) = try await cluster.send(on: connection) { _ in
                DescribeTransactionsRequest(transactionalIds: [id])
            }
            guard let answer = response.transactionStates.first(where: { $0.transactionalId == id }) else {
                throw AdminError.missing(api: .describeTransactions, resourceKind: .transactionalID, resourceName: id)
            }
            let code = KafkaErrorCode(rawValue: answer.errorCode)
            if code.isCoordinatorError { cluster.invalidateCoordinator(for: id, type: .transaction) }
            if code != .none { throw KafkaError(code: code, api: .describeTransactions) }
            var partitions = Set<TopicPartitionKey>()
            for topic in answer.topics {
                for partition in topic.partitions {
                    partitions.insert(TopicPartitionKey(topic: topic.topic, partition: partition))
                }
            }
            return TransactionDescription(
                coordinatorID: coordinator.nodeID, state: TransactionState(rawValue: answer.transactionState),
                producerID: answer.producerId, producerEpoch: answer.producerEpoch,
                transactionTimeoutMs: answer.transactionTimeoutMs,
                transactionStartTimeMs: answer.transactionStartTimeMs >= 0 ? answer.transactionStartTimeMs : nil,
                topicPartitions: partitions)
        }
    }

    /// Describes the producers that have written to partitions (Java's `describeProducers`), with DescribeProducers
    /// (Kafka 2.8 and later) to each partition's leader, or to one broker's replicas.
    ///
    /// - Parameters:
    ///   - partitions: the partitions.
    ///   - brokerID: the broker whose replicas to ask (a follower's view); `nil` for the leaders, whose moves are
    ///     retried.
    /// - Returns: a result per partition: its active producers sorted by producer id, or the error
    ///   (`NOT_LEADER_OR_FOLLOWER` for a broker without a replica, `UNSUPPORTED_VERSION` naming the API and the
    ///   broker's versions when the broker is too old).
    /// - Throws: ``AdminError`` naming the partitions when their brokers cannot be reached within the retries; when
    ///   the task is cancelled, ``AdminError/isCancellation`` is true.
    public func describeProducers(
        _ partitions: [TopicPartitionKey], brokerID: Int32? = nil
    ) async throws(AdminError) -> [TopicPartitionKey: Result<[ProducerState], AdminError>] {
        try await reportingAdminError(
            api: .describeProducers, resourceKind: .partition,
            resourceName: AdminError.resourceNames(partitions.map(\.description))
        ) {
            guard let brokerID else {
                return try await forEachLeader(Set(partitions), api: .describeProducers) { leader, group in
                    try await describeProducers(group, on: leader)
                }
            }
            return try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                try await describeProducers(Array(Set(partitions)), on: brokerID)
            }
        }
    }

    private func describeProducers(
        _ partitions: [TopicPartitionKey], on broker: Int32
    ) async throws -> [TopicPartitionKey: Result<[ProducerState], AdminError>] {
        let connection = try await cluster.connection(to: .broker(broker), kind: .admin)
        do {
            try Self.require(
                .describeProducers, version: 0, kafka: "2.8", purpose: "describing producers", on: connection,
                broker: broker)
        } catch let error as AdminError {
            var results: [TopicPartitionKey: Result<[ProducerState], AdminError>] = [:]
            for partition in partitions {
                var failure = error
                failure.resourceKind = .partition
                failure.resourceName = partition.description
                failure.topicPartition = partition
                results[partition] = .failure(failure)
            }
            return results
        }
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        let (response, _) = try await cluster.send(on: connection) { _ in
            DescribeProducersRequest(
                topics: byTopic.keys.sorted().map {
                    DescribeProducersRequest.TopicRequest(
                        name: $0, partitionIndexes: (byTopic[$0] ?? []).map(\.partition).sorted())
                })
        }
        var results: [TopicPartitionKey: Result<[ProducerState], AdminError>] = [:]
        for topic in response.topics {
            for answer in topic.partitions {
                let partition = TopicPartitionKey(topic: topic.name, partition: answer.partitionIndex)
                let code = KafkaErrorCode(rawValue: answer.errorCode)
                guard code == .none else {
                    results[partition] = .failure(
                        AdminError(
                            code: code, api: .describeProducers, partition: partition, message: answer.errorMessage))
                    continue
                }
                results[partition] = .success(
                    answer.activeProducers.map {
                        ProducerState(
                            producerID: $0.producerId, producerEpoch: $0.producerEpoch,
                            lastSequence: $0.lastSequence, lastTimestamp: $0.lastTimestamp,
                            coordinatorEpoch: $0.coordinatorEpoch >= 0 ? $0.coordinatorEpoch : nil,
                            currentTransactionStartOffset: $0.currentTxnStartOffset >= 0
                                ? $0.currentTxnStartOffset : nil)
                    }
                    .sorted { $0.producerID < $1.producerID })
            }
        }
        return results
    }

    /// Aborts a producer's open transaction on one partition (Java's `abortTransaction`), for a transaction that
    /// hangs because its coordinator will never finish it: WriteTxnMarkers to the partition's leader writes an abort
    /// marker with the spec's producer id, epoch and coordinator epoch, which closes the transaction there and lets
    /// the last stable offset, and so `read_committed` consumers, move past it. The coordinator is not told.
    ///
    /// The broker needs the `ClusterAction` (or `Alter`) permission on the cluster; WriteTxnMarkers exists since
    /// Kafka 0.11.
    ///
    /// - Throws: ``AdminError`` for the partition: `INVALID_PRODUCER_EPOCH` for an epoch below the producer's,
    ///   `TRANSACTION_COORDINATOR_FENCED` for a coordinator epoch below the partition's latest,
    ///   `CLUSTER_AUTHORIZATION_FAILED`, `UNKNOWN_TOPIC_OR_PARTITION`, …; `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`
    ///   when the leader cannot be reached within the retries; the task's cancellation
    ///   (``AdminError/isCancellation``).
    public func abortTransaction(_ spec: AbortTransactionSpec) async throws(AdminError) {
        let partition = spec.partition
        let results = try await reportingAdminError(
            api: .writeTxnMarkers, resourceKind: .partition, resourceName: partition.description
        ) {
            try await forEachLeader([partition], api: .writeTxnMarkers) { leader, _ in
                let request = WriteTxnMarkersRequest(markers: [
                    WriteTxnMarkersRequest.WritableTxnMarker(
                        producerId: spec.producerID, producerEpoch: spec.producerEpoch, transactionResult: false,
                        topics: [
                            WriteTxnMarkersRequest.WritableTxnMarkerTopic(
                                name: partition.topic, partitionIndexes: [partition.partition])
                        ], coordinatorEpoch: spec.coordinatorEpoch)
                ])
                let response = try await cluster.send(request, to: .broker(leader), kind: .admin)
                var code = KafkaErrorCode.unknownServerError
                var message: String? = "the leader did not answer for \(partition)"
                for marker in response.markers where marker.producerId == spec.producerID {
                    for topic in marker.topics where topic.name == partition.topic {
                        for answer in topic.partitions where answer.partitionIndex == partition.partition {
                            code = KafkaErrorCode(rawValue: answer.errorCode)
                            message = nil
                        }
                    }
                }
                let result: Result<Void, AdminError> =
                    code == .none
                    ? .success(())
                    : .failure(AdminError(code: code, api: .writeTxnMarkers, partition: partition, message: message))
                return [partition: result]
            }
        }
        switch results[partition] {
        case .success?: return
        case .failure(let error)?: throw error
        case nil:
            throw AdminError.missing(api: .writeTxnMarkers, resourceKind: .partition, resourceName: "\(partition)")
        }
    }

    /// Throws `UNSUPPORTED_VERSION` naming `api` and the broker's versions of it when the broker behind `connection`
    /// does not support `api` at `version`.
    private static func require(
        _ api: KafkaAPIKey, version: Int16, kafka: String, purpose: String, on connection: BrokerConnection,
        broker: Int32
    ) throws {
        let range = connection.versions.brokerRanges[api]
        guard let range, range.upperBound >= version else {
            let versions = range.map { "v\($0.lowerBound)–v\($0.upperBound)" } ?? "not at all"
            throw AdminError(
                code: .unsupportedVersion, api: api, resourceKind: .broker, resourceName: "\(broker)",
                message: "\(purpose) needs \(api.name) v\(version) or later (Kafka \(kafka)); broker \(broker) "
                    + "supports \(api.name) \(versions)")
        }
    }
}
