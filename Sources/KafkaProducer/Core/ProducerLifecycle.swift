/// The producer's lifecycle, one state at a time: what `send`, `flush`, `close` and the sender may do.
///
/// ```
/// running ⇄ flushing ─┬─► failed ──┬─► closing ─► closed
///    └────────────────┴────────────┘  (forced)
/// ```
///
/// A fatal error (fenced, not authorized, a producer id that cannot be obtained) moves a running or flushing producer
/// to `failed`: sends are refused with that error and queued batches fail; `close` still ends it. A close moves any
/// state but `closed` to `closing`; a forced close (`close(timeout: .zero)`, or the timeout running out) fails what is
/// queued and in flight at once, and nothing softens it again. The sender loop ends the lifecycle.
enum ProducerLifecycle: Sendable, Equatable {
    /// Sending; batches wait for `linger.ms`.
    case running
    /// Sending, with `waiters` flushes waiting: every batch is sendable at once.
    case flushing(waiters: Int)
    /// Failed fatally: sends are refused with this error and queued batches fail.
    case failed(KafkaProducerError)
    /// Closing: sends are refused; queued batches are still sent (`forced == false`) or failed at once.
    case closing(forced: Bool)
    /// The sender loop has ended; nothing more is sent.
    case closed

    /// Whether `send` is refused.
    var refusesSends: Bool {
        switch self {
        case .running, .flushing: false
        case .failed, .closing, .closed: true
        }
    }

    /// Why `send` is refused, when it is.
    var refusal: KafkaProducerError? {
        switch self {
        case .running, .flushing: nil
        case .failed(let error): error
        case .closing, .closed: KafkaProducerError(.closed, "the producer is closed")
        }
    }

    /// The fatal error, when the producer failed.
    var fatalError: KafkaProducerError? {
        if case .failed(let error) = self { return error }
        return nil
    }

    /// Whether queued batches are failed rather than sent: after a fatal error or a forced close.
    var failsQueuedBatches: Bool {
        switch self {
        case .failed, .closing(forced: true): true
        case .running, .flushing, .closing(forced: false), .closed: false
        }
    }

    /// Whether a close was asked for (and the loop has not ended yet).
    var isClosing: Bool {
        if case .closing = self { return true }
        return false
    }

    /// Whether batches in flight are failed rather than awaited.
    var isForced: Bool { self == .closing(forced: true) }

    /// A flush starts; `true` when it is the first one waiting (the accumulator then makes every batch sendable).
    mutating func beginFlush() -> Bool {
        switch self {
        case .running:
            self = .flushing(waiters: 1)
            return true
        case .flushing(let waiters):
            self = .flushing(waiters: waiters + 1)
            return false
        case .failed, .closing, .closed:
            return false
        }
    }

    /// A flush ended; `true` when it was the last one waiting (batches wait for `linger.ms` again).
    mutating func endFlush() -> Bool {
        guard case .flushing(let waiters) = self else { return false }
        self = waiters > 1 ? .flushing(waiters: waiters - 1) : .running
        return waiters == 1
    }

    /// Fails the producer with `error`; `false` when it had failed already (the first error stays) or is closing.
    mutating func fail(_ error: KafkaProducerError) -> Bool {
        switch self {
        case .running, .flushing:
            self = .failed(error)
            return true
        case .failed, .closing, .closed:
            return false
        }
    }

    /// Asks for a close; a forced close overrides a graceful one, and nothing reopens a closed producer.
    mutating func close(force: Bool) {
        switch self {
        case .running, .flushing, .failed, .closing(forced: false): self = .closing(forced: force)
        case .closing(forced: true), .closed: break
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
