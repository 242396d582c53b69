import KafkaDevCluster
import KafkaProtocol
import NIOCore

/// The answers of the test broker: ApiVersions, SASL, Metadata and FindCoordinator.
extension TestBrokerConnectionHandler {
    /// The answer to a request (without faults); anything unexpected closes the connection.
    func answer(_ header: RequestHeader, body: ByteBuffer) -> Action {
        let apiKey = KafkaAPIKey(rawValue: header.requestApiKey)
        let version = header.requestApiVersion
        do {
            if apiKey == .apiVersions {
                return try apiVersions(header, body: body)
            }
            guard let range = shared.configuration.apiVersions[apiKey], range.contains(version),
                let type = KafkaMessageRegistry.requestType(for: apiKey), type.validVersions.contains(version)
            else { return .close }
            if !session.isAuthenticated && apiKey != .saslHandshake && apiKey != .saslAuthenticate {
                return .close  // Kafka closes connections that skip authentication.
            }
            switch apiKey {
            case .saslHandshake, .saslAuthenticate: return sasl(header, body: body)
            case .metadata: return try metadata(header, body: body)
            case .findCoordinator: return try findCoordinator(header, body: body)
            default: return .close
            }
        } catch {
            return .close  // A malformed request.
        }
    }

    /// A whole response frame: size, response header at the version `R` calls for, body.
    static func frame<R: KafkaRequest>(
        _: R.Type, _ response: R.Response, version: Int16, correlationId: Int32
    ) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(0))
        try ResponseHeader(correlationId: correlationId).encode(
            into: &buffer, version: R.responseHeaderVersion(for: version))
        try response.encode(into: &buffer, version: version)
        buffer.setInteger(Int32(clamping: buffer.readableBytes - 4), at: buffer.readerIndex)
        return buffer
    }

    // MARK: - ApiVersions

    private func apiVersions(_ header: RequestHeader, body: ByteBuffer) throws -> Action {
        let configuration = shared.configuration
        let version = header.requestApiVersion
        var ours = configuration.apiVersions[.apiVersions] ?? ApiVersionsRequest.validVersions
        if !configuration.supportsApiVersionsV3 {
            ours = min(ours.lowerBound, 2)...min(ours.upperBound, 2)
        }
        let ownEntry = ApiVersionsResponse.ApiVersion(
            apiKey: KafkaAPIKey.apiVersions.rawValue, minVersion: ours.lowerBound, maxVersion: ours.upperBound)
        guard ours.contains(version), ApiVersionsRequest.validVersions.contains(version) else {
            // KIP-511: an unsupported version is answered in the v0 layout, with our ApiVersions range.
            let response = ApiVersionsResponse(
                errorCode: KafkaErrorCode.unsupportedVersion.rawValue, apiKeys: [ownEntry])
            return .send(
                try Self.frame(ApiVersionsRequest.self, response, version: 0, correlationId: header.correlationId))
        }
        _ = try ApiVersionsRequest.decode(from: body, version: version)
        var keys = configuration.apiVersions.filter { $0.key != .apiVersions }.map {
            ApiVersionsResponse.ApiVersion(
                apiKey: $0.key.rawValue, minVersion: $0.value.lowerBound, maxVersion: $0.value.upperBound)
        }
        keys.append(ownEntry)
        keys.sort { $0.apiKey < $1.apiKey }
        let response = ApiVersionsResponse(errorCode: 0, apiKeys: keys)
        return .send(
            try Self.frame(ApiVersionsRequest.self, response, version: version, correlationId: header.correlationId))
    }

    // MARK: - SASL

    /// Answers SaslHandshake / SaslAuthenticate through the shared server-side SASL session.
    private func sasl(_ header: RequestHeader, body: ByteBuffer) -> Action {
        let wasAuthenticated = session.isAuthenticated
        let action = session.answer(header, body: body)
        noteAuthentication(wasAuthenticated)
        return action
    }

    /// A raw SASL token after SaslHandshake v0.
    func rawToken(_ frame: ByteBuffer) -> Action {
        let wasAuthenticated = session.isAuthenticated
        let action = session.rawToken(frame)
        noteAuthentication(wasAuthenticated)
        return action
    }

    private func noteAuthentication(_ wasAuthenticated: Bool) {
        if !wasAuthenticated, session.isAuthenticated, let user = session.authenticatedUser {
            shared.authenticated(user)
        }
    }

    // MARK: - Metadata and FindCoordinator

    private func metadata(_ header: RequestHeader, body: ByteBuffer) throws -> Action {
        let version = header.requestApiVersion
        let request = try MetadataRequest.decode(from: body, version: version)
        let configuration = shared.configuration
        let nodeID = configuration.nodeID
        func describe(_ name: String) -> MetadataResponse.MetadataResponseTopic? {
            guard let count = configuration.topics[name] else { return nil }
            let partitions = (0..<max(count, 0)).map {
                MetadataResponse.MetadataResponsePartition(
                    errorCode: 0, partitionIndex: $0, leaderId: nodeID, leaderEpoch: 0, replicaNodes: [nodeID],
                    isrNodes: [nodeID], offlineReplicas: [])
            }
            return MetadataResponse.MetadataResponseTopic(
                errorCode: 0, name: name, topicId: shared.topicIDs[name] ?? .zero, isInternal: false,
                partitions: partitions)
        }
        var topics: [MetadataResponse.MetadataResponseTopic] = []
        if let requested = request.topics, !(version == 0 && requested.isEmpty) {
            for topic in requested {
                if let name = topic.name {
                    topics.append(
                        describe(name)
                            ?? .init(errorCode: KafkaErrorCode.unknownTopicOrPartition.rawValue, name: name))
                } else if let name = shared.topicIDs.first(where: { $0.value == topic.topicId })?.key,
                    let described = describe(name)
                {
                    topics.append(described)
                } else {
                    let unknownTopicID: Int16 = 100  // UNKNOWN_TOPIC_ID
                    topics.append(
                        .init(errorCode: unknownTopicID, name: version >= 12 ? nil : "", topicId: topic.topicId))
                }
            }
        } else {
            topics = configuration.topics.keys.sorted().compactMap(describe)
        }
        if let failure = shared.takeFailure(.metadata) {
            for index in topics.indices { topics[index].errorCode = failure.rawValue }
        }
        let response = MetadataResponse(
            throttleTimeMs: 0, brokers: [.init(nodeId: nodeID, host: "127.0.0.1", port: port, rack: nil)],
            clusterId: "test-cluster", controllerId: nodeID, topics: topics)
        return .send(
            try Self.frame(MetadataRequest.self, response, version: version, correlationId: header.correlationId))
    }

    private func findCoordinator(_ header: RequestHeader, body: ByteBuffer) throws -> Action {
        let version = header.requestApiVersion
        let request = try FindCoordinatorRequest.decode(from: body, version: version)
        let nodeID = shared.configuration.nodeID
        let failure = shared.takeFailure(.findCoordinator)
        var response = FindCoordinatorResponse()
        if version >= 4 {
            response.coordinators = request.coordinatorKeys.map { key in
                if let failure {
                    return .init(
                        key: key, nodeId: -1, host: "", port: -1, errorCode: failure.rawValue,
                        errorMessage: failure.name)
                }
                return .init(key: key, nodeId: nodeID, host: "127.0.0.1", port: port, errorCode: 0, errorMessage: nil)
            }
        } else if let failure {
            response.errorCode = failure.rawValue
            response.errorMessage = failure.name
            response.nodeId = -1
            response.host = ""
            response.port = -1
        } else {
            response.errorMessage = nil
            response.nodeId = nodeID
            response.host = "127.0.0.1"
            response.port = port
        }
        return .send(
            try Self.frame(FindCoordinatorRequest.self, response, version: version, correlationId: header.correlationId)
        )
    }
}
