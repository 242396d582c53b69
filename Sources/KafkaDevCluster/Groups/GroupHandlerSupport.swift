import KafkaProtocol

extension ClusterState {
    /// Whether the broker of `context` coordinates `groupID`; handlers answer NOT_COORDINATOR
    /// otherwise.
    func coordinates(group groupID: String, context: RequestContext) -> Bool {
        coordinator(type: 0, key: groupID) == context.brokerID
    }
}
