package import KafkaProtocol

extension KafkaClusterClient {
    /// The coordinator of `key` (a group id or transactional id), from the cache or looked up with
    /// FindCoordinator. Concurrent lookups of the same key share one request.
    public func coordinator(for key: String, type: CoordinatorType) async throws -> BrokerMetadata {
        let cacheKey = CoordinatorKey(key: key, type: type)
        let (cached, task) = state.withLockedValue { state -> (BrokerMetadata?, Task<BrokerMetadata, any Error>?) in
            if let cached = state.coordinators[cacheKey] { return (cached, nil) }
            if let running = state.coordinatorLookups[cacheKey] { return (nil, running) }
            let task = Task<BrokerMetadata, any Error> {
                let found = try await self.withRetries { _ in
                    let result = try await self.lookUpCoordinators(for: [key], type: type)
                    guard let outcome = result[key] else {
                        throw KafkaError(code: .coordinatorNotAvailable, api: .findCoordinator)
                    }
                    return try outcome.get()
                }
                return found
            }
            state.coordinatorLookups[cacheKey] = task
            return (nil, task)
        }
        if let cached { return cached }
        guard let task else { throw KafkaError(code: .coordinatorNotAvailable, api: .findCoordinator) }
        defer {
            state.withLockedValue { state in
                _ = state.coordinatorLookups.removeValue(forKey: cacheKey)
            }
        }
        let broker = try await task.value
        state.withLockedValue { $0.coordinators[cacheKey] = broker }
        return broker
    }

    /// Looks up the coordinators of several keys: one FindCoordinator request carrying every key
    /// when the broker supports batching (v4+, KIP-699), one request per key otherwise. The result
    /// has an entry per key: the coordinator, or the error for that key. Successful lookups are
    /// cached.
    package func lookUpCoordinators(
        for keys: [String], type: CoordinatorType
    ) async throws -> [String: Result<BrokerMetadata, KafkaError>] {
        let connection = try await connection(to: .anyBroker, kind: .admin)
        let version = try connection.versions.version(for: FindCoordinatorRequest.self)
        var results: [String: Result<BrokerMetadata, KafkaError>] = [:]
        if version >= 4 {
            var request = FindCoordinatorRequest()
            request.keyType = type.rawValue
            request.coordinatorKeys = keys
            let response = try await connection.send(request, version: version)
            for entry in response.coordinators {
                results[entry.key] = Self.outcome(
                    code: entry.errorCode, message: entry.errorMessage, nodeID: entry.nodeId, host: entry.host,
                    port: entry.port, key: entry.key)
            }
        } else {
            for key in keys {
                var request = FindCoordinatorRequest()
                request.key = key
                if version >= 1 { request.keyType = type.rawValue }
                let response = try await connection.send(request, version: version)
                results[key] = Self.outcome(
                    code: response.errorCode, message: response.errorMessage, nodeID: response.nodeId,
                    host: response.host, port: response.port, key: key)
            }
        }
        state.withLockedValue { state in
            for (key, result) in results {
                if case .success(let broker) = result {
                    state.coordinators[CoordinatorKey(key: key, type: type)] = broker
                }
            }
        }
        return results
    }

    /// Forgets the cached coordinator of `key` (after NOT_COORDINATOR and the like).
    public func invalidateCoordinator(for key: String, type: CoordinatorType) {
        _ = state.withLockedValue { $0.coordinators.removeValue(forKey: CoordinatorKey(key: key, type: type)) }
    }

    private static func outcome(
        code: Int16, message: String?, nodeID: Int32, host: String, port: Int32, key: String
    ) -> Result<BrokerMetadata, KafkaError> {
        let code = KafkaErrorCode(rawValue: code)
        guard code == .none else {
            return .failure(KafkaError(code: code, api: .findCoordinator, brokerMessage: message))
        }
        guard nodeID >= 0, port > 0, port <= 65535, !host.isEmpty else {
            return .failure(
                KafkaError(
                    code: .coordinatorNotAvailable, api: .findCoordinator,
                    brokerMessage: "invalid coordinator \(nodeID) at \(host):\(port) for '\(key)'"))
        }
        return .success(BrokerMetadata(nodeID: nodeID, host: host, port: Int(port), rack: nil))
    }
}
