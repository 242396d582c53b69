import KafkaProtocol
import NIOCore

/// The SASL progress of one connection. PLACEHOLDER until SASL lands: with no mechanisms configured
/// every connection is authenticated and SASL requests close the connection.
struct DevSASLSession {
    var isAuthenticated: Bool
    var expectsRawToken: Bool { false }

    init(configuration: DevClusterConfiguration) {
        isAuthenticated = configuration.saslMechanisms.isEmpty
    }

    mutating func rawToken(_ frame: ByteBuffer) -> DevConnectionHandler.Action { .close }

    mutating func answer(_ header: RequestHeader, body: ByteBuffer) -> DevConnectionHandler.Action { .close }
}
