public import KafkaNetwork
import KafkaProtocol

/// A partition reassignment in progress, as ``KafkaAdminClient/listPartitionReassignments(_:)`` reports it
/// (Java's `PartitionReassignment`).
public struct PartitionReassignment: Sendable, Hashable {
    /// Every replica of the partition while it moves: the target replicas first, then those being removed.
    public var replicas: [Int32]
    /// The replicas being added (they join the ISR once they have caught up).
    public var addingReplicas: [Int32]
    /// The replicas being removed (they leave when every target replica is in sync).
    public var removingReplicas: [Int32]

    /// Creates a description.
    public init(replicas: [Int32], addingReplicas: [Int32] = [], removingReplicas: [Int32] = []) {
        self.replicas = replicas
        self.addingReplicas = addingReplicas
        self.removingReplicas = removingReplicas
    }
}

/// What ``KafkaAdminClient/alterPartitionReassignments(_:)`` does with a partition (Java's
/// `Optional<NewPartitionReassignment>`).
public enum NewPartitionReassignment: Sendable, Hashable {
    /// Moves the partition to these brokers, the preferred leader first (replacing a reassignment in progress).
    case replicas([Int32])
    /// Cancels the reassignment in progress: the partition returns to the replicas it had before.
    case cancel
}

extension KafkaAdminClient {
    /// Starts, changes or cancels partition reassignments (Java's `alterPartitionReassignments`), with
    /// AlterPartitionReassignments (Kafka 2.4 or later) to the controller.
    ///
    /// The call returns once the controller has accepted the change; the replicas then move in the background
    /// (see ``listPartitionReassignments(_:)``).
    ///
    /// - Returns: per partition, success or the error: `UNKNOWN_TOPIC_OR_PARTITION`, `INVALID_REPLICA_ASSIGNMENT`
    ///   (an empty list, a broker named twice, a broker the cluster does not have), `NO_REASSIGNMENT_IN_PROGRESS`
    ///   (a cancellation with nothing to cancel), or the failure of the request as a whole.
    /// - Throws: ``AdminError`` naming the partitions, with `UNSUPPORTED_VERSION` when the broker is older than
    ///   Kafka 2.4 (the message names the API and the versions the broker has), `NETWORK_EXCEPTION` or
    ///   `REQUEST_TIMED_OUT` when no broker answers, or the task's cancellation (``AdminError/isCancellation``).
    public func alterPartitionReassignments(
        _ reassignments: [TopicPartitionKey: NewPartitionReassignment]
    ) async throws(AdminError) -> [TopicPartitionKey: Result<Void, AdminError>] {
        let api = KafkaAPIKey.alterPartitionReassignments
        let names = Dictionary(reassignments.keys.map { ($0.description, $0) }) { first, _ in first }
        return try await reportingAdminError(
            api: api, resourceKind: .partition, resourceName: AdminError.resourceNames(Array(names.keys))
        ) {
            guard !reassignments.isEmpty else { return [:] }
            let timeoutMs = Int32(clamping: configuration.requestTimeout.clampedMilliseconds)
            let results = try await resultsRetryingNotController(
                names.keys.sorted(), api: api, resourceKind: .partition
            ) { pending in
                let connection = try await cluster.connection(to: .controller, kind: .admin)
                try await requireAPI(
                    api, on: connection, purpose: "partition reassignment", release: "Kafka 2.4")
                let keys = pending.compactMap { names[$0] }
                let byTopic = Dictionary(grouping: keys, by: \.topic)
                let (response, _) = try await cluster.send(on: connection) { _ in
                    AlterPartitionReassignmentsRequest(
                        timeoutMs: timeoutMs,
                        topics: byTopic.keys.sorted().map { topic in
                            .init(
                                name: topic,
                                partitions: (byTopic[topic] ?? []).sorted().map { key in
                                    var target: [Int32]?
                                    if case .replicas(let replicas) = reassignments[key] { target = replicas }
                                    return .init(partitionIndex: key.partition, replicas: target)
                                })
                        })
                }
                var answers: [String: Result<Void, AdminError>] = [:]
                let topLevel = KafkaErrorCode(rawValue: response.errorCode)
                for key in keys {
                    if topLevel != .none {
                        answers[key.description] = .failure(
                            AdminError(code: topLevel, api: api, partition: key, message: response.errorMessage))
                    }
                }
                guard topLevel == .none else { return answers }
                for topic in response.responses {
                    for answer in topic.partitions {
                        let key = TopicPartitionKey(topic: topic.name, partition: answer.partitionIndex)
                        guard names[key.description] == key, answers[key.description] == nil else { continue }
                        let code = KafkaErrorCode(rawValue: answer.errorCode)
                        answers[key.description] =
                            code == .none
                            ? .success(())
                            : .failure(AdminError(code: code, api: api, partition: key, message: answer.errorMessage))
                    }
                }
                return answers
            }
            var byKey: [TopicPartitionKey: Result<Void, AdminError>] = [:]
            for (name, result) in results { if let key = names[name] { byKey[key] = result } }
            return byKey
        }
    }

