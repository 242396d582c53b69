import KafkaProtocol
import NIOCore

/// ApiVersions for the dev cluster: every implemented API at the full range this package encodes.
enum DevApiVersions {
    /// The advertised ranges, ApiVersions and SASL included.
    static func advertised(configuration: DevClusterConfiguration) -> [ApiVersionsResponse.ApiVersion] {
        var keys = DevAPIRegistry.handlers.values.map {
            ApiVersionsResponse.ApiVersion(
                apiKey: $0.apiKey.rawValue, minVersion: $0.versions.lowerBound, maxVersion: $0.versions.upperBound)
        }
        for type in [
            ApiVersionsRequest.self as any KafkaRequest.Type, SaslHandshakeRequest.self, SaslAuthenticateRequest.self,
        ] {
            keys.append(
                ApiVersionsResponse.ApiVersion(
                    apiKey: type.apiKey.rawValue, minVersion: type.validVersions.lowerBound,
                    maxVersion: type.validVersions.upperBound))
        }
        return keys.sorted { $0.apiKey < $1.apiKey }
    }

    /// The answer to an ApiVersions request, including KIP-511's answer to an unknown version.
    static func answer(_ header: RequestHeader, body: ByteBuffer, configuration: DevClusterConfiguration)
        -> DevConnectionHandler.Action
    {
        let version = header.requestApiVersion
        let keys = advertised(configuration: configuration)
        guard ApiVersionsRequest.validVersions.contains(version) else {
            let own = keys.filter { $0.apiKey == KafkaAPIKey.apiVersions.rawValue }
            let response = ApiVersionsResponse(errorCode: KafkaErrorCode.unsupportedVersion.rawValue, apiKeys: own)
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
