package import ArgumentParser

/// The options of `kafka-configs` beside the connection: Apache Kafka's `ConfigCommand` flags for topics, brokers,
/// broker loggers, users and clients.
package struct ConfigsOptions: ParsableArguments {
    @Flag(name: .customLong("describe"), help: "List configs for the given entity.")
    package var describe = false

    @Flag(name: .customLong("alter"), help: "Alter the configuration for the entity.")
    package var alter = false

    @Flag(name: .customLong("all"), help: "List all configs for the given entity, including static configs.")
    package var all = false

    @Option(
        name: .customLong("entity-type"),
        help: ArgumentHelp("Type of entity (topics/clients/users/brokers/broker-loggers).", valueName: "type"))
    package var entityType: [String] = []

    @Option(
        name: .customLong("entity-name"),
        help: ArgumentHelp("Name of entity (topic name/client id/user principal name/broker id).", valueName: "name"))
    package var entityName: [String] = []

    @Flag(
        name: .customLong("entity-default"),
        help: "Default entity name for clients/users/brokers (applies to the corresponding entity type).")
    package var entityDefault: Int

    @Option(
        name: .customLong("add-config"),
        help: ArgumentHelp(
            "Key value pairs of configs to add; square brackets group values that contain commas: "
                + "'k1=v1,k2=[v1,v2,v2],k3=v3'.", valueName: "k=v,..."))
    package var addConfig: String?

    @Option(
        name: .customLong("add-config-file"),
        help: ArgumentHelp("Path to a properties file with configs to add.", valueName: "file"))
    package var addConfigFile: String?

    @Option(
        name: .customLong("delete-config"), help: ArgumentHelp("Config keys to remove: 'k1,k2'.", valueName: "k1,k2"))
    package var deleteConfig: [String] = []

    @Flag(name: .customLong("force"), help: "Suppress console prompts (accepted; there are none).")
    package var force = false

    @Option(name: .customLong("topic"), help: ArgumentHelp("The topic's name.", valueName: "topic"))
    package var topic: String?

    @Option(name: .customLong("client"), help: ArgumentHelp("The client's ID.", valueName: "client"))
    package var client: String?

    @Flag(name: .customLong("client-defaults"), help: "The config defaults for all clients.")
    package var clientDefaults = false

    @Option(name: .customLong("user"), help: ArgumentHelp("The user's principal name.", valueName: "user"))
    package var user: String?

    @Flag(name: .customLong("user-defaults"), help: "The config defaults for all users.")
    package var userDefaults = false

    @Option(name: .customLong("broker"), help: ArgumentHelp("The broker's ID.", valueName: "broker"))
    package var broker: String?

    @Flag(name: .customLong("broker-defaults"), help: "The config defaults for all brokers.")
    package var brokerDefaults = false

    @Option(
        name: .customLong("broker-logger"),
        help: ArgumentHelp("The broker's ID for its logger config.", valueName: "broker"))
    package var brokerLogger: String?

    @Flag(name: .customLong("json"), help: "With --describe, print a JSON document instead of Kafka's lines.")
    package var json = false

    package init() {}

    package static let entityTypes = ["topics", "clients", "users", "brokers", "broker-loggers"]

    /// The `--entity-name` values and `--entity-default`s (nil) of `arguments` (the process's arguments) in
    /// command-line order, which pairs them with the `--entity-type`s.
    package static func entityNameOrder(in arguments: [String]) -> [String?] {
        var order: [String?] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument == "--entity-default" {
                order.append(nil)
            } else if argument == "--entity-name", index + 1 < arguments.count {
                order.append(arguments[index + 1])
                index += 1
            } else if argument.hasPrefix("--entity-name=") {
                order.append(String(argument.dropFirst("--entity-name=".count)))
            } else if optionsTakingValues.contains(argument) {
                index += 1
            }
            index += 1
        }
        return order
    }

    private static let optionsTakingValues: Set<String> = [
        "--bootstrap-server", "--command-config", "--entity-type", "--add-config", "--add-config-file",
        "--delete-config", "--topic", "--client", "--user", "--broker", "--broker-logger",
    ]

    private var specificFlags: [(type: String, name: String?)] {
        [
            ("topics", topic), ("clients", client), ("users", user), ("brokers", broker),
            ("broker-loggers", brokerLogger),
        ]
    }

    private var defaultFlags: [(type: String, set: Bool)] {
        [("clients", clientDefaults), ("users", userDefaults), ("brokers", brokerDefaults)]
    }

    /// The entity types, as Kafka collects them: `--entity-type`s in order, then the specific flags.
    package var types: [String] {
        entityType + specificFlags.filter { $0.name != nil }.map(\.type) + defaultFlags.filter(\.set).map(\.type)
    }

    /// The entity names, matched to ``types`` by position: `--entity-name`/`--entity-default` in command-line order
    /// (the empty string for a default), then the specific flags' values, then "" for each `--*-defaults`.
    ///
    /// - Parameter order: ``entityNameOrder(in:)`` of the process's arguments; when it does not list exactly the
    ///   parsed names and defaults (or is nil), names come before defaults.
    package func names(order: [String?]? = nil) -> [String] {
        let parsedOrder =
            order.flatMap { order in
                order.compactMap { $0 } == entityName && order.filter { $0 == nil }.count == entityDefault
                    ? order : nil
            }
        let generic = parsedOrder?.map { $0 ?? "" } ?? (entityName + Array(repeating: "", count: entityDefault))
        return generic + specificFlags.compactMap(\.name) + defaultFlags.filter(\.set).map { _ in "" }
    }

    /// Kafka's checks of the arguments, with its messages.
    package func validate() throws {
        guard describe != alter else {
            throw ValidationError("Command must include exactly one action: --describe, --alter")
        }
        if describe {
            for (name, given) in [("add-config", addConfig != nil), ("delete-config", !deleteConfig.isEmpty)]
            where given {
                throw ValidationError("Option \"[describe]\" can't be used with option \"[\(name)]\"")
            }
        }
        if json && alter { throw ValidationError("--json applies to --describe only") }
        let types = self.types
        let repeated = types.enumerated().filter { index, type in types[..<index].contains(type) }.map(\.element)
        if !repeated.isEmpty {
            throw ValidationError("Duplicate entity type(s) specified: \(repeated.joined(separator: ","))")
        }
        for type in types where !Self.entityTypes.contains(type) {
            throw ValidationError(
                "Invalid entity type \(type), the entity type must be one of \(Self.entityTypes.joined(separator: ", ")) "
                    + "with a --bootstrap-server argument")
        }
        if types.isEmpty { throw ValidationError("At least one entity type must be specified") }
        if types.count > 1 && Set(types) != ["users", "clients"] {
            throw ValidationError("Only 'users' and 'clients' entity types may be specified together")
        }
        let generic = !entityName.isEmpty || !entityType.isEmpty || entityDefault > 0
        if generic && (specificFlags.contains { $0.name != nil } || defaultFlags.contains(where: \.set)) {
            throw ValidationError(
                "--entity-{type,name,default} should not be used in conjunction with specific entity flags")
        }
        let names = self.names()
        let hasName = names.contains { !$0.isEmpty }
        let hasDefault = names.contains("")
        if hasName && (types.contains("brokers") || types.contains("broker-loggers")) {
            for id in entityName + [broker, brokerLogger].compactMap({ $0 }) where Int32(id) == nil {
                throw ValidationError(
                    "The entity name for \(types[0]) must be a valid integer broker id, but it is: \(id)")
            }
        }
        if describe {
            let defaultsAllowed = types.contains { ["users", "clients", "brokers"].contains($0) }
            if !defaultsAllowed && entityDefault > 0 {
                throw ValidationError(
                    "--entity-default must not be specified with --describe of \(types.joined(separator: ","))")
            }
            if types.contains("broker-loggers") && !hasName {
                throw ValidationError(
                    "An entity name must be specified with --describe of \(types.joined(separator: ","))")
            }
        }
        if alter {
            if types.contains(where: { ["users", "clients", "brokers"].contains($0) }) {
                if !hasName && !hasDefault {
                    throw ValidationError(
                        "An entity-name or default entity must be specified with --alter of users, clients, brokers "
                            + "or ips")
                }
            } else if !hasName {
                throw ValidationError(
                    "An entity name must be specified with --alter of \(types.joined(separator: ","))")
            }
            if addConfig != nil && addConfigFile != nil {
                throw ValidationError("Only one of --add-config or --add-config-file must be specified")
            }
            if addConfig == nil && addConfigFile == nil && deleteConfig.isEmpty {
                throw ValidationError(
                    "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter"
                )
            }
            if types.count != names.count {
                throw ValidationError("An entity name must be specified for every entity type")
            }
        }
        if names.count > types.count { throw ValidationError("More entity names specified than entity types") }
    }
}
