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
            if !session.authenticated && apiKey != .saslHandshake && apiKey != .saslAuthenticate {
                return .close  // Kafka closes connections that skip authentication.
            }
            switch apiKey {
            case .saslHandshake: return try saslHandshake(header, body: body)
            case .saslAuthenticate: return try saslAuthenticate(header, body: body)
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

    private func saslHandshake(_ header: RequestHeader, body: ByteBuffer) throws -> Action {
        let version = header.requestApiVersion
        let request = try SaslHandshakeRequest.decode(from: body, version: version)
        let mechanisms = shared.configuration.saslMechanisms
        func reply(_ code: KafkaErrorCode) throws -> ByteBuffer {
            try Self.frame(
                SaslHandshakeRequest.self, SaslHandshakeResponse(errorCode: code.rawValue, mechanisms: mechanisms),
                version: version, correlationId: header.correlationId)
        }
        if mechanisms.isEmpty || session.authenticated || session.mechanism != nil {
            return .send(try reply(.illegalSaslState))
        }
        let users = shared.configuration.users
        switch request.mechanism {
        case let name where !mechanisms.contains(name):
            return .sendThenClose(try reply(.unsupportedSaslMechanism))
        case "PLAIN":
            break
        case "SCRAM-SHA-256":
            session.scram = SCRAMServer(hash: .sha256, users: users)
        case "SCRAM-SHA-512":
            session.scram = SCRAMServer(hash: .sha512, users: users)
        default:
            // Enabled in the configuration, but the test broker cannot do it.
            return .sendThenClose(try reply(.unsupportedSaslMechanism))
        }
        session.mechanism = request.mechanism
        session.rawTokens = version == 0
        return .send(try reply(.none))
    }

    private func saslAuthenticate(_ header: RequestHeader, body: ByteBuffer) throws -> Action {
        let version = header.requestApiVersion
        let request = try SaslAuthenticateRequest.decode(from: body, version: version)
        func reply(_ code: KafkaErrorCode, _ message: String?, _ bytes: [UInt8]) throws -> ByteBuffer {
            let response = SaslAuthenticateResponse(
                errorCode: code.rawValue, errorMessage: message, authBytes: ByteBuffer(bytes: bytes),
                sessionLifetimeMs: 0)
            return try Self.frame(
                SaslAuthenticateRequest.self, response, version: version, correlationId: header.correlationId)
        }
        guard session.mechanism != nil, !session.rawTokens, !session.authenticated else {
            return .sendThenClose(
                try reply(.illegalSaslState, "SaslAuthenticate is not expected in this state of the connection", []))
        }
        switch authenticate(Array(buffer: request.authBytes)) {
        case .success(let bytes):
            return .send(try reply(.none, nil, bytes))
        case .failure(let failure):
            return .sendThenClose(try reply(.saslAuthenticationFailed, failure.message, []))
        }
    }

    /// A raw SASL token after SaslHandshake v0: the answer is a size-prefixed raw token; a failure
    /// closes the connection.
    func rawToken(_ frame: ByteBuffer) -> Action {
        switch authenticate(Array(buffer: frame)) {
        case .success(let bytes):
            var buffer = ByteBuffer()
            buffer.writeInteger(Int32(clamping: bytes.count))
            buffer.writeBytes(bytes)
            return .send(buffer)
        case .failure:
            return .close
        }
    }

    struct AuthenticationFailure: Error {
        var message: String
    }

    /// Feeds one client message to the mechanism chosen in the handshake.
    private func authenticate(_ message: [UInt8]) -> Result<[UInt8], AuthenticationFailure> {
        let mechanism = session.mechanism ?? ""
        if mechanism == "PLAIN" {
            guard let user = plainUser(message) else {
                return .failure(AuthenticationFailure(message: "Authentication failed: Invalid username or password"))
            }
            completeAuthentication(user)
            return .success([])
        }
        guard var scram = session.scram else {
            return .failure(AuthenticationFailure(message: "no SASL exchange in progress"))
        }
        do {
            let reply = try scram.receive(message)
            session.scram = scram
            if scram.isComplete, let user = scram.authenticatedUser {
                completeAuthentication(user)
            }
            return .success(reply)
        } catch {
            session.scram = nil
            return .failure(
                AuthenticationFailure(
                    message: "Authentication failed during authentication due to invalid credentials with SASL "
                        + "mechanism \(mechanism): \(error)"))
        }
    }

    /// The user of a valid PLAIN message `authzid NUL user NUL password` (authzid empty or the user).
    private func plainUser(_ message: [UInt8]) -> String? {
        let parts = message.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].contains(0),
            let authzid = String(validating: parts[0], as: UTF8.self),
            let user = String(validating: parts[1], as: UTF8.self),
            let password = String(validating: parts[2], as: UTF8.self),
            !user.isEmpty, authzid.isEmpty || authzid == user,
            let expected = shared.configuration.users[user], expected == password
        else { return nil }
        return user
    }

    private func completeAuthentication(_ user: String) {
        session.authenticated = true
        session.scram = nil
        shared.authenticated(user)
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
