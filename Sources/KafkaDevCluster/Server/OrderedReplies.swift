import NIOCore

/// What a broker-side connection does in one request's turn.
enum ReplyAction: Sendable {
    /// Send this frame.
    case send(ByteBuffer)
    /// Send this frame, then close the connection (a failed authentication, as Kafka does).
    case sendThenClose(ByteBuffer)
    /// Close the connection.
    case close
    /// Send nothing (no answer, or a lost one); later answers still go out.
    case skip
}

/// Answers of one broker-side connection in strict request order, whatever order they are ready
/// in (parked, delayed, dropped).
///
/// Each request takes a slot when it is read; ``due(_:_:)`` stores the slot's action and returns
/// every action whose turn has come, for ``perform(_:context:)``. Use it on the channel's event
/// loop only.
struct OrderedReplies {
    private var nextSlot = 0
    private var nextToSend = 0
    private var ready: [Int: ReplyAction] = [:]
    /// Once closing, nothing more is read or written.
    private(set) var isClosing = false

    init() {}

    /// The slot of the request just read.
    mutating func takeSlot() -> Int {
        defer { nextSlot += 1 }
        return nextSlot
    }

    /// Stores the action of `slot` and returns the actions now due, in order; a closing action ends
    /// the list and the connection. Perform them with ``perform(_:context:)`` *after* this returns:
    /// writing or closing can call back into the handler (a close delivers `channelInactive` at once).
    mutating func due(_ slot: Int, _ action: ReplyAction) -> [ReplyAction] {
        guard !isClosing else { return [] }
        ready[slot] = action
        var actions: [ReplyAction] = []
        while let next = ready.removeValue(forKey: nextToSend) {
            nextToSend += 1
            switch next {
            case .skip:
                continue
            case .send:
                actions.append(next)
            case .sendThenClose, .close:
                isClosing = true
                actions.append(next)
                return actions
            }
        }
        return actions
    }

    /// Writes, flushes and closes as `actions` say.
    static func perform(_ actions: [ReplyAction], context: ChannelHandlerContext) {
        var wrote = false
        for action in actions {
            switch action {
            case .skip:
                continue
            case .send(let frame):
                context.write(NIOAny(frame), promise: nil)
                wrote = true
            case .sendThenClose(let frame):
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(NIOAny(frame), promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                return
            case .close:
                if wrote { context.flush() }
                context.close(promise: nil)
                return
            }
        }
        if wrote { context.flush() }
    }

    /// Marks the connection as closing (before closing it); later answers are dropped.
    mutating func markClosing() {
        isClosing = true
    }

    /// Records that the connection is gone (channel inactive).
    mutating func connectionClosed() {
        isClosing = true
    }
}
