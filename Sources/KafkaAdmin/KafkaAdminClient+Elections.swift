public import KafkaNetwork
import KafkaProtocol

/// Which leader an election picks (Java's `ElectionType`).
public enum ElectionType: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The preferred replica (the first of the partition's replicas), when it is alive and in sync.
    case preferred = 0
    /// Any live replica, also one out of the ISR, for a partition that has no leader (data may be lost).
    case unclean = 1

    /// `PREFERRED` or `UNCLEAN`, as Kafka prints the type.
    public var description: String { self == .preferred ? "PREFERRED" : "UNCLEAN" }
}

extension KafkaAdminClient {
    /// Elects partition leaders (Java's `electLeaders`), with ElectLeaders to the controller: v1 or later (Kafka
    /// 2.4) when the broker has it; for ``ElectionType/preferred`` on Kafka 2.2 and 2.3 the same request at v0 (the
    /// API was then called ElectPreferredLeaders).
    ///
    /// - Parameters:
    ///   - type: the kind of election.
    ///   - partitions: the partitions; `nil` for every partition of the cluster, in which case the controller
    ///     answers only for the partitions that needed an election (Kafka 2.3 answers for every one).
    /// - Returns: per partition, success or the error: `ELECTION_NOT_NEEDED` when the partition already has the
    ///   leader the election would pick (Kafka 2.3 answers success instead), `PREFERRED_LEADER_NOT_AVAILABLE`,
    ///   `ELIGIBLE_LEADERS_NOT_AVAILABLE`, `UNKNOWN_TOPIC_OR_PARTITION`, or the failure of the request as a whole.
    /// - Throws: ``AdminError`` for the cluster: an error of the whole request (`CLUSTER_AUTHORIZATION_FAILED`, …),
    ///   `UNSUPPORTED_VERSION` for an unclean election on a broker older than Kafka 2.4 (or any election before
    ///   Kafka 2.2; the message names the API and the broker's versions of it), `NETWORK_EXCEPTION` or
    ///   `REQUEST_TIMED_OUT` when no broker answers, or the task's cancellation (``AdminError/isCancellation``).
    public func electLeaders(
        _ type: ElectionType, partitions: Set<TopicPartitionKey>?
    ) async throws(AdminError) -> [TopicPartitionKey: Result<Void, AdminError>] {
        let api = KafkaAPIKey.electLeaders
        return try await reportingAdminError(api: api, resourceKind: .cluster, resourceName: "") {
            if let partitions, partitions.isEmpty { return [:] }
            let timeoutMs = Int32(clamping: configuration.requestTimeout.clampedMilliseconds)
            return try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                let connection = try await cluster.connection(to: .controller, kind: .admin)
                guard let range = connection.versions.brokerRanges[api] else {
                    let broker = await brokerName(of: connection)
                    throw KafkaError(
                        code: .unsupportedVersion, api: api,
                        brokerMessage: "leader election needs ElectLeaders v0 or later (Kafka 2.2); \(broker) supports "
                            + "ElectLeaders not at all")
                }
                if type != .preferred && range.upperBound < 1 {
                    let broker = await brokerName(of: connection)
                    throw KafkaError(
                        code: .unsupportedVersion, api: api,
                        brokerMessage: "\(type) leader election needs ElectLeaders v1 or later (Kafka 2.4); "
                            + "\(broker) supports only ElectPreferredLeaders v\(range.lowerBound)–v\(range.upperBound)")
                }
                let byTopic = partitions.map { Dictionary(grouping: $0, by: \.topic) }
                let (response, version) = try await cluster.send(on: connection) { _ in
                    ElectLeadersRequest(
                        electionType: type.rawValue,
                        topicPartitions: byTopic.map { grouped in
                            grouped.keys.sorted().map { topic in
                                .init(topic: topic, partitions: (grouped[topic] ?? []).map(\.partition).sorted())
                            }
                        },
                        timeoutMs: timeoutMs)
                }
                let code = KafkaErrorCode(rawValue: response.errorCode)
                if version >= 1, code != .none { throw KafkaError(code: code, api: api) }
                var answers: [TopicPartitionKey: Result<Void, AdminError>] = [:]
                for topic in response.replicaElectionResults {
                    for answer in topic.partitionResult {
                        let key = TopicPartitionKey(topic: topic.topic, partition: answer.partitionId)
                        guard answers[key] == nil, partitions?.contains(key) ?? true else { continue }
                        let code = KafkaErrorCode(rawValue: answer.errorCode)
                        answers[key] =
                            code == .none
                            ? .success(())
                            : .failure(AdminError(code: code, api: api, partition: key, message: answer.errorMessage))
                    }
                }
                let failures = answers.values.compactMap { result -> AdminError? in
                    if case .failure(let error) = result { return error }
                    return nil
                }
                if let notController = failures.first(where: { $0.code == .notController }) {
                    throw KafkaError(code: .notController, api: api, brokerMessage: notController.message)
                }
                for key in partitions ?? [] where answers[key] == nil {
                    answers[key] = .failure(
                        AdminError.missing(api: api, resourceKind: .partition, resourceName: key.description))
                }
                return answers
            }
        }
    }
}
