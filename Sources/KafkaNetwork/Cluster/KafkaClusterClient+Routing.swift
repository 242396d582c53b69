public import KafkaProtocol

extension KafkaClusterClient {
    /// The connection for `destination`, carrying `kind` traffic.
    ///
    /// Leaders and coordinators come from the caches, refreshed or looked up when unknown.
    /// - Throws: ``KafkaError`` LEADER_NOT_AVAILABLE / UNKNOWN_TOPIC_OR_PARTITION (retriable) when
    ///   the partition has no known leader; ``KafkaNetworkError`` when no connection can be made.
    package func connection(to destination: RequestDestination, kind: ConnectionKind) async throws -> BrokerConnection {
        switch destination {
        case .anyBroker:
            var lastError: (any Error)?
            for (address, nodeID) in await candidateBrokers() {
                do {
                    return try await pool.connection(to: address, nodeID: nodeID, kind: kind)
                } catch let error as KafkaNetworkError where !error.isRetriable {
                    throw error
                } catch {
                    lastError = error
                }
            }
            throw KafkaNetworkError(
                .noBrokerAvailable, "no broker is reachable\(lastError.map { ": \($0)" } ?? "")")
        case .broker(let nodeID):
            return try await connection(toNode: nodeID, kind: kind)
        case .controller:
            var metadata = try await metadata()
            if metadata.controllerID == nil {
                try await refreshMetadata()
                metadata = cachedMetadata
            }
            guard let controller = metadata.controllerID else {
                throw KafkaNetworkError(.noBrokerAvailable, "the cluster reported no controller")
            }
            // A controller id that names none of the brokers (KRaft clusters may report a controller that is not
            // a broker; librdkafka's mock reports 0 beside brokers 1…N): any broker forwards controller requests,
            // or answers NOT_CONTROLLER, which is retried after a metadata refresh.
            if metadata.broker(controller) == nil {
                try await refreshMetadata()
                if cachedMetadata.broker(controller) == nil { return try await connection(to: .anyBroker, kind: kind) }
            }
            return try await connection(toNode: controller, kind: kind)
        case .leader(let topic, let partition):
            let metadata = try await metadata(for: [topic])
            guard let info = metadata.partition(topic: topic, partition: partition) else {
                invalidateMetadata(topic: topic)
                let code: KafkaErrorCode = metadata.topics[topic]?.error ?? .unknownTopicOrPartition
                throw KafkaError(code: code, api: .metadata, topic: topic, partition: partition)
            }
            guard let leader = info.leader, let broker = metadata.broker(leader) else {
                invalidateMetadata(topic: topic)
                throw KafkaError(code: .leaderNotAvailable, api: .metadata, topic: topic, partition: partition)
            }
            return try await pool.connection(
                to: BrokerAddress(host: broker.host, port: broker.port), nodeID: broker.nodeID, kind: kind)
        case .groupCoordinator(let group):
            let broker = try await coordinator(for: group, type: .group)
            return try await pool.connection(
                to: BrokerAddress(host: broker.host, port: broker.port), nodeID: broker.nodeID, kind: kind)
        case .transactionCoordinator(let id):
            let broker = try await coordinator(for: id, type: .transaction)
            return try await pool.connection(
                to: BrokerAddress(host: broker.host, port: broker.port), nodeID: broker.nodeID, kind: kind)
        }
    }

    private func connection(toNode nodeID: Int32, kind: ConnectionKind) async throws -> BrokerConnection {
        var broker = cachedMetadata.broker(nodeID)
        if broker == nil {
            try await refreshMetadata()
            broker = cachedMetadata.broker(nodeID)
        }
        guard let broker else {
            throw KafkaNetworkError(.noBrokerAvailable, "broker \(nodeID) is not in the cluster metadata")
        }
        return try await pool.connection(
            to: BrokerAddress(host: broker.host, port: broker.port), nodeID: nodeID, kind: kind)
    }

    /// Sends `request` once to `destination`. A connection that fails is dropped from the pool
    /// so the next attempt reconnects.
    public func send<R: KafkaRequest>(
        _ request: R, to destination: RequestDestination, kind: ConnectionKind, timeout: Duration? = nil
    ) async throws -> R.Response {
        let connection = try await connection(to: destination, kind: kind)
        return try await send(on: connection, timeout: timeout) { _ in request }.response
    }

    /// Sends once, on `connection`, the request `build` makes for the version negotiated with its broker. A
    /// connection that fails is dropped from the pool so the next attempt reconnects (not for an unsupported
    /// version or an undecodable response, which say nothing about the connection).
    ///
    /// - Returns: the response and the version it was sent with.
    package func send<R: KafkaRequest>(
        on connection: BrokerConnection, timeout: Duration? = nil, _ build: (Int16) throws -> R
    ) async throws -> (response: R.Response, version: Int16) {
        let version = try connection.versions.version(for: R.self)
        let request = try build(version)
        do {
            return (try await connection.send(request, version: version, timeout: timeout), version)
        } catch let error as KafkaNetworkError {
            if error.kind != .unsupportedVersion && error.kind != .undecodableResponse {
                await pool.discard(connection)
            }
            throw error
        }
    }

    /// Sends a request with retries: on a retriable network error or a retriable error code
    /// (reported by `errorCode`), waits `retry.backoff.ms` (growing to `retry.backoff.max.ms`),
    /// refreshes metadata when the error calls for it, re-resolves the destination, and tries
    /// again, up to `retries` times or until `timeout` has passed.
    ///
    /// - Parameters:
    ///   - request: the request to send (the same value on every attempt).
    ///   - destination: where it goes, resolved again before each attempt.
    ///   - kind: the traffic kind, which picks the connection.
    ///   - timeout: the time all attempts together may take.
    ///   - errorCode: extracts the error that decides the outcome, with the topic and partition
    ///     it concerns (nil = success).
    public func sendWithRetries<R: KafkaRequest>(
        _ request: R, to destination: RequestDestination, kind: ConnectionKind, timeout: Duration = .seconds(60),
        errorCode: @Sendable (R.Response) -> KafkaError? = { _ in nil }
    ) async throws -> R.Response {
        try await withRetries(timeout: timeout) { _ in
            let response = try await self.send(request, to: destination, kind: kind)
            if let error = errorCode(response) {
                if error.code.isCoordinatorError {
                    switch destination {
                    case .groupCoordinator(let key): self.invalidateCoordinator(for: key, type: .group)
                    case .transactionCoordinator(let key): self.invalidateCoordinator(for: key, type: .transaction)
                    default: break
                    }
                }
                throw error
            }
            return response
        }
    }

    /// Runs `operation` with the client's retry policy (see ``sendWithRetries(_:to:kind:timeout:errorCode:)``).
    /// `operation` receives the attempt number (0 first).
    package func withRetries<T: Sendable>(
        timeout: Duration = .seconds(60), _ operation: (Int) async throws -> T
    ) async throws -> T {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var attempt = 0
        while true {
            do {
                return try await operation(attempt)
            } catch {
                guard RetryPolicy.isRetriable(error), attempt < retryPolicy.retries else { throw error }
                attempt += 1
                let delay = retryPolicy.delay(beforeRetry: attempt, random: Double.random(in: 0..<1))
                guard ContinuousClock.now.advanced(by: delay) < deadline else { throw error }
                logger.debug("retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
                if let error = error as? KafkaError, error.code.invalidatesMetadata {
                    invalidateMetadata(topic: error.topic)
                    try? await refreshMetadata()
                } else if error is KafkaNetworkError {
                    invalidateMetadata()
                }
            }
        }
    }
}
