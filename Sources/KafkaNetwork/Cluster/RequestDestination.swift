/// Where a request must go.
public enum RequestDestination: Sendable, Hashable, CustomStringConvertible {
    /// Any reachable broker (metadata, coordinator lookups, most admin requests).
    case anyBroker
    /// A specific broker by node id.
    case broker(Int32)
    /// The current leader of a partition.
    case leader(topic: String, partition: Int32)
    /// The active controller (some admin requests).
    case controller
    /// The coordinator of a consumer group.
    case groupCoordinator(String)
    /// The coordinator of a transactional id.
    case transactionCoordinator(String)

    public var description: String {
        switch self {
        case .anyBroker: "any broker"
        case .broker(let id): "broker \(id)"
        case .leader(let topic, let partition): "leader of \(topic)-\(partition)"
        case .controller: "controller"
        case .groupCoordinator(let group): "coordinator of group '\(group)'"
        case .transactionCoordinator(let id): "coordinator of transactional id '\(id)'"
        }
    }
}

/// The kind of coordinator FindCoordinator looks up.
public enum CoordinatorType: Int8, Sendable, Hashable {
    /// A consumer group's coordinator.
    case group = 0
    /// A transactional id's coordinator.
    case transaction = 1
}
