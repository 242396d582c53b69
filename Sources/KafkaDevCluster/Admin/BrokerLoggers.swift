import KafkaProtocol

/// The log4j loggers of a dev broker (BROKER_LOGGER resources), as a Kafka broker started with Kafka's
/// `log4j.properties` has them. The dev cluster logs nothing through them: the levels are state that
/// DescribeConfigs reports and IncrementalAlterConfigs changes, per broker.
///
/// A logger without a level of its own has the level of its nearest dotted ancestor that has one, else the root's
/// (`root`), as in log4j.
enum BrokerLoggers {
    /// The root logger's name in Kafka's answers.
    static let root = "root"

    /// The loggers and the levels Kafka's `log4j.properties` gives them.
    static let initialLevels: [String: String] = [
        root: "INFO",
        "kafka": "INFO",
        "kafka.authorizer.logger": "INFO",
        "kafka.controller": "TRACE",
        "kafka.log.LogCleaner": "INFO",
        "kafka.network.RequestChannel$": "WARN",
        "kafka.request.logger": "WARN",
        "org.apache.kafka": "INFO",
        "org.apache.zookeeper": "INFO",
        "state.change.logger": "INFO",
    ]

    /// The loggers that exist (the names Kafka would describe): the root logger first, then the others by name.
    static let names: [String] = [root] + initialLevels.keys.filter { $0 != root }.sorted()

    /// Kafka's valid levels, in its order.
    static let validLevels = ["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"]

    /// Every logger of broker `id` with its effective level.
    static func describe(broker id: Int32, state: ClusterState) -> [(name: String, level: String)] {
        let own = state.brokerLoggerLevels[id] ?? initialLevels
        return names.map { ($0, effectiveLevel($0, own: own)) }
    }

    /// The level of `name`: its own, else its nearest ancestor's, else the root's.
    static func effectiveLevel(_ name: String, own: [String: String]) -> String {
        var candidate = name
        while true {
            if let level = own[candidate] { return level }
            guard let dot = candidate.lastIndex(of: ".") else { break }
            candidate = String(candidate[..<dot])
        }
        return own[root] ?? "INFO"
    }
}

extension ClusterState {
    /// IncrementalAlterConfigs on the loggers of broker `id`, checked as Kafka does before anything changes: SET
    /// needs an existing logger (else INVALID_CONFIG `Logger X does not exist!`) and one of FATAL, ERROR, WARN,
    /// INFO, DEBUG, TRACE (else INVALID_CONFIG); DELETE of the root logger and APPEND/SUBTRACT are INVALID_REQUEST.
    /// DELETE makes a logger inherit its ancestor's level.
    mutating func alterBrokerLoggers(broker id: Int32, updates: [ConfigUpdate], validateOnly: Bool) -> ConfigOutcome {
        var own = brokerLoggerLevels[id] ?? BrokerLoggers.initialLevels
        for update in updates {
            switch ConfigUpdate.Operation(rawValue: update.operation) {
            case .set:
                guard BrokerLoggers.names.contains(update.name) else {
                    return (.invalidConfig, "Logger \(update.name) does not exist!")
                }
                let level = update.value ?? ""
                guard BrokerLoggers.validLevels.contains(level) else {
                    return (
                        .invalidConfig,
                        "Cannot set the log level of \(update.name) to \(level) as it is not a supported log level. "
                            + "Valid log4j levels are \(BrokerLoggers.validLevels.joined(separator: ", "))"
                    )
                }
                own[update.name] = level
            case .delete:
                guard BrokerLoggers.names.contains(update.name) else {
                    return (.invalidConfig, "Logger \(update.name) does not exist!")
                }
                if update.name == BrokerLoggers.root {
                    return (.invalidRequest, "Removing the log level of the root logger is not allowed")
                }
                own[update.name] = nil
            case .append:
                return (.invalidRequest, "APPEND operation is not allowed for the BROKER_LOGGER resource")
            case .subtract:
                return (.invalidRequest, "SUBTRACT operation is not allowed for the BROKER_LOGGER resource")
            case nil:
                return (.invalidRequest, "Unknown alter config operation type \(update.operation)")
            }
        }
        if !validateOnly { brokerLoggerLevels[id] = own }
        return (.none, nil)
    }
}