    /// The partition reassignments in progress (Java's `listPartitionReassignments`), with
    /// ListPartitionReassignments (Kafka 2.4 or later) to the controller.
    ///
    /// - Parameter partitions: only these partitions; `nil` for every reassignment in progress.
    /// - Returns: the reassignments in progress; partitions that are not moving are left out.
    /// - Throws: ``AdminError`` for the cluster: `UNSUPPORTED_VERSION` when the broker is older than Kafka 2.4 (the
    ///   message names the API and the versions the broker has), an error the controller reported, `NETWORK_EXCEPTION`
    ///   or `REQUEST_TIMED_OUT` when no broker answers, or the task's cancellation (``AdminError/isCancellation``).
    public func listPartitionReassignments(
        _ partitions: Set<TopicPartitionKey>? = nil
    ) async throws(AdminError) -> [TopicPartitionKey: PartitionReassignment] {
        let api = KafkaAPIKey.listPartitionReassignments
        return try await reportingAdminError(api: api, resourceKind: .cluster, resourceName: "") {
            if let partitions, partitions.isEmpty { return [:] }
            let timeoutMs = Int32(clamping: configuration.requestTimeout.clampedMilliseconds)
            return try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                let connection = try await cluster.connection(to: .controller, kind: .admin)
                try await requireAPI(
                    api, on: connection, purpose: "partition reassignment", release: "Kafka 2.4")
                let byTopic = partitions.map { Dictionary(grouping: $0, by: \.topic) }
                let (response, _) = try await cluster.send(on: connection) { _ in
                    ListPartitionReassignmentsRequest(
                        timeoutMs: timeoutMs,
                        topics: byTopic.map { grouped in
                            grouped.keys.sorted().map { topic in
                                .init(name: topic, partitionIndexes: (grouped[topic] ?? []).map(\.partition).sorted())
                            }
                        })
                }
                let code = KafkaErrorCode(rawValue: response.errorCode)
                if code != .none { throw KafkaError(code: code, api: api, brokerMessage: response.errorMessage) }
                var result: [TopicPartitionKey: PartitionReassignment] = [:]
                for topic in response.topics {
                    for partition in topic.partitions {
                        let key = TopicPartitionKey(topic: topic.name, partition: partition.partitionIndex)
                        if let partitions, !partitions.contains(key) { continue }
                        result[key] = PartitionReassignment(
                            replicas: partition.replicas, addingReplicas: partition.addingReplicas,
                            removingReplicas: partition.removingReplicas)
                    }
                }
                return result
            }
        }
    }

    /// Fails with `UNSUPPORTED_VERSION` when the broker behind `connection` does not have `api` at all: one message
    /// naming the API, what needs it, the Kafka release that brought it and the broker's versions of it.
    func requireAPI(
        _ api: KafkaAPIKey, on connection: BrokerConnection, purpose: String, release: String
    ) async throws {
        guard connection.versions.brokerRanges[api] == nil else { return }
        let broker = await brokerName(of: connection)
        throw KafkaError(
            code: .unsupportedVersion, api: api,
            brokerMessage: "\(purpose) needs \(api.name) v0 or later (\(release)); \(broker) supports \(api.name) "
                + "not at all")
    }

    /// `broker N` for the broker behind `connection` (looked up by address in the metadata when the connection is
    /// a bootstrap one), else `the broker at host:port`.
    func brokerName(of connection: BrokerConnection) async -> String {
        if let id = connection.nodeID { return "broker \(id)" }
        let known = try? await cluster.metadata(for: []).brokers.values.first {
            $0.host == connection.address.host && $0.port == connection.address.port
        }
        return known.map { "broker \($0.nodeID)" } ?? "the broker at \(connection.address)"
    }
}
