public import KafkaNetwork
public import KafkaProtocol

/// One API as a broker advertised it in its ApiVersions answer, with the version this client would use
/// (Java's `NodeApiVersions` entry).
public struct BrokerAPIVersion: Sendable, Hashable {
    /// Whether and how this client can use the API with the broker.
    public enum Usability: Sendable, Hashable {
        /// This client would send the API at this version: the highest both support.
        case usable(Int16)
        /// The broker's lowest version is above this client's highest.
        case nodeTooNew
        /// The broker's highest version is below this client's lowest.
        case nodeTooOld
        /// This client has no request of this API (an inter-broker or controller API, or one it does not know).
        case notAClientAPI
        /// This client has the request but the broker does not advertise the API.
        case unsupported
    }

    /// The API.
    public var apiKey: KafkaAPIKey
    /// The broker's versions; `nil` when it does not advertise the API (``Usability-swift.enum/unsupported``).
    public var brokerVersions: ClosedRange<Int16>?
    /// The versions this client can send; `nil` when it has no request of this API.
    public var clientVersions: ClosedRange<Int16>?

    /// Creates an entry.
    public init(apiKey: KafkaAPIKey, brokerVersions: ClosedRange<Int16>?, clientVersions: ClosedRange<Int16>?) {
        self.apiKey = apiKey
        self.brokerVersions = brokerVersions
        self.clientVersions = clientVersions
    }

    /// What this client can do with the API at this broker.
    public var usability: Usability {
        guard let broker = brokerVersions else { return .unsupported }
        guard let client = clientVersions else { return .notAClientAPI }
        if broker.lowerBound > client.upperBound { return .nodeTooNew }
        if broker.upperBound < client.lowerBound { return .nodeTooOld }
        return .usable(min(broker.upperBound, client.upperBound))
    }
}

/// A broker and the APIs it advertised (``KafkaAdminClient/brokerAPIVersions()``).
public struct BrokerAPIVersions: Sendable, Hashable {
    /// The broker.
    public var broker: BrokerMetadata
    /// Every API the broker advertised, and every API this client has a request for that the broker did not
    /// advertise, by API key; or why the broker could not be asked.
    public var apis: Result<[BrokerAPIVersion], AdminError>

    /// Creates the description of a broker's APIs.
    public init(broker: BrokerMetadata, apis: Result<[BrokerAPIVersion], AdminError>) {
        self.broker = broker
        self.apis = apis
    }
}

extension KafkaAdminClient {
    /// The API versions every live broker advertises, with the version this client would use for each
    /// (what Kafka's `kafka-broker-api-versions.sh` prints).
    ///
    /// Connects to each broker of the cluster's metadata; the versions come from the ApiVersions exchange of that
    /// connection.
    ///
    /// - Returns: every broker of the cluster, by node id, with its APIs or the error that kept it from answering.
    /// - Throws: ``AdminError`` when the cluster's metadata cannot be read; when the task is cancelled,
    ///   ``AdminError/isCancellation`` is true.
    public func brokerAPIVersions() async throws(AdminError) -> [BrokerAPIVersions] {
        var results: [BrokerAPIVersions] = []
        for broker in try await describeCluster().brokers {
            do {
                let connection = try await cluster.connection(to: .broker(broker.nodeID), kind: .admin)
                results.append(
                    BrokerAPIVersions(broker: broker, apis: .success(Self.apiVersions(advertised: connection.versions)))
                )
            } catch {
                if Task.isCancelled {
                    throw AdminError.thrownByOperation(
                        error, api: .apiVersions, resourceKind: .broker, resourceName: "\(broker.nodeID)")
                }
                results.append(
                    BrokerAPIVersions(
                        broker: broker,
                        apis: .failure(
                            AdminError.thrownByOperation(
                                error, api: .apiVersions, resourceKind: .broker, resourceName: "\(broker.nodeID)"))))
            }
        }
        return results
    }

    /// The entries for a broker's advertised ranges: each advertised API and each client API it left out.
    static func apiVersions(advertised: NegotiatedVersions) -> [BrokerAPIVersion] {
        var clientRanges: [KafkaAPIKey: ClosedRange<Int16>] = [:]
        for type in KafkaMessageRegistry.requestTypes { clientRanges[type.apiKey] = type.validVersions }
        let keys = Set(advertised.brokerRanges.keys).union(clientRanges.keys)
        return keys.sorted { $0.rawValue < $1.rawValue }.map { key in
            BrokerAPIVersion(
                apiKey: key, brokerVersions: advertised.brokerRanges[key], clientVersions: clientRanges[key])
        }
    }
}
