public import KafkaProtocol

/// The API versions a broker advertised in its ApiVersions response, and the choice of version
/// for each request: the highest version both sides support.
package struct NegotiatedVersions: Sendable, Hashable {
    /// The broker's advertised range per API key.
    package let brokerRanges: [KafkaAPIKey: ClosedRange<Int16>]

    /// Creates the table from the broker's advertised ranges (ranges with min > max are dropped).
    package init(brokerRanges: [KafkaAPIKey: ClosedRange<Int16>]) {
        self.brokerRanges = brokerRanges
    }

    /// Creates the table from an ApiVersions response; malformed entries (min > max) are ignored.
    package init(response: ApiVersionsResponse) {
        var ranges: [KafkaAPIKey: ClosedRange<Int16>] = [:]
        for entry in response.apiKeys where entry.minVersion <= entry.maxVersion && entry.minVersion >= 0 {
            ranges[KafkaAPIKey(rawValue: entry.apiKey)] = entry.minVersion...entry.maxVersion
        }
        self.brokerRanges = ranges
    }

    /// The version to use for `api` given the client's own range: the highest common version.
    ///
    /// - Throws: ``KafkaNetworkError`` of kind `.unsupportedVersion` naming the API and both
    ///   ranges when the broker does not support the API or the ranges do not overlap.
    package func version(for api: KafkaAPIKey, clientRange: ClosedRange<Int16>) throws(KafkaNetworkError) -> Int16 {
        guard let broker = brokerRanges[api] else {
            throw KafkaNetworkError(
                .unsupportedVersion,
                "the broker does not support \(api.name) (client supports v\(clientRange.lowerBound)–v\(clientRange.upperBound))",
                api: api)
        }
        let high = min(broker.upperBound, clientRange.upperBound)
        let low = max(broker.lowerBound, clientRange.lowerBound)
        guard low <= high else {
            throw KafkaNetworkError(
                .unsupportedVersion,
                "no common version of \(api.name): the broker supports v\(broker.lowerBound)–v\(broker.upperBound), "
                    + "this client v\(clientRange.lowerBound)–v\(clientRange.upperBound)",
                api: api)
        }
        return high
    }

    /// The version to use for request type `R`.
    package func version<R: KafkaRequest>(for _: R.Type) throws(KafkaNetworkError) -> Int16 {
        try version(for: R.apiKey, clientRange: R.validVersions)
    }

    /// Whether the broker supports `api` at `version` or higher (and this client does too).
    package func supports(_ api: KafkaAPIKey, atLeast version: Int16) -> Bool {
        guard let range = brokerRanges[api] else { return false }
        return range.upperBound >= version
    }
}
