package import ArgumentParser
package import KafkaAdmin
import KafkaNetwork

/// The options of `kafka-log-dirs` beside the connection: Apache Kafka's `LogDirsCommand` flags.
package struct LogDirsOptions: ParsableArguments {
    @Flag(name: .customLong("describe"), help: "Describe the log directories of the brokers (required).")
    package var describe = false

    @Option(
        name: .customLong("broker-list"),
        help: ArgumentHelp("The brokers to ask, as 0,1,2 (default: every broker).", valueName: "broker list"))
    package var brokerList: String = ""

    @Option(
        name: .customLong("topic-list"),
        help: ArgumentHelp("Only these topics' replicas, as a,b,c (default: every topic).", valueName: "topic list"))
    package var topicList: String = ""

    package init() {}

    package func validate() throws {
        guard describe else { throw ValidationError("Missing required argument \"[describe]\"") }
        _ = try brokers()
    }

    /// The `--broker-list` ids (empty: every broker).
    package func brokers() throws -> Set<Int32> {
        var ids = Set<Int32>()
        for part in brokerList.split(separator: ",") where !part.isEmpty {
            guard let id = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--broker-list: '\(part)' is not a broker id")
            }
            ids.insert(id)
        }
        return ids
    }

    /// The `--topic-list` names (empty: every topic).
    package var topics: Set<String> { Set(topicList.split(separator: ",").map(String.init).filter { !$0.isEmpty }) }
}

/// `kafka-log-dirs --describe` on an admin client: Kafka's two lines, then its JSON document
/// `{"version":1,"brokers":[{"broker":0,"logDirs":[{"logDir":…,"error":null,"partitions":[{"partition":"t-0",
/// "size":0,"offsetLag":0,"isFuture":false}]}]}]}`.
package struct LogDirsTool {
    package let admin: KafkaAdminClient
    package let options: LogDirsOptions

    package init(admin: KafkaAdminClient, options: LogDirsOptions) {
        self.admin = admin
        self.options = options
    }

    /// Describes the brokers' log directories and prints Kafka's report.
    ///
    /// - Throws: ``ToolError`` for a `--broker-list` id that is not a broker of the cluster (Kafka's message), and,
    ///   after the report, when a broker did not answer.
    package func run() async throws {
        let cluster = Set(try await admin.describeCluster().brokers.map(\.nodeID))
        let requested = try options.brokers()
        let missing = requested.subtracting(cluster)
        if !missing.isEmpty {
            throw ToolError(
                "ERROR: The given brokers do not exist from --broker-list: \(Self.ids(missing)). Current existent "
                    + "brokers: \(Self.ids(cluster))")
        }
        let brokers = requested.isEmpty ? cluster : requested
        print("Querying brokers for log directories information")
        let topics = options.topics
        let results = try await admin.describeLogDirs(brokers: Array(brokers), topics: topics.isEmpty ? nil : topics)
        print("Received log directory information from brokers \(Self.ids(brokers))")
        print(Self.json(results, topics: topics))
        let failed = results.values.filter { if case .failure = $0 { true } else { false } }.count
        if failed > 0 { throw ToolError("\(failed) of \(results.count) broker(s) did not answer") }
    }

    static func ids(_ ids: Set<Int32>) -> String { ids.sorted().map(String.init).joined(separator: ",") }

    /// Kafka's JSON document: brokers by id, their directories by path, the replicas in Kafka's partition order;
    /// replicas of topics outside `topics` (when not empty) are left out. A broker that did not answer has an
    /// `error` in place of its directories.
    package static func json(
        _ results: [Int32: Result<[String: LogDirDescription], AdminError>], topics: Set<String> = []
    ) -> String {
        var brokers: [String] = []
        for broker in results.keys.sorted() {
            switch results[broker] {
            case .success(let directories):
                let logDirs = directories.keys.sorted().compactMap { path -> String? in
                    guard let directory = directories[path] else { return nil }
                    let keys = GetOffsetsTool.kafkaOrder(
                        directory.replicas.keys.filter { topics.isEmpty || topics.contains($0.topic) })
                    let partitions = keys.compactMap { key -> String? in
                        guard let replica = directory.replicas[key] else { return nil }
                        return #"{"partition":\#(OAuthBearerJWS.jsonString(key.description)),"size":\#(replica.size),"#
                            + #""offsetLag":\#(replica.offsetLag),"isFuture":\#(replica.isFuture)}"#
                    }
                    let error = directory.error.map { OAuthBearerJWS.jsonString($0.name) } ?? "null"
                    return
                        #"{"logDir":\#(OAuthBearerJWS.jsonString(path)),"error":\#(error),"partitions":[\#(partitions.joined(separator: ","))]}"#
                }
                brokers.append(#"{"broker":\#(broker),"logDirs":[\#(logDirs.joined(separator: ","))]}"#)
            case .failure(let error):
                brokers.append(#"{"broker":\#(broker),"error":\#(OAuthBearerJWS.jsonString("\(error)"))}"#)
            case nil:
                continue
            }
        }
        return #"{"version":1,"brokers":[\#(brokers.joined(separator: ","))]}"#
    }
}
