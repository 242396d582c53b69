public import KafkaProtocol
public import NIOSSL

/// How a ``DevCluster`` runs: brokers, ports, defaults for new topics, clock and security.
public struct DevClusterConfiguration: Sendable {
    /// How many brokers run in the process.
    public var brokerCount = 1
    /// The address every broker binds and advertises.
    public var host = "127.0.0.1"
    /// The port of the first broker; broker *i* listens on `port + i`. Zero picks free ports.
    public var port = 0
    /// The node id of the first broker; the others follow (1, 2, 3 by default).
    public var firstNodeID: Int32 = 1
    /// The cluster id reported by Metadata and DescribeCluster.
    public var clusterID = "swift-kafka-dev-cluster"
    /// Whether Metadata requests create unknown topics (`auto.create.topics.enable`, on in Kafka).
    public var autoCreateTopics = true
    /// Partitions of auto-created topics and of CreateTopics asking for the default (`num.partitions`).
    public var defaultPartitions: Int32 = 1
    /// Replication factor of auto-created topics and of CreateTopics asking for the default.
    public var defaultReplicationFactor: Int16 = 1
    /// Topics to create at start: name -> partition count (replication factor 1).
    public var topics: [String: Int32] = [:]
    /// When set, partition logs, topics and committed offsets are kept in this directory and loaded
    /// again at start; otherwise everything lives in memory.
    public var dataDirectory: String? = nil
    /// Kafka's `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group
    /// waits for more members. Kafka's default is 3000; a dev cluster answers at once by default.
    public var groupInitialRebalanceDelayMs: Int32 = 0
    /// The largest record batch the brokers accept (`message.max.bytes`).
    public var maxMessageBytes: Int32 = 1_048_588
    /// The clock read for timestamps and timeouts.
    public var clock: any DevClock = SystemDevClock()
    /// When set, every listener is TLS with this server context (see ``tlsContext(certificateChainFile:privateKeyFile:clientCertificateAuthorityFile:)``).
    public var tls: NIOSSLContext? = nil
    /// SASL mechanisms the listeners require, for example `["PLAIN", "SCRAM-SHA-256", "OAUTHBEARER"]`; empty
    /// means none.
    public var saslMechanisms: [String] = []
    /// Users (name -> password) for SASL PLAIN and SCRAM.
    public var users: [String: String] = [:]
    /// How long a SASL session lasts (Kafka's `connections.max.reauth.ms`); nil: forever.
    ///
    /// When set, SaslAuthenticate v1+ tells the client the session's lifetime, a client may authenticate again
    /// on its connection (KIP-368: SaslHandshake v1+ with the same mechanism and user), and, like Kafka, a
    /// broker closes a connection whose session has expired when a request other than SaslHandshake or
    /// SaslAuthenticate arrives on it (counted in ``DevCluster/expiredSessionsClosed``).
    public var connectionsMaxReauth: Duration? = nil
    /// How SASL/OAUTHBEARER tokens are checked when ``saslMechanisms`` has `OAUTHBEARER`: by default like Kafka's
    /// unsecured validator; the token's principal is the authenticated user.
    public var oauthBearerValidator: DevOAuthBearerValidator = .unsecured()
    /// Version ranges the brokers advertise in ApiVersions in place of their own, to act as another
    /// Kafka release: lower maxima for an older broker (ApiVersions at most v2 is a broker before Kafka
    /// 2.4, which answers a v3 request with UNSUPPORTED_VERSION in the v0 layout), higher minima for a
    /// newer one that dropped old versions (KIP-896). A request at a version outside its API's
    /// advertised range closes the connection, as Kafka does. APIs the cluster does not implement are
    /// ignored.
    public var apiVersions: [KafkaAPIKey: ClosedRange<Int16>] = [:]
    /// How many of the newest requests ``DevCluster/receivedRequests`` keeps (zero keeps none).
    public var requestLogLimit = 10_000
    /// When set, the brokers run an ACL authorizer (Kafka's `authorizer.class.name`): CreateAcls, DescribeAcls
    /// and DeleteAcls store and list ACLs, and every request is checked against them, as Kafka does (see
    /// ``Authorizer``). When nil, the ACL APIs answer SECURITY_DISABLED and everything is allowed.
    public var authorizer: Authorizer? = nil

    /// The settings of the ACL authorizer.
    ///
    /// A request's principal is `User:<name>` of its connection's SASL session, `User:ANONYMOUS` without SASL; its
    /// host is the client's address. The rules are Kafka's: super users may do everything; a DENY ACL wins over
    /// an ALLOW; an ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE and one of ALTER_CONFIGS implies
    /// DESCRIBE_CONFIGS; ACLs apply by literal name, the literal wildcard `*`, or a prefix of the name.
    /// Produce needs WRITE on the topic (and WRITE on the transactional id for transactional writes), Fetch READ,
    /// Metadata and ListOffsets DESCRIBE (topics the principal may not describe are left out of a request for
    /// every topic, and answer TOPIC_AUTHORIZATION_FAILED when named), the group APIs READ on the group
    /// (DESCRIBE to find its coordinator, describe it or fetch its offsets; DELETE to delete it), CreateTopics
    /// CREATE on the cluster or the topic, DeleteTopics and DeleteRecords DELETE, CreatePartitions ALTER,
    /// DescribeConfigs DESCRIBE_CONFIGS and the alter APIs ALTER_CONFIGS (on the topic, or on the cluster for
    /// brokers), InitProducerId WRITE on the
    /// transactional id or, without one, IDEMPOTENT_WRITE on the cluster or WRITE on some topic, the transaction
    /// APIs WRITE on the transactional id, CreateAcls and DeleteAcls ALTER on the cluster and DescribeAcls
    /// DESCRIBE on it.
    public struct Authorizer: Sendable, Hashable {
        /// Principals allowed everything (Kafka's `super.users`), as `User:admin`.
        public var superUsers: Set<String>
        /// Kafka's `allow.everyone.if.no.acl.found`: a resource that no ACL applies to is open to every principal.
        public var allowEveryoneIfNoACLFound: Bool

        /// Creates the settings; by default no super user and a resource without ACLs is closed, as in Kafka.
        public init(superUsers: Set<String> = [], allowEveryoneIfNoACLFound: Bool = false) {
            self.superUsers = superUsers
            self.allowEveryoneIfNoACLFound = allowEveryoneIfNoACLFound
        }
    }

    /// The defaults: one broker on a free port, in memory, plaintext.
    public init() {}
}

extension DevClusterConfiguration {
    /// A TLS server context from PEM files: the certificate chain (leaf first) and its private key,
    /// TLS 1.2 or later.
    ///
    /// With `clientCertificateAuthorityFile` (PEM, one or more CA certificates) the listener requires
    /// a client certificate issued by one of them, like Kafka's `ssl.client.auth=required` with that
    /// truststore: a client without one, or with one from another CA, fails the handshake. Without it
    /// no client certificate is asked for (`ssl.client.auth=none`).
    public static func tlsContext(
        certificateChainFile: String, privateKeyFile: String, clientCertificateAuthorityFile: String? = nil
    ) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateChainFile)
        let key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCertificateAuthorityFile {
            // The client's certificate names no host to check: the chain is verified, not the name.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .file(clientCertificateAuthorityFile)
        } else {
            configuration.certificateVerification = .none
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
