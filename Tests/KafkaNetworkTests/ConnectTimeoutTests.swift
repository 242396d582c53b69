#if canImport(Glibc)
    import Glibc
    import Logging
    import Testing

    @testable import KafkaNetwork

    /// `socket.connection.setup.timeout.ms` bounds the TCP connect: a listener whose accept queue is
    /// full (backlog 0, one connection pending, never accepted) drops further SYNs, so a connect to it
    /// hangs until the timeout.
    @Suite(.timeLimit(.minutes(5))) struct ConnectTimeoutTests {
        /// A loopback listener that never accepts, with its queue filled by one pending connection.
        final class StuckListener {
            let listener: Int32
            let filler: Int32
            let port: Int

            struct SetupFailed: Error {}

            init() throws {
                let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                self.listener = listener
                self.filler = filler
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                address.sin_port = 0
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
                }
                guard bound == 0, listen(listener, 0) == 0 else { throw SetupFailed() }
                _ = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
                }
                port = Int(UInt16(bigEndian: address.sin_port))
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) }
                }
                guard connected == 0 else { throw SetupFailed() }
            }

            deinit {
                close(filler)
                close(listener)
            }
        }

        @Test func tcpConnectGivesUpAfterTheSetupTimeout() async throws {
            let stuck = try StuckListener()
            var configuration = KafkaClientConfiguration(bootstrapServers: [
                BrokerAddress(host: "127.0.0.1", port: stuck.port)
            ])
            configuration.connectionSetupTimeout = .milliseconds(300)
            let settings = try ConnectionSettings(configuration: configuration)
            let error = try await #require(throws: KafkaNetworkError.self) {
                try await BrokerConnection.connect(
                    to: BrokerAddress(host: "127.0.0.1", port: stuck.port), kind: .admin, settings: settings,
                    logger: Logger(label: "tests"))
            }
            #expect(error.kind == .connectTimedOut)
            #expect(error.isRetriable)
            #expect(error.message.contains("socket.connection.setup.timeout.ms"))
        }
    }
#endif
