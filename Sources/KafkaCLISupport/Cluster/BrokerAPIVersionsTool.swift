import ArgumentParser
package import KafkaAdmin
package import KafkaNetwork
package import KafkaProtocol

/// The options of `kafka-broker-api-versions` beside the connection.
package struct BrokerAPIVersionsOptions: ParsableArguments {
    @Flag(
        name: .customLong("json"),
        help: "Print a JSON array, one object per broker with its APIs, instead of Kafka's text.")
    package var json = false

    package init() {}
}

/// `kafka-broker-api-versions` on an admin client: Apache Kafka's `BrokerApiVersionsCommand`, per broker
/// `host:port (id: N rack: R) -> (` then one tab-indented line per API and `)`.
package struct BrokerAPIVersionsTool {
    package let admin: KafkaAdminClient
    package let options: BrokerAPIVersionsOptions

    package init(admin: KafkaAdminClient, options: BrokerAPIVersionsOptions) {
        self.admin = admin
        self.options = options
    }

    /// Prints every broker's APIs.
    ///
    /// - Throws: ``ToolError`` after the output when a broker did not answer.
    package func run() async throws {
        let brokers = try await admin.brokerAPIVersions()
        print(options.json ? Self.json(brokers) : Self.text(brokers), terminator: "")
        let failed = brokers.filter { if case .failure = $0.apis { true } else { false } }.count
        if failed > 0 { throw ToolError("\(failed) of \(brokers.count) broker(s) did not answer") }
    }

    /// The names of Kafka's inter-broker and controller APIs, which this client has no schema for.
    static let interBrokerAPINames: [Int16: String] = [
        4: "LeaderAndIsr", 5: "StopReplica", 6: "UpdateMetadata", 7: "ControlledShutdown", 52: "Vote",
        53: "BeginQuorumEpoch", 54: "EndQuorumEpoch", 56: "AlterPartition", 58: "Envelope", 59: "FetchSnapshot",
        62: "BrokerRegistration", 63: "BrokerHeartbeat", 67: "AllocateProducerIds", 70: "ControllerRegistration",
        73: "AssignReplicasToDirs", 82: "UpdateRaftVoter",
    ]

    /// The API's name as Kafka prints it; `UNKNOWN` for a key no Kafka release this client knows of has.
    package static func apiName(_ key: KafkaAPIKey) -> String {
        if !key.name.hasPrefix("Unknown(") { return key.name }
        return interBrokerAPINames[key.rawValue] ?? "UNKNOWN"
    }

    /// Kafka's node text: `host:port (id: 1 rack: null)`.
    package static func node(_ broker: BrokerMetadata) -> String {
        "\(broker.host):\(broker.port) (id: \(broker.nodeID) rack: \(broker.rack ?? "null"))"
    }

    /// Kafka's text of one API: `Produce(0): 0 to 7 [usable: 7]`, `Fetch(1): 4`, `UNKNOWN(99): 0 to 1`,
    /// `DescribeQuorum(55): UNSUPPORTED`. An API this client has no request for (an inter-broker API, or one it does
    /// not know) gets no `usable` note.
    package static func line(_ api: BrokerAPIVersion) -> String {
        let name = apiName(api.apiKey)
        let head = "\(name)(\(api.apiKey.rawValue)): "
        guard let range = api.brokerVersions else { return head + "UNSUPPORTED" }
        let versions =
            range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
        switch api.usability {
        case .usable(let version): return head + versions + " [usable: \(version)]"
        case .nodeTooNew: return head + versions + " [unusable: node too new]"
        case .nodeTooOld: return head + versions + " [unusable: node too old]"
        case .notAClientAPI, .unsupported: return head + versions
        }
    }

    /// Kafka's text for every broker, failed brokers as `node -> ERROR: reason`.
    package static func text(_ brokers: [BrokerAPIVersions]) -> String {
        var text = ""
        for broker in brokers {
            switch broker.apis {
            case .success(let apis):
                text += node(broker.broker) + " -> (\n\t" + apis.map(line).joined(separator: ",\n\t") + "\n)\n"
            case .failure(let error):
                text += node(broker.broker) + " -> ERROR: \(error)\n"
            }
        }
        return text
    }

    private struct BrokerDocument: Encodable {
        struct API: Encodable {
            var name: String
            var apiKey: Int16
            var minVersion: Int16?
            var maxVersion: Int16?
            var usableVersion: Int16?
            var note: String?
        }
        var id: Int32
        var host: String
        var port: Int
        var rack: String?
        var apis: [API]?
        var error: String?
    }

    /// The `--json` document: per broker its id, address, rack and APIs (or its error).
    package static func json(_ brokers: [BrokerAPIVersions]) -> String {
        let documents = brokers.map { broker -> BrokerDocument in
            var document = BrokerDocument(
                id: broker.broker.nodeID, host: broker.broker.host, port: broker.broker.port, rack: broker.broker.rack)
            switch broker.apis {
            case .success(let apis):
                document.apis = apis.map { api -> BrokerDocument.API in
                    var entry = BrokerDocument.API(
                        name: apiName(api.apiKey), apiKey: api.apiKey.rawValue,
                        minVersion: api.brokerVersions?.lowerBound,
                        maxVersion: api.brokerVersions?.upperBound)
                    switch api.usability {
                    case .usable(let version): entry.usableVersion = version
                    case .nodeTooNew: entry.note = "node too new"
                    case .nodeTooOld: entry.note = "node too old"
                    case .notAClientAPI: entry.note = "not a client API"
                    case .unsupported: entry.note = "unsupported"
                    }
                    return entry
                }
            case .failure(let error):
                document.error = "\(error)"
            }
            return document
        }
        return JSONOutput.array(documents)
    }
}
