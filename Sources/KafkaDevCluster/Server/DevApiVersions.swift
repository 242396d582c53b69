import KafkaProtocol
import NIOCore

/// ApiVersions for the dev cluster: every implemented API at the full range this package encodes,
/// unless ``DevClusterConfiguration/apiVersions`` advertises another range.
enum DevApiVersions {
    /// The advertised ranges, ApiVersions and SASL included.
    static func advertised(configuration: DevClusterConfiguration) -> [KafkaAPIKey: ClosedRange<Int16>] {
        var ranges: [KafkaAPIKey: ClosedRange<Int16>] = [:]
        for handler in DevAPIRegistry.handlers.values {
            ranges[handler.apiKey] = handler.versions
        }
        for type in [
            ApiVersionsRequest.self as any KafkaRequest.Type, SaslHandshakeRequest.self, SaslAuthenticateRequest.self,
        ] {
            ranges[type.apiKey] = type.validVersions
        }
        for (api, range) in configuration.apiVersions where ranges[api] != nil {
            ranges[api] = range
        }
        return ranges
    }

    /// The answer to an ApiVersions request, including KIP-511's answer to a version outside the
    /// advertised ApiVersions range: UNSUPPORTED_VERSION in the v0 layout with that range.
    static func answer(_ header: RequestHeader, body: ByteBuffer, advertised: [KafkaAPIKey: ClosedRange<Int16>])
        -> DevConnectionHandler.Action
    {
        let version = header.requestApiVersion
        let keys = advertised.map {
            ApiVersionsResponse.ApiVersion(
                apiKey: $0.key.rawValue, minVersion: $0.value.lowerBound, maxVersion: $0.value.upperBound)
        }.sorted { $0.apiKey < $1.apiKey }
        let own = advertised[.apiVersions] ?? ApiVersionsRequest.validVersions
        guard own.contains(version), ApiVersionsRequest.validVersions.contains(version) else {
            let ownKey = keys.filter { $0.apiKey == KafkaAPIKey.apiVersions.rawValue }
            let response = ApiVersionsResponse(errorCode: KafkaErrorCode.unsupportedVersion.rawValue, apiKeys: ownKey)
            return DevClusterCore.frame(
                ApiVersionsRequest.self, response, version: 0, correlationID: header.correlationId
            )
            .map { .send($0) } ?? .close
        }
        guard (try? ApiVersionsRequest.decode(from: body, version: version)) != nil else {
            let response = ApiVersionsResponse(errorCode: KafkaErrorCode.invalidRequest.rawValue, apiKeys: keys)
            return DevClusterCore.frame(
                ApiVersionsRequest.self, response, version: version, correlationID: header.correlationId
            ).map { .send($0) } ?? .close
        }
        let response = ApiVersionsResponse(errorCode: 0, apiKeys: keys)
        return DevClusterCore.frame(
            ApiVersionsRequest.self, response, version: version, correlationID: header.correlationId
        )
        .map { .send($0) } ?? .close
    }
}
