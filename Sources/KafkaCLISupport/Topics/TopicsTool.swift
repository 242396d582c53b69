import ArgumentParser
package import KafkaAdmin
import KafkaNetwork
import KafkaProtocol

/// The actions of `kafka-topics` on an admin client, printing what Kafka's `TopicCommand` prints.
package struct TopicsTool {
    package let admin: KafkaAdminClient
    package let options: KafkaTopicsOptions

    package init(admin: KafkaAdminClient, options: KafkaTopicsOptions) {
        self.admin = admin
        self.options = options
    }

    /// Runs the action of the options.
    package func run() async throws {
        switch options.action {
        case .create: try await createTopic()
        case .list: try await listTopics()
        case .describe: try await describeTopics()
        case .alter: try await alterTopics()
        case .delete: try await deleteTopics()
        }
    }

    private func createTopic() async throws {
        guard let name = options.topic else { return }
        if name.contains(".") || name.contains("_") {
            // On standard output, as Kafka prints it (standard error stays for the failure).
            print(
                "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could "
                    + "collide. To avoid issues it is best to use either, but not both.")
        }
        let configs = try options.topicConfigs()
        var newTopic: NewTopic
        if let replicaAssignment = options.replicaAssignment {
            let assignment = try ReplicaAssignment.parse(replicaAssignment)
            var byPartition: [Int32: [Int32]] = [:]
            for (index, replicas) in assignment.enumerated() { byPartition[Int32(index)] = replicas }
            newTopic = NewTopic(name: name, replicaAssignment: byPartition, configs: configs)
        } else {
            newTopic = NewTopic(
                name: name, partitions: options.partitions.map { Int32($0) },
                replicationFactor: options.replicationFactor.map { Int16($0) }, configs: configs)
        }
        let results = try await admin.createTopics([newTopic])
        switch results[name] {
        case .success:
            print("Created topic \(name).")
        case .failure(let error) where error.code == .topicAlreadyExists && options.ifNotExists:
            break
        case .failure(let error):
            throw error
        case nil:
            throw ToolError("no answer from the cluster about topic '\(name)'")
        }
    }

    private func listTopics() async throws {
        for name in try await matchingTopics() {
            print(name)
        }
    }

    private func alterTopics() async throws {
        guard let partitions = options.partitions else { return }
        let topics = try await matchingTopics()
        try ensureFound(topics)
        guard !topics.isEmpty else { return }
        var requested: [String: NewPartitions] = [:]
        if let replicaAssignment = options.replicaAssignment {
            // As Kafka: the assignment lists every partition; the ones past the current count are new.
            let assignment = try ReplicaAssignment.parse(replicaAssignment)
            let described = try await admin.describeTopics(topics)
            for name in topics {
                guard let result = described[name] else { continue }
                let current = try result.get().partitions.count
                requested[name] = NewPartitions(
                    totalCount: Int32(partitions), assignments: Array(assignment.dropFirst(current)))
            }
        } else {
            for name in topics { requested[name] = NewPartitions(totalCount: Int32(partitions)) }
        }
        let results = try await admin.createPartitions(requested)
        try reportFailures(results, order: topics)
    }

    private func deleteTopics() async throws {
        let topics = try await matchingTopics()
        try ensureFound(topics)
        guard !topics.isEmpty else { return }
        // In requests of at most 100 topics, with a progress line at a terminal.
        let progress = ProgressLine(label: "deleting topics", unit: "topics", total: topics.count)
        var results: [String: Result<Void, AdminError>] = [:]
        var start = 0
        do {
            while start < topics.count {
                let chunk = Array(topics[start..<min(start + 100, topics.count)])
                results.merge(try await admin.deleteTopics(chunk)) { $1 }
                start += chunk.count
                progress.update(start)
            }
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        try reportFailures(results, order: topics)
    }

    private func describeTopics() async throws {
        var topics = try await matchingTopics()
        if let topicID = options.topicID, let wanted = TopicID.parse(topicID) {
            // As Kafka: a topic id takes precedence over --topic.
            let all = try await admin.describeTopics(
                try await admin.listTopics(includeInternal: !options.excludeInternal))
            topics = all.compactMap { name, result in
                (try? result.get())?.topicID == wanted ? name : nil
            }
            if topics.isEmpty && !options.ifExists {
                throw ToolError("TopicId '\(topicID)' does not exist as expected")
            }
        } else {
            try ensureFound(topics)
        }
        guard !topics.isEmpty else { return }

        let described = try await admin.describeTopics(topics)
        var descriptions: [TopicDescription] = []
        for name in topics {
            guard let result = described[name] else { continue }
            descriptions.append(try result.get())
        }
        let configResults = await admin.describeConfigs(descriptions.map { .topic($0.name) })
        let liveBrokers: Set<Int32>
        do {
            liveBrokers = Set(try await admin.describeCluster().brokers.map(\.nodeID))
        } catch {
            // Reported as the broker's error, as the tool always has.
            throw KafkaError(code: error.code, api: error.api, brokerMessage: error.message)
        }
        for description in descriptions {
            let configs: [ConfigEntry]
            switch configResults[.topic(description.name)] {
            case .success(let entries): configs = entries
            case .failure(let error): throw error
            case nil: throw ToolError("no configs reported for topic '\(description.name)'")
            }
            let lines = TopicDescribeTable.lines(
                description, configs: configs, liveBrokers: liveBrokers, report: options.report,
                topicsWithOverrides: options.topicsWithOverrides)
            for line in lines { print(line) }
        }
    }

    // MARK: Helpers

    /// The topics `--topic` matches (every topic without it), sorted, internal ones left out with
    /// `--exclude-internal`.
    private func matchingTopics() async throws -> [String] {
        let all = try await admin.listTopics(includeInternal: !options.excludeInternal)
        let filter = try options.topic.map(TopicFilter.init)
        return all.filter { name in
            (filter?.matches(name) ?? true) && !(options.excludeInternal && TopicFilter.isInternal(name))
        }
        .sorted()
    }

    /// Fails, as Kafka does, when `--topic` matched nothing and `--if-exists` is not given.
    private func ensureFound(_ topics: [String]) throws {
        if let topic = options.topic, !topic.isEmpty, topics.isEmpty, !options.ifExists {
            throw ToolError("Topic '\(topic)' does not exist as expected")
        }
    }

    /// Prints a line per failed topic and exits 1 when any failed.
    private func reportFailures(_ results: [String: Result<Void, AdminError>], order: [String]) throws {
        var failures: [String] = []
        for name in order {
            switch results[name] {
            case .success: break
            case .failure(let error): failures.append("\(error)")
            case nil: failures.append("no answer from the cluster about topic '\(name)'")
            }
        }
        guard !failures.isEmpty else { return }
        if failures.count == 1 { throw ToolError(failures[0]) }
        for failure in failures { KafkaTool.printError("kafka-topics: \(failure)") }
        throw ExitCode(1)
    }
}
