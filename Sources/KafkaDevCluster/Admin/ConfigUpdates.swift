import KafkaProtocol

/// One requested change of a config (AlterConfigs or IncrementalAlterConfigs).
struct ConfigUpdate: Sendable {
    /// IncrementalAlterConfigs' operations (AlterConfigs is a replacement, see ``ClusterState/alterConfigs``).
    enum Operation: Int8, Sendable {
        case set = 0
        case delete = 1
        case append = 2
        case subtract = 3
    }

    var name: String
    var operation: Int8
    var value: String?
}

extension ClusterState {
    /// The result of one config resource: the error code and message (nil message on success).
    typealias ConfigOutcome = (code: KafkaErrorCode, message: String?)

    /// AlterConfigs: replaces every override of the resource by `configs` (null values are left
    /// out, as KRaft does). Keys given twice are INVALID_REQUEST; values are validated as in
    /// ``TopicConfigs`` / ``BrokerConfigs``. Nothing changes on error or with `validateOnly`.
    mutating func alterConfigs(
        type: Int8, name: String, configs: [(name: String, value: String?)], validateOnly: Bool, broker: Int32
    ) -> ConfigOutcome {
        let target: ConfigTarget
        switch configTarget(type: type, name: name, receivingBroker: broker) {
        case .success(let resolved): target = resolved
        case .failure(let error): return (error.code, error.message)
        }
        if case .brokerLogger = target {
            return (
                .invalidRequest, "AlterConfigs does not support BROKER_LOGGER resources; use IncrementalAlterConfigs"
            )
        }
        if !ClusterState.duplicates(configs.map(\.name)).isEmpty {
            return (.invalidRequest, "Error due to duplicate config keys")
        }
        var replacement: [String: String] = [:]
        for config in configs.sorted(by: { $0.name < $1.name }) {
            guard let value = config.value else { continue }
            switch validateConfig(config.name, value: value, for: target) {
            case .success(let normalized): replacement[config.name] = normalized
            case .failure(let error): return (error.code, error.message)
            }
        }
        if !validateOnly { setConfigOverrides(replacement, of: target) }
        return (.none, nil)
    }

    /// IncrementalAlterConfigs: applies SET, DELETE, APPEND and SUBTRACT in order. APPEND and
    /// SUBTRACT apply to list configs only (else INVALID_CONFIG, as Kafka) and start from the
    /// current value, the default when there is no override; APPEND skips items already present.
    /// A null value for anything but DELETE is INVALID_REQUEST; an unknown operation too.
    mutating func incrementalAlterConfigs(
        type: Int8, name: String, updates: [ConfigUpdate], validateOnly: Bool, broker: Int32
    ) -> ConfigOutcome {
        let target: ConfigTarget
        switch configTarget(type: type, name: name, receivingBroker: broker) {
        case .success(let resolved): target = resolved
        case .failure(let error): return (error.code, error.message)
        }
        if !ClusterState.duplicates(updates.map(\.name)).isEmpty {
            return (.invalidRequest, "Error due to duplicate config keys")
        }
        if case .brokerLogger(let id) = target {
            return alterBrokerLoggers(broker: id, updates: updates, validateOnly: validateOnly)
        }
        var overrides = configOverrides(of: target)
        for update in updates {
            guard let operation = ConfigUpdate.Operation(rawValue: update.operation) else {
                return (.invalidRequest, "Unknown alter config operation type \(update.operation)")
            }
            if operation != .delete && update.value == nil {
                return (.invalidRequest, "Null value not supported for : \(update.name)")
            }
            let definition: DevConfigDefinition?
            switch target {
            case .topic: definition = TopicConfigs.byName[update.name]
            case .broker: definition = BrokerConfigs.byName[update.name]
            case .brokerLogger: definition = nil
            }
            switch operation {
            case .delete:
                if case .topic = target {
                    if definition == nil { return (.invalidConfig, "Unknown topic config name: \(update.name)") }
                } else if case .failure(let error) = validateConfig(update.name, value: nil, for: target) {
                    return (error.code, error.message)
                }
                overrides[update.name] = nil
                continue
            case .set:
                break
            case .append, .subtract:
                if let definition, definition.type != .list {
                    let verb = operation == .append ? "append" : "subtract"
                    return (.invalidConfig, "Config value \(verb) is not allowed for config key: \(update.name)")
                }
            }
            var value = update.value ?? ""
            if operation == .append || operation == .subtract, let definition {
                var items = Self.listItems(overrides[update.name] ?? definition.defaultValue ?? "")
                let changes = Self.listItems(value)
                if operation == .append {
                    for item in changes where !items.contains(item) { items.append(item) }
                } else {
                    items.removeAll { changes.contains($0) }
                }
                value = items.joined(separator: ",")
            }
            switch validateConfig(update.name, value: value, for: target) {
            case .success(let normalized): overrides[update.name] = normalized
            case .failure(let error): return (error.code, error.message)
            }
        }
        if !validateOnly { setConfigOverrides(overrides, of: target) }
        return (.none, nil)
    }

    /// The items of a comma-separated list value, trimmed, without empty items.
    static func listItems(_ value: String) -> [String] {
        value.split(separator: ",").map { TopicConfigs.trim(String($0)) }.filter { !$0.isEmpty }
    }
}
