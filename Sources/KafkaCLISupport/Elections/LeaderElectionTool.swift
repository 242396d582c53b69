package import KafkaAdmin
package import KafkaNetwork

/// `kafka-leader-election` on an admin client: Apache Kafka's `LeaderElectionCommand`, with its output.
package struct LeaderElectionTool {
    package let admin: KafkaAdminClient
    package let options: LeaderElectionOptions

    package init(admin: KafkaAdminClient, options: LeaderElectionOptions) {
        self.admin = admin
        self.options = options
    }

    /// One partition's outcome, as `--json` prints it.
    package struct Outcome: Equatable, Encodable, Sendable {
        /// `elected`, `not-needed` (a valid leader was already elected) or `failed`.
        package var topic: String
        package var partition: Int32
        package var outcome: String
        package var error: String?
    }

    /// Runs the election and prints Kafka's report.
    ///
    /// - Throws: ``ToolError``: "N replica(s) could not be elected" after the report when partitions failed; the
    ///   one line naming the API and the broker's versions when the broker cannot run the election.
    package func run() async throws {
        let type = options.electionType ?? .preferred
        let partitions = try options.partitions()
        let results: [TopicPartitionKey: Result<Void, AdminError>]
        do {
            results = try await admin.electLeaders(type, partitions: partitions)
        } catch {
            throw Self.failure(error)
        }
        let outcomes = Self.outcomes(results)
        print(Self.render(outcomes, type: type, json: options.json), terminator: "")
        let failed = outcomes.filter { $0.outcome == "failed" }.count
        if failed > 0 { throw ToolError("\(failed) replica(s) could not be elected") }
    }

    /// What the tool reports when the election as a whole failed: the one line naming the API and the broker's
    /// versions for a broker too old, Kafka's lines for a refused or timed-out election.
    private static func failure(_ error: AdminError) -> ToolError {
        switch error.code {
        case .unsupportedVersion:
            return ToolError(error.message ?? error.description)
        case .clusterAuthorizationFailed:
            print("Not authorized to perform leader election")
        case .requestTimedOut where !error.isCancellation:
            print("Timeout waiting for election results")
        default:
            break
        }
        return ToolError(error.description)
    }

    /// Each partition's outcome in Kafka's partition order.
    package static func outcomes(_ results: [TopicPartitionKey: Result<Void, AdminError>]) -> [Outcome] {
        ReassignmentJSON.order(Array(results.keys)).compactMap { key in
            switch results[key] {
            case .success:
                return Outcome(topic: key.topic, partition: key.partition, outcome: "elected")
            case .failure(let error) where error.code == .electionNotNeeded:
                return Outcome(topic: key.topic, partition: key.partition, outcome: "not-needed")
            case .failure(let error):
                return Outcome(
                    topic: key.topic, partition: key.partition, outcome: "failed",
                    error:
                        "\(error.code.name): \(error.message.flatMap { $0.isEmpty ? nil : $0 } ?? error.code.message)")
            case nil:
                return nil
            }
        }
    }

    /// Kafka's lines ("Successfully completed leader election (PREFERRED) for partitions t-0, t-1", "Valid replica
    /// already elected for partitions t-2", "Error completing leader election (PREFERRED) for partition: t-3: …"),
    /// or a JSON array.
    package static func render(_ outcomes: [Outcome], type: ElectionType, json: Bool) -> String {
        if json { return JSONOutput.array(outcomes) }
        func names(_ kind: String) -> String {
            outcomes.filter { $0.outcome == kind }.map { "\($0.topic)-\($0.partition)" }.joined(separator: ", ")
        }
        var text = ""
        let elected = names("elected")
        if !elected.isEmpty { text += "Successfully completed leader election (\(type)) for partitions \(elected)\n" }
        let notNeeded = names("not-needed")
        if !notNeeded.isEmpty { text += "Valid replica already elected for partitions \(notNeeded)\n" }
        for outcome in outcomes where outcome.outcome == "failed" {
            text +=
                "Error completing leader election (\(type)) for partition: \(outcome.topic)-\(outcome.partition): "
                + "\(outcome.error ?? "")\n"
        }
        return text
    }
}
