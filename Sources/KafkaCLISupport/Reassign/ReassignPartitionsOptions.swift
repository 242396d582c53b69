package import ArgumentParser

/// The options of `kafka-reassign-partitions` beside the connection: Apache Kafka's `ReassignPartitionsCommand`
/// flags, with its rules (exactly one action, each action's required and permitted options).
package struct ReassignPartitionsOptions: ParsableArguments {
    /// The five actions.
    package enum Action: String, CaseIterable, Sendable {
        case generate, execute, verify, cancel, list
    }

    @Flag(name: .customLong("generate"), help: "Generate a candidate reassignment (it is not executed).")
    package var generate = false
    @Flag(name: .customLong("execute"), help: "Start the reassignment of --reassignment-json-file.")
    package var execute = false
    @Flag(
        name: .customLong("verify"),
        help: "Report whether the reassignment of --reassignment-json-file completed; once it has, clear the throttles."
    )
    package var verify = false
    @Flag(name: .customLong("cancel"), help: "Cancel the reassignments of --reassignment-json-file in progress.")
    package var cancel = false
    @Flag(name: .customLong("list"), help: "List the partition reassignments in progress.")
    package var list = false

    @Option(
        name: .customLong("reassignment-json-file"),
        help: ArgumentHelp(
            #"The plan: {"version":1,"partitions":[{"topic":"foo","partition":1,"replicas":[1,2,3],"log_dirs":["any","any","any"]}]} ("log_dirs" optional)."#,
            valueName: "file"))
    package var reassignmentJSONFile: String?

    @Option(
        name: .customLong("topics-to-move-json-file"),
        help: ArgumentHelp(
            #"The topics to move with --generate: {"version":1,"topics":[{"topic":"foo"},{"topic":"foo1"}]}."#,
            valueName: "file"))
    package var topicsToMoveJSONFile: String?

    @Option(
        name: .customLong("broker-list"),
        help: ArgumentHelp("The brokers to move the topics to with --generate, as 0,1,2.", valueName: "brokerlist"))
    package var brokerList: String?

    @Flag(name: .customLong("disable-rack-aware"), help: "Place replicas without regard to the brokers' racks.")
    package var disableRackAware = false

    @Option(
        name: .customLong("throttle"),
        help: ArgumentHelp(
            "Throttle replication between brokers to this many bytes/s while the partitions move (with --execute; "
                + "resubmit with --additional to change it).", valueName: "throttle"))
    package var throttle: Int64?

    @Option(
        name: .customLong("replica-alter-log-dirs-throttle"),
        help: ArgumentHelp(
            "Throttle moves between log directories of a broker to this many bytes/s (with --execute).",
            valueName: "replicaAlterLogDirsThrottle"))
    package var replicaAlterLogDirsThrottle: Int64?

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp("The longest wait in ms for log directory moves to begin.", valueName: "timeout"))
    package var timeout: Int64?

    @Flag(
        name: .customLong("additional"),
        help: "Execute in addition to the reassignments in progress (also to change the throttle of one).")
    package var additional = false

    @Flag(name: .customLong("preserve-throttles"), help: "Do not change broker or topic throttles.")
    package var preserveThrottles = false

    @Flag(
        name: .customLong("json"),
        help: "With --list or --verify: print a JSON array instead of Kafka's text.")
    package var json = false

    package init() {}

    /// The one action given.
    package var action: Action {
        get throws {
            let given = Action.allCases.filter { flag($0) }
            guard given.count == 1, let action = given.first else {
                throw ValidationError(
                    "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list")
            }
            return action
        }
    }

    private func flag(_ action: Action) -> Bool {
        switch action {
        case .generate: generate
        case .execute: execute
        case .verify: verify
        case .cancel: cancel
        case .list: list
        }
    }

    package func validate() throws {
        let action = try action
        let given: [(String, Bool)] = [
            ("reassignment-json-file", reassignmentJSONFile != nil),
            ("topics-to-move-json-file", topicsToMoveJSONFile != nil), ("broker-list", brokerList != nil),
            ("disable-rack-aware", disableRackAware), ("throttle", throttle != nil),
            ("replica-alter-log-dirs-throttle", replicaAlterLogDirsThrottle != nil), ("timeout", timeout != nil),
            ("additional", additional), ("preserve-throttles", preserveThrottles), ("json", json),
        ]
        let required: [String]
        let permitted: Set<String>
        switch action {
        case .generate:
            required = ["topics-to-move-json-file", "broker-list"]
            permitted = ["disable-rack-aware"]
        case .execute:
            required = ["reassignment-json-file"]
            permitted = ["additional", "throttle", "replica-alter-log-dirs-throttle", "timeout"]
        case .verify:
            required = ["reassignment-json-file"]
            permitted = ["preserve-throttles", "json"]
        case .cancel:
            required = ["reassignment-json-file"]
            permitted = ["preserve-throttles", "timeout"]
        case .list:
            required = []
            permitted = ["json"]
        }
        for name in required where !given.contains(where: { $0.0 == name && $0.1 }) {
            throw ValidationError("Missing required argument \"[\(name)]\"")
        }
        for (name, isSet) in given where isSet && !required.contains(name) && !permitted.contains(name) {
            throw ValidationError("Option \"[\(name)]\" can't be used with action \"[\(action.rawValue)]\"")
        }
    }

    /// The `--broker-list` ids, in the given order.
    ///
    /// - Throws: `ValidationError` for an entry that is not a broker id, ``ToolError`` for a broker given twice
    ///   (Kafka's message).
    package func brokers() throws -> [Int32] {
        var ids: [Int32] = []
        for part in (brokerList ?? "").split(separator: ",", omittingEmptySubsequences: false) {
            guard let id = Int32(part.filter { $0 != " " }) else {
                throw ValidationError("--broker-list: '\(part)' is not a broker id")
            }
            ids.append(id)
        }
        let duplicates = ReassignmentJSON.duplicates(ids)
        if !duplicates.isEmpty {
            throw ToolError(
                "Broker list contains duplicate entries: \(ReassignmentJSON.javaList(duplicates.sorted()))")
        }
        return ids
    }
}
