/// PLACEHOLDER (helper B replaces): every consumer group and its committed offsets.
struct GroupCoordinatorState: Sendable {
    /// Expires sessions and rebalance timeouts; called on every request and on the cluster's timer.
    mutating func tick(now: Int64) {}
}
