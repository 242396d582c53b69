import KafkaNetwork
import KafkaProtocol

extension KafkaAdminClient {
    /// Describes the cluster: its id, the controller and the live brokers with host, port and rack.
    ///
    /// Uses DescribeCluster (Kafka 2.8 and later) when the broker supports it, Metadata otherwise.
    /// Retriable errors are retried for up to `request.timeout.ms`.
    ///
    /// - Throws: ``AdminError`` (the resource kind is ``AdminError/ResourceKind/cluster``) for an error the
    ///   broker reported, `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT` when no broker answers, or the task's
    ///   cancellation (``AdminError/isCancellation``).
    public func describeCluster() async throws(AdminError) -> ClusterDescription {
        do {
            return try await describeClusterOnce()
        } catch {
            throw AdminError.thrownByOperation(
                error, api: (error as? KafkaError)?.api ?? .describeCluster, resourceKind: .cluster, resourceName: "")
        }
    }

    /// ``describeCluster()``, reporting the broker's errors as `KafkaError` so that they are retried.
    private func describeClusterOnce() async throws -> ClusterDescription {
        try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
            let connection = try await cluster.connection(to: .anyBroker, kind: .admin)
            if connection.versions.brokerRanges[.describeCluster] != nil {
                let (response, _) = try await cluster.send(on: connection) { _ in
                    DescribeClusterRequest(includeClusterAuthorizedOperations: false, endpointType: 1)
                }
                if response.errorCode != 0 {
                    throw KafkaError(
                        code: KafkaErrorCode(rawValue: response.errorCode), api: .describeCluster,
                        brokerMessage: response.errorMessage)
                }
                var brokers: [Int32: BrokerMetadata] = [:]
                for broker in response.brokers
                where brokers[broker.brokerId] == nil && (1...65535).contains(broker.port) && !broker.host.isEmpty {
                    brokers[broker.brokerId] = BrokerMetadata(
                        nodeID: broker.brokerId, host: broker.host, port: Int(broker.port), rack: broker.rack)
                }
                return ClusterDescription(
                    clusterID: response.clusterId.isEmpty ? nil : response.clusterId,
                    controllerID: response.controllerId >= 0 ? response.controllerId : nil,
                    brokers: brokers.values.sorted { $0.nodeID < $1.nodeID })
            }
            let (response, _) = try await cluster.send(on: connection) { version in
                // An empty list asks for no topic (v1+); v0 then lists every topic, which is harmless.
                MetadataRequest(topics: [], allowAutoTopicCreation: version < 4)
            }
            try response.requireBrokers(from: connection.address)
            let metadata = ClusterMetadata(response: response)
            return ClusterDescription(
                clusterID: metadata.clusterID, controllerID: metadata.controllerID,
                brokers: metadata.brokers.values.sorted { $0.nodeID < $1.nodeID })
        }
    }

    // MARK: - Request helpers shared by the admin operations

    /// Runs a public admin operation, reporting what it throws as an ``AdminError`` for the resources it concerns:
    /// an ``AdminError`` as it is, and a broker's error, a network failure, a timeout or the task's cancellation
    /// with the nearest error code (see ``AdminError``).
    func reportingAdminError<T>(
        api: KafkaAPIKey, resourceKind: AdminError.ResourceKind, resourceName: String,
        _ operation: () async throws -> T
    ) async throws(AdminError) -> T {
        do {
            return try await operation()
        } catch {
            throw AdminError.thrownByOperation(error, api: api, resourceKind: resourceKind, resourceName: resourceName)
        }
    }

    /// Runs a per-resource operation against the controller, retrying the resources that failed
    /// with NOT_CONTROLLER (after a metadata refresh, which finds the new controller) and whole
    /// requests that failed with a retriable error, for up to `request.timeout.ms`.
    ///
    /// `attempt` receives the keys still pending and returns a result for each of them (a key it
    /// leaves out gets a "missing from the response" error).
    func resultsRetryingNotController<Value: Sendable>(
        _ keys: [String], api: KafkaAPIKey, resourceKind: AdminError.ResourceKind,
        _ attempt: ([String]) async throws -> [String: Result<Value, AdminError>]
    ) async throws -> [String: Result<Value, AdminError>] {
        var results: [String: Result<Value, AdminError>] = [:]
        var pending = keys
        do {
            try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                let answers = try await attempt(pending)
                var retry: [String] = []
                var retryMessage: String?
                for key in pending {
                    let answer =
                        answers[key]
                        ?? .failure(AdminError.missing(api: api, resourceKind: resourceKind, resourceName: key))
                    results[key] = answer
                    if case .failure(let error) = answer, error.code == .notController {
                        retry.append(key)
                        retryMessage = error.message
                    }
                }
                pending = retry
                if !retry.isEmpty {
                    logger.debug(
                        "the controller moved", metadata: ["api": "\(api.name)", "pending": "\(retry.count)"])
                    throw KafkaError(code: .notController, api: api, brokerMessage: retryMessage)
                }
            }
        } catch {
            // Nothing decided yet: the operation failed as a whole.
            guard !results.isEmpty else { throw error }
            // Out of retries on NOT_CONTROLLER: the pending keys keep their results. A later
            // attempt that failed as a whole fails only the keys still pending.
            if (error as? KafkaError)?.code != .notController {
                for key in pending {
                    results[key] = .failure(AdminError(error, api: api, resourceKind: resourceKind, resourceName: key))
                }
            }
        }
        return results
    }
}
