import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// One broker's listening socket and its open connections.
final class DevBrokerListener: Sendable {
    let port: Int
    let nodeID: Int32
    private let channel: any Channel
    private let connections: NIOLockedValueBox<(open: [ObjectIdentifier: any Channel], closed: Bool)>

    private init(
        port: Int, nodeID: Int32, channel: any Channel,
        connections: NIOLockedValueBox<(open: [ObjectIdentifier: any Channel], closed: Bool)>
    ) {
        self.port = port
        self.nodeID = nodeID
        self.channel = channel
        self.connections = connections
    }

    var isOpen: Bool { connections.withLockedValue { !$0.closed } }

    static func bind(
        host: String, port: Int, nodeID: Int32, tls: NIOSSLContext?, group: any EventLoopGroup,
        core: @escaping @Sendable () -> DevClusterCore?
    ) async throws -> DevBrokerListener {
        let connections = NIOLockedValueBox<(open: [ObjectIdentifier: any Channel], closed: Bool)>(([:], false))
        let onOpen: @Sendable (any Channel) -> Void = { channel in
            let refuse = connections.withLockedValue { state -> Bool in
                if state.closed { return true }
                state.open[ObjectIdentifier(channel)] = channel
                return false
            }
            if refuse { channel.close(promise: nil) }
        }
        let onClose: @Sendable (any Channel) -> Void = { channel in
            _ = connections.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 * 1024, maximum: 1 << 20)
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let core = core() else { throw ChannelError.ioOnClosedChannel }
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try pipeline.addHandler(ByteToMessageHandler(DevRequestFrameDecoder()))
                    try pipeline.addHandler(
                        DevConnectionHandler(core: core, brokerID: nodeID, onOpen: onOpen, onClose: onClose))
                }
            }
            .bind(host: host, port: port)
            .get()
        guard let bound = server.localAddress?.port else {
            try? await server.close()
            throw DevCluster.DevClusterError(description: "the listening socket has no port")
        }
        return DevBrokerListener(port: bound, nodeID: nodeID, channel: server, connections: connections)
    }

    /// Closes every client connection; keeps listening.
    func dropConnections() async {
        let open = connections.withLockedValue { Array($0.open.values) }
        for channel in open { try? await channel.close() }
    }

    /// Stops listening and closes every connection.
    func close() async {
        let open = connections.withLockedValue { state -> [any Channel] in
            state.closed = true
            defer { state.open = [:] }
            return Array(state.open.values)
        }
        try? await channel.close()
        for channel in open { try? await channel.close() }
    }
}

/// Splits the byte stream into request frames (without the size prefix), refusing frames larger
/// than 100 MiB (Kafka's `socket.request.max.bytes`) or with a negative size.
struct DevRequestFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    static let maximumFrameSize = 104_857_600

    struct InvalidFrameSize: Error {}

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 0, Int(size) <= Self.maximumFrameSize else { throw InvalidFrameSize() }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let frame = buffer.readSlice(length: Int(size)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
