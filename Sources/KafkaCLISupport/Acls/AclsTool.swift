import ArgumentParser
package import KafkaAdmin

/// The resource filters and entries `kafka-acls` works on, computed from its options as Kafka's `AclCommand`
/// does: per resource filter (topics, the cluster, groups, transactional ids, delegation tokens, in that order),
/// the entries of every allowed and denied principal, operation and host.
package struct AclsPlan: Equatable, Sendable {
    /// The resource filters in order, each with its entries (empty: every ACL of the resource, when removing).
    package var resources: [(filter: ResourcePatternFilter, entries: [AccessControlEntry])]

    package static func == (a: AclsPlan, b: AclsPlan) -> Bool {
        a.resources.map(\.filter) == b.resources.map(\.filter)
            && a.resources.map(\.entries) == b.resources.map(\.entries)
    }

    /// The plan of `options` (`--add` or `--remove`).
    ///
    /// - Throws: `ValidationError` with Kafka's usage messages (no resource, an operation the resource type does
    ///   not have), ``ToolError`` for a principal that is not `type:name`.
    package init(_ options: AclsOptions) throws {
        let patternType = try options.patternType()
        var order: [ResourcePatternFilter] = []
        var entries: [ResourcePatternFilter: Set<AccessControlEntry>] = [:]
        func put(_ filter: ResourcePatternFilter, _ more: Set<AccessControlEntry>, merge: Bool) {
            if entries[filter] == nil { order.append(filter) }
            entries[filter] = merge ? (entries[filter] ?? []).union(more) : more
        }
        let filters = try Self.resourceFilters(options, patternType: patternType, requireOne: true)
        if !options.producer && !options.consumer {
            let operations = Set(
                (options.operations.isEmpty ? ["All"] : options.operations).map {
                    AclOperation(name: $0.trimmingCharacters(in: .whitespaces)) ?? .unknown
                })
            let acl = try Self.entries(options, operations: operations)
            for filter in filters { put(filter, acl, merge: false) }
        }
        if options.producer {
            let topicEntries = try Self.entries(options, operations: [.write, .describe, .create])
            let transactionEntries = try Self.entries(options, operations: [.write, .describe])
            for filter in filters where filter.resourceType == .topic { put(filter, topicEntries, merge: false) }
            for filter in filters where filter.resourceType == .transactionalID {
                put(filter, transactionEntries, merge: false)
            }
            if options.idempotent {
                put(
                    ResourcePattern.cluster.filter, try Self.entries(options, operations: [.idempotentWrite]),
                    merge: false)
            }
        }
        if options.consumer {
            let topicEntries = try Self.entries(options, operations: [.read, .describe])
            let groupEntries = try Self.entries(options, operations: [.read])
            for filter in filters where filter.resourceType == .topic { put(filter, topicEntries, merge: true) }
            for filter in filters where filter.resourceType == .group { put(filter, groupEntries, merge: true) }
        }
        for filter in order {
            let valid = Set(filter.resourceType.supportedOperations + [.all])
            if !(entries[filter] ?? []).allSatisfy({ valid.contains($0.operation) }) {
                let names = ([AclOperation.all] + filter.resourceType.supportedOperations).map(\.name)
                throw ValidationError(
                    "ResourceType \(filter.resourceType) only supports operations \(names.joined(separator: ", "))")
            }
        }
        resources = order.map { ($0, Self.sorted(entries[$0] ?? [])) }
    }

    /// The resource filters the options name, in Kafka's order; the cluster only with a literal pattern type.
    ///
    /// - Throws: `ValidationError` when `requireOne` and the options name no resource.
    package static func resourceFilters(
        _ options: AclsOptions, patternType: AclPatternType, requireOne: Bool
    ) throws -> [ResourcePatternFilter] {
        var filters: [ResourcePatternFilter] = []
        func add(_ filter: ResourcePatternFilter) { if !filters.contains(filter) { filters.append(filter) } }
        for topic in options.topics {
            add(ResourcePatternFilter(resourceType: .topic, name: topic.trimmed, patternType: patternType))
        }
        if patternType == .literal && (options.cluster || options.idempotent) { add(ResourcePattern.cluster.filter) }
        for group in options.groups {
            add(ResourcePatternFilter(resourceType: .group, name: group.trimmed, patternType: patternType))
        }
        for id in options.transactionalIDs {
            add(ResourcePatternFilter(resourceType: .transactionalID, name: id, patternType: patternType))
        }
        for token in options.delegationTokens {
            add(ResourcePatternFilter(resourceType: .delegationToken, name: token.trimmed, patternType: patternType))
        }
        if filters.isEmpty && requireOne {
            throw ValidationError(
                "You must provide at least one resource: --topic <topic> or --cluster or --group <group> or "
                    + "--delegation-token <Delegation Token ID>")
        }
        return filters
    }

    /// The entries of every allowed principal × operation × allowed host, and every denied principal × operation ×
    /// denied host; a principal's hosts default to `*`.
    static func entries(_ options: AclsOptions, operations: Set<AclOperation>) throws -> Set<AccessControlEntry> {
        var result = Set<AccessControlEntry>()
        for (principals, hosts, permission) in [
            (options.allowPrincipals, options.allowHosts, AclPermissionType.allow),
            (options.denyPrincipals, options.denyHosts, AclPermissionType.deny),
        ] {
            let parsed = try principals.map { try principal($0) }
            let hosts = hosts.isEmpty ? (parsed.isEmpty ? [] : ["*"]) : hosts.map(\.trimmed)
            for principal in parsed {
                for operation in operations {
                    for host in hosts {
                        result.insert(
                            AccessControlEntry(
                                principal: principal, host: host, operation: operation, permissionType: permission))
                    }
                }
            }
        }
        return result
    }

    /// A principal as `type:name` (Kafka's `SecurityUtils.parseKafkaPrincipal`).
    package static func principal(_ text: String) throws -> String {
        let trimmed = text.trimmed
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard !trimmed.isEmpty, parts.count == 2 else {
            throw ToolError(
                "Error while executing ACL command: expected a string in format principalType:principalName but "
                    + "got \(trimmed)")
        }
        return trimmed
    }

    /// Entries in a stable order: principal, permission (ALLOW first), operation, host.
    package static func sorted(_ entries: some Collection<AccessControlEntry>) -> [AccessControlEntry] {
        entries.sorted {
            ($0.principal, -$0.permissionType.rawValue, $0.operation.rawValue, $0.host)
                < ($1.principal, -$1.permissionType.rawValue, $1.operation.rawValue, $1.host)
        }
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespaces) }
}

