/// The sender's lifecycle: one state at a time, changed only by the sender (in its isolation).
///
/// A fatal error is not a state here: it lives in the producer's status, which the send path reads too, and the
/// sender fails what is queued once it is set, whatever the state.
enum SenderLifecycle: Sendable, Equatable {
    /// Sending.
    case running
    /// `close()`: queued batches are still sent; the loop ends once nothing is queued or in flight.
    case closing
    /// `close(timeout:)` ran out, or the producer was dropped: queued and in-flight batches fail at once.
    case closingForced
    /// The loop has ended; nothing more is sent.
    case closed

    /// Whether a close was asked for (and the loop has not ended yet).
    var isClosing: Bool { self == .closing || self == .closingForced }

    /// Whether batches are failed rather than sent.
    var isForced: Bool { self == .closingForced }

    /// Asks for a close; a forced close overrides a graceful one, and nothing reopens a closed sender.
    mutating func close(force: Bool) {
        switch self {
        case .running, .closing: self = force ? .closingForced : .closing
        case .closingForced, .closed: break
        }
    }

    /// Whether the loop may end now: a close was asked for, no request is in flight, and nothing is queued (or the
    /// close is forced, and what is queued was failed).
    func mayFinish(requestsInFlight: Bool, batchesIncomplete: Bool) -> Bool {
        isClosing && !requestsInFlight && (isForced || !batchesIncomplete)
    }

    /// The loop ended.
    mutating func finish() {
        self = .closed
    }
}
