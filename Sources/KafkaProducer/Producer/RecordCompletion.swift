import KafkaProtocol
import NIOConcurrencyHelpers

/// How the caller of a send learns the outcome of one record.
@usableFromInline
enum RecordCompletionTarget: Sendable {
    /// A send that awaits the acknowledgement.
    case promise(RecordPromise)
    /// A send with a completion handler.
    case callback(@Sendable (Result<RecordMetadata, KafkaProducerError>) -> Void)
}

/// The accumulator's completion token for one record: where to report its outcome, and what its metadata needs.
struct RecordCompletion: Sendable {
    let target: RecordCompletionTarget
    /// The record's create time (milliseconds since the epoch).
    let timestamp: Int64
    let keySize: Int32
    let valueSize: Int32

    consuming func complete(_ result: Result<RecordMetadata, KafkaProducerError>) {
        switch target {
        case .promise(let promise): promise.complete(result)
        case .callback(let callback): callback(result)
        }
    }
}

/// A one-shot result holder for ``KafkaProducer/send(_:)``: the sender may complete it before or after the caller
/// starts waiting.
@usableFromInline
final class RecordPromise: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<RecordMetadata, any Error>)
        case done(Result<RecordMetadata, KafkaProducerError>)
    }

    private let state = NIOLockedValueBox(State.pending)

    func complete(_ result: Result<RecordMetadata, KafkaProducerError>) {
        let continuation: CheckedContinuation<RecordMetadata, any Error>? = state.withLockedValue { state in
            switch state {
            case .pending:
                state = .done(result)
                return nil
            case .waiting(let continuation):
                state = .done(result)
                return continuation
            case .done:
                return nil  // completed once already: later outcomes are ignored
            }
        }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    /// Waits for the outcome. Not cancellable: a record handed over is always delivered or failed.
    func wait() async throws -> RecordMetadata {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<RecordMetadata, KafkaProducerError>? = state.withLockedValue { state in
                switch state {
                case .pending:
                    state = .waiting(continuation)
                    return nil
                case .done(let result):
                    return result
                case .waiting:
                    preconditionFailure("RecordPromise.wait() called twice")
                }
            }
            if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
        }
    }
}
