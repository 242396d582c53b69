import KafkaProtocol

/// What a handler knows about the request besides its body.
struct RequestContext: Sendable {
    /// The node id of the broker that received the request.
    var brokerID: Int32
    /// The request version.
    var version: Int16
    /// The client id of the request header.
    var clientID: String?
    /// The client's address as Kafka shows it in group descriptions (`/127.0.0.1`).
    var clientHost: String
    /// The cluster's time when the request was handled, in milliseconds since the epoch.
    var now: Int64
    /// The connection's principal: `User:<name>` of its SASL session, `User:ANONYMOUS` without SASL.
    var principal = "User:ANONYMOUS"

    /// The client's address as the authorizer matches ACL hosts (`127.0.0.1`).
    var host: String { clientHost.hasPrefix("/") ? String(clientHost.dropFirst()) : clientHost }
}

/// The answer of a handler.
enum DevReply<Response: KafkaResponse>: Sendable {
    /// Answer now.
    case respond(Response)
    /// Answer later: the cluster calls `poll` after every change and on its timer until it returns a
    /// response; at or after `deadline` (cluster milliseconds) it passes `expired: true` and the
    /// handler must answer then (a nil answer then closes the connection).
    case park(deadline: Int64, poll: @Sendable (inout ClusterState, _ now: Int64, _ expired: Bool) -> Response?)
    /// Send nothing (acks=0 produce).
    case noResponse
    /// Close the connection, as Kafka does for requests it cannot parse or must refuse.
    case close
}

/// One API of the dev cluster: decodes nothing itself; given the decoded request and the cluster's
/// state, returns the answer. Handlers are pure functions of the state, so tests call them without
/// sockets.
protocol DevAPIHandler: Sendable {
    associatedtype Request: KafkaRequest

    /// The answer to `request` received by `context.brokerID`.
    static func handle(_ request: Request, in state: inout ClusterState, context: RequestContext) -> DevReply<
        Request.Response
    >

    /// The answer that reports `error` for everything the request asked (used by injected faults):
    /// the top-level error code when the response has one, otherwise the code on every topic,
    /// partition, group or resource of the request.
    static func errorResponse(to request: Request, error: KafkaErrorCode, context: RequestContext) -> Request.Response

    /// The versions advertised in ApiVersions; by default every version this package encodes.
    /// Handlers that implement fewer (the transaction APIs leave out their broker-only versions)
    /// override it and close the connection on a request at a version outside it.
    static var versions: ClosedRange<Int16> { get }

    /// The error that answers the whole request (on everything it asked, see ``errorResponse(to:error:context:)``)
    /// when the authorizer denies it, checked before ``handle(_:in:context:)``; nil when it is allowed, when no
    /// authorizer is on, or when the handler checks per resource itself.
    static func denial(of request: Request, in state: ClusterState, context: RequestContext) -> KafkaErrorCode?
}

/// Every API the dev cluster implements, advertised in ApiVersions at the full range this package
/// can encode. ApiVersions, SaslHandshake and SaslAuthenticate are handled by the connection itself.
enum DevAPIRegistry {
    static let handlers: [KafkaAPIKey: any DevAPIHandler.Type] = {
        let all: [any DevAPIHandler.Type] = [
            MetadataHandler.self, FindCoordinatorHandler.self, DescribeClusterHandler.self,
            ProduceHandler.self, FetchHandler.self, ListOffsetsHandler.self, DeleteRecordsHandler.self,
            DescribeLogDirsHandler.self,
            InitProducerIdHandler.self,
            CreateTopicsHandler.self, DeleteTopicsHandler.self, CreatePartitionsHandler.self,
            DescribeConfigsHandler.self, AlterConfigsHandler.self, IncrementalAlterConfigsHandler.self,
            JoinGroupHandler.self, SyncGroupHandler.self, HeartbeatHandler.self, LeaveGroupHandler.self,
            OffsetCommitHandler.self, OffsetFetchHandler.self, DescribeGroupsHandler.self,
            ListGroupsHandler.self, DeleteGroupsHandler.self, OffsetDeleteHandler.self,
            AddPartitionsToTxnHandler.self, AddOffsetsToTxnHandler.self, EndTxnHandler.self,
            TxnOffsetCommitHandler.self,
            DescribeClientQuotasHandler.self, AlterClientQuotasHandler.self,
            DescribeUserScramCredentialsHandler.self, AlterUserScramCredentialsHandler.self,
            ListTransactionsHandler.self, DescribeTransactionsHandler.self, DescribeProducersHandler.self,
            WriteTxnMarkersHandler.self,
            AlterPartitionReassignmentsHandler.self, ListPartitionReassignmentsHandler.self, ElectLeadersHandler.self,
            CreateAclsHandler.self, DescribeAclsHandler.self, DeleteAclsHandler.self,
        ]
        var map: [KafkaAPIKey: any DevAPIHandler.Type] = [:]
        for handler in all { map[handler.apiKey] = handler }
        return map
    }()
}

extension DevAPIHandler {
    static var apiKey: KafkaAPIKey { Request.apiKey }
    static var versions: ClosedRange<Int16> { Request.validVersions }
    static func denial(of request: Request, in state: ClusterState, context: RequestContext) -> KafkaErrorCode? {
        nil
    }
}
