package import KafkaAdmin
import KafkaNetwork

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `kafka-configs` on an admin client: Kafka's `ConfigCommand` with `--bootstrap-server` for topics, brokers, broker
/// loggers, users (quotas and SCRAM credentials) and clients (quotas).
///
/// Every alteration goes through IncrementalAlterConfigs (Kafka 2.3), for brokers too (Kafka's script replaces a
/// broker's whole dynamic config with AlterConfigs), so a broker's sensitive configs need not be repeated.
package struct ConfigsTool {
    package let admin: KafkaAdminClient
    package let options: ConfigsOptions
    /// The entity types and names, paired by position.
    package let types: [String]
    package let names: [String]

    /// The quota names users and clients take (Kafka's `QuotaConfig.isClientOrUserQuotaConfig`).
    package static let quotaKeys: Set<String> = [
        "producer_byte_rate", "consumer_byte_rate", "request_percentage", "controller_mutation_rate",
    ]

    /// - Parameter arguments: the process's arguments, for the order of `--entity-name` and `--entity-default`.
    package init(admin: KafkaAdminClient, options: ConfigsOptions, arguments: [String] = []) {
        self.admin = admin
        self.options = options
        self.types = options.types
        self.names = options.names(order: ConfigsOptions.entityNameOrder(in: arguments))
    }

    /// Describes or alters, printing Kafka's lines.
    ///
    /// - Throws: ``ToolError`` with Kafka's message for bad configs, and the broker's error for a refused request.
    package func run() async throws {
        if options.alter {
            try await alter()
        } else {
            try await describe()
        }
    }

    // MARK: - Describe

    private func describe() async throws {
        switch types[0] {
        case "users", "clients":
            try await describeQuotasAndCredentials()
        default:
            try await describeResources(entityType: types[0], name: names.first)
        }
    }

    private func describeResources(entityType: String, name: String?) async throws {
        let entities: [String]
        if let name {
            entities = [name]
        } else if entityType == "topics" {
            entities = try await admin.listTopics(includeInternal: true)
        } else {
            entities = try await admin.describeCluster().brokers.map(\.nodeID).sorted().map { String($0) } + [""]
        }
        var documents: [ConfigsOutput.ResourceJSON] = []
        for entity in entities {
            let configs = try await resourceConfigs(entityType: entityType, name: entity, synonyms: true)
            if options.json {
                documents.append(
                    .init(
                        entityType: entityType, entityName: entity, configs: configs.map(ConfigsOutput.EntryJSON.init)))
            } else {
                print(ConfigsOutput.header(entityType: entityType, name: entity, all: options.all))
                for entry in configs { print(ConfigsOutput.line(entry)) }
            }
        }
        if options.json { print(JSONOutput.array(documents), terminator: "") }
    }

    /// The configs Kafka's script shows for a resource: with `--all` every config, otherwise the dynamic ones of its
    /// level (a topic's overrides, a broker's own or the cluster-wide defaults); every logger of a broker.
    private func resourceConfigs(entityType: String, name: String, synonyms: Bool) async throws -> [ConfigEntry] {
        let resource: ConfigResource
        let dynamicSource: ConfigSource?
        switch entityType {
        case "topics":
            resource = .topic(name)
            dynamicSource = .dynamicTopicConfig
        case "brokers":
            resource = ConfigResource(type: .broker, name: name)
            dynamicSource = name.isEmpty ? .dynamicDefaultBrokerConfig : .dynamicBrokerConfig
        default:
            resource = ConfigResource(type: .brokerLogger, name: name)
            dynamicSource = nil
        }
        let results = await admin.describeConfigs([resource], includeSynonyms: synonyms)
        guard let result = results[resource] else { throw ToolError("no answer for \(resource)") }
        let entries = try result.get()
        guard !options.all, let dynamicSource else { return entries.sorted { $0.name < $1.name } }
        return entries.filter { $0.source == dynamicSource }.sorted { $0.name < $1.name }
    }

    /// Quotas first, then (for users, unless defaults are named) SCRAM credentials, as Kafka's script: a broker with
    /// the quota APIs but not the SCRAM ones (Kafka 2.6) gets the quota lines before the error.
    private func describeQuotasAndCredentials() async throws {
        let quotas = try await admin.describeClientQuotas(quotaFilter())
        let withCredentials = !types.contains("clients") && !names.contains("")
        if options.json {
            let scram = withCredentials ? try await admin.describeUserScramCredentials(names) : nil
            print(ConfigsOutput.quotasJSON(quotas: quotas, scram: scram))
            return
        }
        for entity in quotas.keys.sorted(by: { $0.description < $1.description }) {
            print(ConfigsOutput.quotaLine(entity, quotas[entity] ?? [:]))
        }
        guard withCredentials else { return }
        let scram = try await admin.describeUserScramCredentials(names)
        for user in scram.keys.sorted() {
            if let result = scram[user] { print(ConfigsOutput.scramLine(user: user, result)) }
        }
    }

    /// Kafka's filter: per entity type, the named entity, the default (empty name) or any (no name); strict.
    private func quotaFilter() -> ClientQuotaFilter {
        .containsOnly(
            types.enumerated().map { index, type in
                let quotaType = type == "users" ? ClientQuotaEntity.user : ClientQuotaEntity.clientID
                guard index < names.count else { return .init(type: quotaType, match: .any) }
                return .init(type: quotaType, match: names[index].isEmpty ? .defaultEntity : .exactly(names[index]))
            })
    }

    // MARK: - Alter

    private func alter() async throws {
        var added: [String: String] = [:]
        if let text = options.addConfig { added = try ConfigAssignments.parse(text) }
        if let path = options.addConfigFile { added = try ConfigAssignments.load(path: path) }
        let deleted = ConfigAssignments.deletions(options.deleteConfig)
        let type = types[0]
        let name = names[0]
        switch type {
        case "topics", "brokers":
            let current = Set(try await resourceConfigs(entityType: type, name: name, synonyms: false).map(\.name))
            let invalid = deleted.filter { !current.contains($0) }
            if !invalid.isEmpty { throw ToolError("Invalid config(s): \(invalid.joined(separator: ","))") }
            let resource = type == "topics" ? ConfigResource.topic(name) : ConfigResource(type: .broker, name: name)
            try await incrementalAlter(resource, added: added, deleted: deleted)
        case "broker-loggers":
            let loggers = Set(try await resourceConfigs(entityType: type, name: name, synonyms: true).map(\.name))
            let invalid =
                deleted.filter { !loggers.contains($0) } + added.keys.sorted().filter { !loggers.contains($0) }
            if !invalid.isEmpty { throw ToolError("Invalid broker logger(s): \(invalid.joined(separator: ","))") }
            try await incrementalAlter(ConfigResource(type: .brokerLogger, name: name), added: added, deleted: deleted)
        default:
            try await alterUsersOrClients(added: added, deleted: deleted)
        }
        if name.isEmpty {
            print("Completed updating default config for \(type) in the cluster.")
        } else {
            print("Completed updating config for \(type.dropLast()) \(name).")
        }
    }

    private func incrementalAlter(_ resource: ConfigResource, added: [String: String], deleted: [String]) async throws {
        let operations =
            added.sorted { $0.key < $1.key }.map { AlterConfigOp.set(name: $0.key, value: $0.value) }
            + deleted.map { AlterConfigOp.delete(name: $0) }
        let results = await admin.incrementalAlterConfigs([resource: operations])
        try results[resource]?.get()
    }

    private func alterUsersOrClients(added: [String: String], deleted: [String]) async throws {
        let isScram = { (key: String) in ScramMechanism(mechanismName: key) != nil }
        let isQuota = { (key: String) in Self.quotaKeys.contains(key) }
        let scramToAdd = added.keys.sorted().filter(isScram)
        let unknownToAdd = added.keys.sorted().filter { !isScram($0) && !isQuota($0) }
        let scramToDelete = deleted.filter(isScram)
        let unknownToDelete = deleted.filter { !isScram($0) && !isQuota($0) }
        let hasQuotas = added.keys.contains(where: isQuota) || deleted.contains(where: isQuota)
        if types[0] == "clients" || types.count == 2 {
            if !unknownToAdd.isEmpty || !scramToAdd.isEmpty {
                throw ToolError(
                    "Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: "
                        + Self.scalaSet(unknownToAdd + scramToAdd))
            }
            if !unknownToDelete.isEmpty || !scramToDelete.isEmpty {
                throw ToolError(
                    "Only quota configs can be deleted for 'clients' using --bootstrap-server. Unexpected config "
                        + "names: \(Self.scalaBuffer(unknownToDelete + scramToDelete))")
            }
        } else {
            if !unknownToAdd.isEmpty {
                throw ToolError(
                    "Only quota and SCRAM credential configs can be added for 'users' using --bootstrap-server. "
                        + "Unexpected config names: \(Self.scalaSet(unknownToAdd))")
            }
            if !unknownToDelete.isEmpty {
                throw ToolError(
                    "Only quota and SCRAM credential configs can be deleted for 'users' using --bootstrap-server. "
                        + "Unexpected config names: \(Self.scalaBuffer(unknownToDelete))")
            }
            if !scramToAdd.isEmpty || !scramToDelete.isEmpty {
                if names.contains("") {
                    throw ToolError(
                        "The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials "
                            + "using --bootstrap-server.")
                }
                if hasQuotas {
                    throw ToolError(
                        "Cannot alter both quota and SCRAM credential configs simultaneously for 'users' using "
                            + "--bootstrap-server.")
                }
            }
        }
        if hasQuotas {
            try await alterQuotas(added: added, deleted: deleted)
        } else {
            try await alterScramCredentials(user: names[0], added: added, deleted: scramToDelete)
        }
    }

    private func alterQuotas(added: [String: String], deleted: [String]) async throws {
        let current = try await admin.describeClientQuotas(quotaFilter()).values.first ?? [:]
        let invalid = deleted.filter { current[$0] == nil }
        if !invalid.isEmpty { throw ToolError("Invalid config(s): \(invalid.joined(separator: ","))") }
        var operations: [ClientQuotaAlteration.Operation] = []
        for (key, text) in added.sorted(by: { $0.key < $1.key }) {
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw ToolError("Cannot parse quota configuration value for \(key): \(text)")
            }
            operations.append(.init(key: key, value: value))
        }
        operations += deleted.map { .init(key: $0, value: nil) }
        let entity = ClientQuotaEntity(
            zip(types, names).map { type, name in
                .init(
                    type: type == "users" ? ClientQuotaEntity.user : ClientQuotaEntity.clientID,
                    name: name.isEmpty ? nil : name)
            })
        let results = try await admin.alterClientQuotas([ClientQuotaAlteration(entity: entity, operations: operations)])
        for result in results.values { try result.get() }
    }

    private func alterScramCredentials(user: String, added: [String: String], deleted: [String]) async throws {
        var alterations: [UserScramCredentialAlteration] = []
        for mechanism in deleted.compactMap(ScramMechanism.init(mechanismName:)) {
            alterations.append(.delete(user: user, mechanism: mechanism))
        }
        for (key, value) in added.sorted(by: { $0.key < $1.key }) {
            guard let mechanism = ScramMechanism(mechanismName: key) else { continue }
            let credential = try ConfigAssignments.scramCredential(mechanism: key, value)
            alterations.append(
                .upsert(
                    user: user, mechanism: mechanism, iterations: credential.iterations, password: credential.password))
        }
        let results = try await admin.alterUserScramCredentials(alterations)
        for result in results.values { try result.get() }
    }

    /// A Scala `Set`'s text, as Kafka's messages show key sets: `Set(a, b)`.
    static func scalaSet(_ items: [String]) -> String { "Set(\(items.joined(separator: ", ")))" }

    /// A Scala buffer's text, as Kafka's messages show `--delete-config` keys: `ArrayBuffer(a, b)`.
    static func scalaBuffer(_ items: [String]) -> String { "ArrayBuffer(\(items.joined(separator: ", ")))" }
}