/// `kafka-acls` on an admin client: `--add`, `--remove` and `--list` with Kafka's output.
package struct AclsTool {
    package let admin: KafkaAdminClient
    package let options: AclsOptions
    /// Reads the answer to a confirmation question (a line of standard input; nil at its end).
    package var readLine: () -> String? = { Swift.readLine() }
    /// Prints a line of output.
    package var output: (String) -> Void = { print($0) }

    package init(admin: KafkaAdminClient, options: AclsOptions) {
        self.admin = admin
        self.options = options
    }

    /// Runs the action of the options.
    ///
    /// - Throws: ``ToolError`` ("Error while executing ACL command: …") when the broker refuses (no authorizer,
    ///   not authorized, an old broker without prefixed patterns) or cannot be reached.
    package func run() async throws {
        if options.add {
            try await add()
        } else if options.remove {
            try await remove()
        } else {
            try await listAcls()
        }
    }

    /// Kafka's text block of a resource and its entries: the header, then one tab-indented entry per line.
    package static func block(_ header: String, _ entries: [AccessControlEntry]) -> String {
        "\(header): \n \(entries.map { "\t\($0)" }.joined(separator: "\n")) \n"
    }

    func add() async throws {
        let patternType = try options.patternType()
        guard patternType.isSpecific else {
            throw ValidationError(
                "A '--resource-pattern-type' value of '\(patternType)' is not valid when adding acls.")
        }
        let plan = try AclsPlan(options)
        if plan.resources.contains(where: { $0.entries.isEmpty }) {
            throw ValidationError(
                "You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.")
        }
        for (filter, entries) in plan.resources {
            let pattern = ResourcePattern(
                resourceType: filter.resourceType, name: filter.name ?? "", patternType: filter.patternType)
            output(Self.block("Adding ACLs for resource `\(pattern)`", entries))
            let results = try await perform {
                try await admin.createAcls(entries.map { AclBinding(pattern: pattern, entry: $0) })
            }
            if let failure = results.values.lazy.compactMap({ result -> AdminError? in
                if case .failure(let error) = result { return error }
                return nil
            }).first {
                throw ToolError("Error while executing ACL command: \(failure)")
            }
        }
    }

    func remove() async throws {
        let plan = try AclsPlan(options)
        for (filter, entries) in plan.resources {
            let question =
                entries.isEmpty
                ? "Are you sure you want to delete all ACLs for resource filter `\(filter)`? (y/n)"
                : "Are you sure you want to remove ACLs: \n \(entries.map { "\t\($0)" }.joined(separator: "\n")) \n "
                    + "from resource filter `\(filter)`? (y/n)"
            guard confirm(question) else { continue }
            let filters =
                entries.isEmpty
                ? [AclBindingFilter(pattern: filter, entry: .any)]
                : entries.map { AclBindingFilter(pattern: filter, entry: $0.filter) }
            let results = try await perform { try await admin.deleteAcls(filters) }
            for filter in filters {
                if case .failure(let error) = results[filter] {
                    throw ToolError("Error while executing ACL command: \(error)")
                }
            }
        }
    }

    private func confirm(_ question: String) -> Bool {
        if options.force { return true }
        output(question)
        return readLine()?.lowercased() == "y"
    }

    /// The ACLs the options list, by resource pattern.
    package func listed() async throws -> [(pattern: ResourcePattern, entries: [AccessControlEntry])] {
        let filters = try AclsPlan.resourceFilters(options, patternType: try options.patternType(), requireOne: false)
        var bindings = Set<AclBinding>()
        if filters.isEmpty {
            bindings.formUnion(try await perform { try await admin.describeAcls(.any) })
        }
        for filter in filters {
            bindings.formUnion(try await perform { try await admin.describeAcls(AclBindingFilter(pattern: filter)) })
        }
        let principals = try options.listPrincipals.map { try AclsPlan.principal($0) }
        if !principals.isEmpty { bindings = bindings.filter { principals.contains($0.entry.principal) } }
        let byPattern = Dictionary(grouping: bindings, by: \.pattern)
        return byPattern.keys.sorted {
            ($0.resourceType.rawValue, $0.patternType.rawValue, $0.name)
                < ($1.resourceType.rawValue, $1.patternType.rawValue, $1.name)
        }.map { ($0, AclsPlan.sorted((byPattern[$0] ?? []).map(\.entry))) }
    }

    func listAcls() async throws {
        let listed = try await listed()
        if options.json {
            output(Self.json(listed))
            return
        }
        let principals = try options.listPrincipals.map { try AclsPlan.principal($0) }
        if principals.isEmpty {
            for (pattern, entries) in listed {
                output(Self.block("Current ACLs for resource `\(pattern)`", entries))
            }
            return
        }
        for principal in principals {
            output("ACLs for principal `\(principal)`")
            for (pattern, entries) in listed {
                let own = entries.filter { $0.principal == principal }
                if !own.isEmpty { output(Self.block("Current ACLs for resource `\(pattern)`", own)) }
            }
        }
    }

    /// The `--json` document of `--list`: an array of ACLs, each with Kafka's names of its resource type, pattern
    /// type, operation and permission type.
    package static func json(_ listed: [(pattern: ResourcePattern, entries: [AccessControlEntry])]) -> String {
        struct Row: Encodable {
            var resourceType: String
            var name: String
            var patternType: String
            var principal: String
            var host: String
            var operation: String
            var permissionType: String
        }
        let rows = listed.flatMap { pattern, entries in
            entries.map {
                Row(
                    resourceType: "\(pattern.resourceType)", name: pattern.name, patternType: "\(pattern.patternType)",
                    principal: $0.principal, host: $0.host, operation: "\($0.operation)",
                    permissionType: "\($0.permissionType)")
            }
        }
        var text = JSONOutput.array(rows)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// Runs an admin call, reporting its failure as Kafka's tool does.
    private func perform<T>(_ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as AdminError {
            throw ToolError("Error while executing ACL command: \(error)")
        }
    }
}
