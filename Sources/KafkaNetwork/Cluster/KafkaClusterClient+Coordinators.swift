package import KafkaProtocol

extension KafkaClusterClient {
    /// The coordinator of `key` (a group id or transactional id), from the cache or looked up with
    /// FindCoordinator (retried with the client's retry policy, for up to a minute). Concurrent lookups of the same
    /// key share one request.
    ///
    /// A cancelled caller cancels the shared lookup (which ends once its request in flight is answered) and throws
    /// `CancellationError`; the other callers waiting on that lookup, not cancelled themselves, start a new one.
    public func coordinator(for key: String, type: CoordinatorType) async throws -> BrokerMetadata {
        let cacheKey = CoordinatorKey(key: key, type: type)
        while true {
            try Task.checkCancellation()
            let found: CoordinatorLookup.Found = state.withLockedValue { state in
                if let cached = state.coordinators[cacheKey] { return .cached(cached) }
                if let running = state.coordinatorLookups[cacheKey], !running.task.isCancelled {
                    return .running(running)
                }
                state.nextCoordinatorLookup &+= 1
                let id = state.nextCoordinatorLookup
                let task = Task<BrokerMetadata, any Error> {
                    defer { self.forgetLookup(cacheKey, id: id) }
                    let broker = try await self.withRetries { _ in
                        let result = try await self.lookUpCoordinators(for: [key], type: type)
                        guard let outcome = result[key] else {
                            throw KafkaError(code: .coordinatorNotAvailable, api: .findCoordinator)
                        }
                        return try outcome.get()
                    }
                    self.state.withLockedValue { $0.coordinators[cacheKey] = broker }
                    return broker
                }
                let lookup = CoordinatorLookup(id: id, task: task)
                state.coordinatorLookups[cacheKey] = lookup
                return .running(lookup)
            }
            let lookup: CoordinatorLookup
            switch found {
            case .cached(let broker): return broker
            case .running(let running): lookup = running
            }
            do {
                return try await withTaskCancellationHandler {
                    try await lookup.task.value
                } onCancel: {
                    lookup.task.cancel()
                }
            } catch is CancellationError where !Task.isCancelled {
                continue  // another caller's cancellation ended the shared lookup: look up anew
            }
        }
    }

    /// Forgets lookup `id` of `key` once it ended (its outcome is cached when it succeeded).
    private func forgetLookup(_ key: CoordinatorKey, id: UInt64) {
        state.withLockedValue { state in
            if state.coordinatorLookups[key]?.id == id { state.coordinatorLookups.removeValue(forKey: key) }
        }
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
