package import KafkaAdmin
package import KafkaNetwork

/// `kafka-reassign-partitions` on an admin client: Apache Kafka's `ReassignPartitionsCommand` actions with its
/// output.
package struct ReassignPartitionsTool {
    package let admin: KafkaAdminClient
    package let options: ReassignPartitionsOptions

    package init(admin: KafkaAdminClient, options: ReassignPartitionsOptions) {
        self.admin = admin
        self.options = options
    }

    /// The state of one partition of a plan, as `--verify` reports it.
    package struct PartitionState: Equatable, Encodable, Sendable {
        package var topic: String
        package var partition: Int32
        /// The replicas now (while a reassignment runs: every replica, target first).
        package var currentReplicas: [Int32]
        package var targetReplicas: [Int32]
        /// False while a reassignment of the partition runs.
        package var done: Bool

        package init(topic: String, partition: Int32, currentReplicas: [Int32], targetReplicas: [Int32], done: Bool) {
            self.topic = topic
            self.partition = partition
            self.currentReplicas = currentReplicas
            self.targetReplicas = targetReplicas
            self.done = done
        }
    }

    /// One reassignment in progress, as `--list --json` prints it.
    package struct Listed: Equatable, Encodable, Sendable {
        package var topic: String
        package var partition: Int32
        package var replicas: [Int32]
        package var addingReplicas: [Int32]
        package var removingReplicas: [Int32]
    }

    /// Runs the action.
    ///
    /// - Throws: ``ToolError`` with Kafka's message for a bad file, unknown brokers or partitions, a reassignment
    ///   already running without `--additional`, or partitions that could not be reassigned (after their report);
    ///   for a broker older than Kafka 2.4 the one line naming the API and the broker's versions.
    package func run() async throws {
        do {
            switch try options.action {
            case .generate: try await generate()
            case .execute: try await execute()
            case .verify: try await verify()
            case .cancel: try await cancel()
            case .list: try await listReassignments()
            }
        } catch let error as AdminError {
            if error.code == .unsupportedVersion { throw ToolError(error.message ?? error.description) }
            throw error
        }
    }

    // MARK: - Actions

    private func generate() async throws {
        let brokerIDs = try options.brokers()
        let topics = try ReassignmentJSON.topics(try PayloadFile.read(options.topicsToMoveJSONFile ?? ""))
        let duplicateTopics = ReassignmentJSON.duplicates(topics)
        if !duplicateTopics.isEmpty {
            throw ToolError(
                "List of topics to reassign contains duplicate entries: \(ReassignmentJSON.javaList(duplicateTopics))")
        }
        let current = try await replicas(ofTopics: topics)
        let wanted = Set(brokerIDs)
        let brokers = try await admin.describeCluster().brokers.filter { wanted.contains($0.nodeID) }.map {
            ReassignmentPlanner.Broker(id: $0.nodeID, rack: options.disableRackAware ? nil : $0.rack)
        }
        var generator = SystemRandomNumberGenerator()
        let proposed = try ReassignmentPlanner.propose(current: current, brokers: brokers, using: &generator)
        print(Self.generateReport(current: current, proposed: proposed), terminator: "")
    }

    private func execute() async throws {
        let entries = try ReassignmentJSON.plan(try PayloadFile.read(options.reassignmentJSONFile ?? ""))
        try ReassignmentJSON.validateForExecution(entries)
        try Self.refuseLogDirMoves(entries)
        let proposed = Dictionary(entries.map { ($0.partition, $0.replicas) }) { first, _ in first }
        let ongoing = try await admin.listPartitionReassignments()
        if !options.additional && !ongoing.isEmpty {
            throw ToolError(
                "Cannot execute because there is an existing partition assignment.  Use --additional to override "
                    + "this and create a new partition assignment in addition to the existing one. The --additional "
                    + "flag can also be used to change the throttle by resubmitting the current reassignment.")
        }
        let known = Set(try await admin.describeCluster().brokers.map(\.nodeID))
        if let unknown = Set(proposed.values.joined()).sorted().first(where: { !known.contains($0) }) {
            throw ToolError("Unknown broker id \(unknown)")
        }
        let current = try await replicas(ofPartitions: Set(proposed.keys))
        print(Self.rollbackReport(current))
        let throttle = options.throttle ?? -1
        let logDirThrottle = options.replicaAlterLogDirsThrottle ?? -1
        if throttle >= 0 || logDirThrottle >= 0 {
            print(
                "Warning: You must run --verify periodically, until the reassignment completes, to ensure the "
                    + "throttle is removed.")
            if throttle >= 0 {
                let moves = ReassignmentPlanner.moves(ongoing: ongoing, proposed: proposed, current: current)
                try await setThrottles(moves, rate: throttle)
                print("The inter-broker throttle limit was set to \(throttle) B/s")
            }
            if logDirThrottle >= 0 {
                // No log directory moves (log_dirs other than "any" are refused above): no broker to throttle.
                print("The replica-alter-dir throttle limit was set to \(logDirThrottle) B/s")
            }
        }
        let results = try await admin.alterPartitionReassignments(proposed.mapValues { .replicas($0) })
        let failures = ReassignmentJSON.order(Array(proposed.keys)).compactMap { key -> String? in
            switch results[key] {
            case .success: return nil
            case .failure(let error): return "\(key): \(error.message ?? error.code.message)"
            case nil: return "\(key): no answer from the cluster"
            }
        }
        if !failures.isEmpty {
            print("Error reassigning partition(s):\n" + failures.joined(separator: "\n"))
            throw ToolError("\(failures.count) of \(proposed.count) partition reassignment(s) could not be started")
        }
        let names = ReassignmentJSON.order(Array(proposed.keys)).map(\.description).joined(separator: ",")
        print("Successfully started partition reassignment\(proposed.count == 1 ? "" : "s") for \(names)")
    }

    private func verify() async throws {
        let entries = try ReassignmentJSON.plan(try PayloadFile.read(options.reassignmentJSONFile ?? ""))
        try Self.refuseLogDirMoves(entries)
        let ongoing = try await admin.listPartitionReassignments()
        var states: [PartitionState] = []
        let unmoving = entries.filter { ongoing[$0.partition] == nil }
        let described = try await describe(topics: Set(unmoving.map(\.partition.topic)))
        for entry in entries {
            let key = entry.partition
            if let running = ongoing[key] {
                states.append(
                    PartitionState(
                        topic: key.topic, partition: key.partition, currentReplicas: running.replicas,
                        targetReplicas: entry.replicas, done: false))
            } else {
                let replicas = described[key.topic]?.partitions.first { $0.partition == key.partition }?.replicas
                states.append(
                    PartitionState(
                        topic: key.topic, partition: key.partition, currentReplicas: replicas ?? [],
                        targetReplicas: entry.replicas, done: true))
            }
        }
        states = Self.ordered(states)
        if options.json {
            print(JSONOutput.array(states), terminator: "")
        } else {
            print(Self.statusReport(states))
            print("")  // Kafka's (empty) report of log directory moves.
        }
        if ongoing.isEmpty && !options.preserveThrottles {
            try await clearThrottles(entries, quiet: options.json)
        }
    }

    private func cancel() async throws {
        let entries = try ReassignmentJSON.plan(try PayloadFile.read(options.reassignmentJSONFile ?? ""))
        try Self.refuseLogDirMoves(entries)
        let partitions = Set(entries.map(\.partition))
        let ongoing = try await admin.listPartitionReassignments(partitions)
        // Every partition that is adding or removing replicas (Kafka's rule before its Java port inverted a test).
        let cancelling = ongoing.filter { !$0.value.addingReplicas.isEmpty || !$0.value.removingReplicas.isEmpty }
        if cancelling.isEmpty {
            print("None of the specified partition reassignments are active.")
        } else {
            let results = try await admin.alterPartitionReassignments(cancelling.mapValues { _ in .cancel })
            let order = ReassignmentJSON.order(Array(cancelling.keys))
            let failures = order.compactMap { key -> String? in
                guard case .failure(let error) = results[key] else { return nil }
                return "\(key): \(error.message ?? error.code.message)"
            }
            if !failures.isEmpty {
                print(
                    "Error cancelling partition reassignment\(failures.count == 1 ? "" : "s") for:\n"
                        + failures.joined(separator: "\n"))
                throw ToolError("\(failures.count) partition reassignment(s) could not be cancelled")
            }
            print(
                "Successfully cancelled partition reassignment\(order.count == 1 ? "" : "s") for: "
                    + order.map(\.description).joined(separator: ","))
        }
        print("None of the specified partition moves are active.")
        if !options.preserveThrottles { try await clearThrottles(entries, quiet: false) }
    }

    private func listReassignments() async throws {
        let ongoing = try await admin.listPartitionReassignments()
        if options.json {
            print(
                JSONOutput.array(
                    ReassignmentJSON.order(Array(ongoing.keys)).compactMap { key in
                        ongoing[key].map {
                            Listed(
                                topic: key.topic, partition: key.partition, replicas: $0.replicas,
                                addingReplicas: $0.addingReplicas, removingReplicas: $0.removingReplicas)
                        }
                    }), terminator: "")
        } else {
            print(Self.listReport(ongoing))
        }
    }

    // MARK: - Cluster lookups

    private func describe(topics: Set<String>) async throws -> [String: TopicDescription] {
        guard !topics.isEmpty else { return [:] }
        var found: [String: TopicDescription] = [:]
        for (name, result) in try await admin.describeTopics(topics.sorted()) {
            if case .success(let description) = result { found[name] = description }
        }
        return found
    }

    /// The replicas of every partition of `topics`; Kafka's "Topic t not found." for a missing one.
    private func replicas(ofTopics topics: [String]) async throws -> [TopicPartitionKey: [Int32]] {
        var result: [TopicPartitionKey: [Int32]] = [:]
        let described = try await admin.describeTopics(Array(Set(topics)).sorted())
        for topic in topics {
            switch described[topic] {
            case .success(let description):
                for partition in description.partitions {
                    result[TopicPartitionKey(topic: topic, partition: partition.partition)] = partition.replicas
                }
            case .failure(let error):
                if error.code == .unknownTopicOrPartition { throw ToolError("Topic \(topic) not found.") }
                throw ToolError("\(error)")
            case nil:
                throw ToolError("Topic \(topic) not found.")
            }
        }
        return result
    }

    /// The replicas of `partitions`; Kafka's "Unable to find partition: …" for missing ones.
    private func replicas(ofPartitions partitions: Set<TopicPartitionKey>) async throws -> [TopicPartitionKey: [Int32]]
    {
        let topics = Array(Set(partitions.map(\.topic)))
        let all = try await replicas(ofTopics: topics)
        let missing = partitions.filter { all[$0] == nil }
        if !missing.isEmpty {
            throw ToolError(
                "Unable to find partition: "
                    + ReassignmentJSON.order(Array(missing)).map(\.description).joined(separator: ", "))
        }
        return all.filter { partitions.contains($0.key) }
    }

    // MARK: - Throttles

    private func setThrottles(_ moves: [String: [Int32: ReassignmentPlanner.Move]], rate: Int64) async throws {
        let leader = ReassignmentPlanner.leaderThrottles(moves)
        let follower = ReassignmentPlanner.followerThrottles(moves)
        var topicChanges: [ConfigResource: [AlterConfigOp]] = [:]
        for topic in Set(leader.keys).union(follower.keys) {
            var ops: [AlterConfigOp] = []
            if let value = leader[topic] {
                ops.append(.set(name: "leader.replication.throttled.replicas", value: value))
            }
            if let value = follower[topic] {
                ops.append(.set(name: "follower.replication.throttled.replicas", value: value))
            }
            topicChanges[.topic(topic)] = ops
        }
        try Self.requireSuccess(await admin.incrementalAlterConfigs(topicChanges))
        var brokerChanges: [ConfigResource: [AlterConfigOp]] = [:]
        for broker in ReassignmentPlanner.reassigningBrokers(moves) {
            brokerChanges[.broker(broker)] = [
                .set(name: "leader.replication.throttled.rate", value: String(rate)),
                .set(name: "follower.replication.throttled.rate", value: String(rate)),
            ]
        }
        try Self.requireSuccess(await admin.incrementalAlterConfigs(brokerChanges))
    }

    /// Kafka's clearing of every throttle once the reassignments are done: the broker-level rates on every broker
    /// of the cluster and of the plan, the topic-level replica lists on the plan's topics.
    private func clearThrottles(_ entries: [ReassignmentJSON.Entry], quiet: Bool) async throws {
        var brokers = Set(try await admin.describeCluster().brokers.map(\.nodeID))
        for entry in entries { brokers.formUnion(entry.replicas) }
        let topics = Set(entries.map(\.partition.topic))
        if !quiet { print(Self.clearingBrokersLine(brokers)) }
        var brokerChanges: [ConfigResource: [AlterConfigOp]] = [:]
        for broker in brokers {
            brokerChanges[.broker(broker)] = Self.brokerThrottles.map { .delete(name: $0) }
        }
        try Self.requireSuccess(await admin.incrementalAlterConfigs(brokerChanges))
        if !quiet { print(Self.clearingTopicsLine(topics)) }
        var topicChanges: [ConfigResource: [AlterConfigOp]] = [:]
        for topic in topics {
            topicChanges[.topic(topic)] = Self.topicThrottles.map { .delete(name: $0) }
        }
        try Self.requireSuccess(await admin.incrementalAlterConfigs(topicChanges))
    }

    /// The broker configs a reassignment throttle sets.
    package static let brokerThrottles = [
        "leader.replication.throttled.rate", "follower.replication.throttled.rate",
        "replica.alter.log.dirs.io.max.bytes.per.second",
    ]
    /// The topic configs a reassignment throttle sets.
    package static let topicThrottles = [
        "leader.replication.throttled.replicas", "follower.replication.throttled.replicas",
    ]

    private static func requireSuccess(_ results: [ConfigResource: Result<Void, AdminError>]) throws {
        for resource in results.keys.sorted(by: { "\($0)" < "\($1)" }) {
            if case .failure(let error) = results[resource] { throw ToolError("\(error)") }
        }
    }

    private static func refuseLogDirMoves(_ entries: [ReassignmentJSON.Entry]) throws {
        if let entry = entries.first(where: { $0.logDirs.contains { $0 != ReassignmentJSON.anyLogDir } }) {
            throw ToolError(
                "partition \(entry.partition): moving replicas to a given log directory (log_dirs other than "
                    + "\"any\") is not supported by this tool; use \"any\"")
        }
    }

    // MARK: - Output

    /// `--generate`'s report: the current assignment, then the proposal, each as Kafka's JSON.
    package static func generateReport(
        current: [TopicPartitionKey: [Int32]], proposed: [TopicPartitionKey: [Int32]]
    ) -> String {
        "Current partition replica assignment\n\(ReassignmentJSON.format(current))\n\n"
            + "Proposed partition reassignment configuration\n\(ReassignmentJSON.format(proposed))\n"
    }

    /// `--execute`'s report of the replicas before the move (a plan to roll back with).
    package static func rollbackReport(_ current: [TopicPartitionKey: [Int32]]) -> String {
        "Current partition replica assignment\n\n\(ReassignmentJSON.format(current))\n\n"
            + "Save this to use as the --reassignment-json-file option during rollback"
    }

    /// `--verify`'s status lines.
    package static func statusReport(_ states: [PartitionState]) -> String {
        var lines = ["Status of partition reassignment:"]
        for state in ordered(states) {
            let name = "\(state.topic)-\(state.partition)"
            if !state.done {
                lines.append("Reassignment of partition \(name) is still in progress.")
            } else if state.currentReplicas == state.targetReplicas {
                lines.append("Reassignment of partition \(name) is completed.")
            } else {
                lines.append(
                    "There is no active reassignment of partition \(name), but replica set is "
                        + state.currentReplicas.map(String.init).joined(separator: ",") + " rather than "
                        + state.targetReplicas.map(String.init).joined(separator: ",") + ".")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `--list`'s report.
    package static func listReport(_ ongoing: [TopicPartitionKey: PartitionReassignment]) -> String {
        guard !ongoing.isEmpty else { return "No partition reassignments found." }
        func ids(_ list: [Int32]) -> String { list.map(String.init).joined(separator: ",") }
        let lines = ReassignmentJSON.order(Array(ongoing.keys)).compactMap { key -> String? in
            guard let reassignment = ongoing[key] else { return nil }
            return "\(key): replicas: \(ids(reassignment.replicas))."
                + (reassignment.addingReplicas.isEmpty ? "" : " adding: \(ids(reassignment.addingReplicas)).")
                + (reassignment.removingReplicas.isEmpty ? "" : " removing: \(ids(reassignment.removingReplicas)).")
        }
        return "Current partition reassignments:\n" + lines.joined(separator: "\n")
    }

    /// `Clearing broker-level throttles on brokers 1,2,3`.
    package static func clearingBrokersLine(_ brokers: Set<Int32>) -> String {
        "Clearing broker-level throttles on broker\(brokers.count == 1 ? "" : "s") "
            + brokers.sorted().map(String.init).joined(separator: ",")
    }

    /// `Clearing topic-level throttles on topic orders`.
    package static func clearingTopicsLine(_ topics: Set<String>) -> String {
        "Clearing topic-level throttles on topic\(topics.count == 1 ? "" : "s") "
            + topics.sorted().joined(separator: ",")
    }

    static func ordered(_ states: [PartitionState]) -> [PartitionState] {
        let byKey = Dictionary(states.map { (TopicPartitionKey(topic: $0.topic, partition: $0.partition), $0) }) {
            first, _ in first
        }
        return ReassignmentJSON.order(Array(byKey.keys)).compactMap { byKey[$0] }
    }
}
