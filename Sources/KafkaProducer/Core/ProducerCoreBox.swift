import Atomics
import NIOConcurrencyHelpers

/// The producer's one lock, around its ``ProducerCore``, and the flag the send path reads without it.
///
/// Lock order: the accumulator's lock may be held while this one is taken (a transaction's ``ProducerCore/admit(_:)``
/// runs inside the append), never the reverse — no code calls the accumulator while holding this lock.
final class ProducerCoreBox: Sendable {
    private let core: NIOLockedValueBox<ProducerCore>
    /// Set once the core refuses sends (failed, closing or closed), after every change: the send path checks it
    /// without the lock and takes the lock only to learn why.
    let refusesSends = ManagedAtomic(false)

    init(_ core: ProducerCore) {
        self.core = NIOLockedValueBox(core)
    }

    /// Runs `body` on the core under the lock.
    func withCore<T>(_ body: (inout ProducerCore) -> T) -> T {
        core.withLockedValue { core in
            defer { publish(core) }
            return body(&core)
        }
    }

    /// Runs `body` on the core under the lock, rethrowing its error.
    func withCore<T>(
        throwing body: (inout ProducerCore) throws(KafkaProducerError) -> T
    ) throws(KafkaProducerError) -> T {
        let result: Result<T, KafkaProducerError> = core.withLockedValue { core in
            defer { publish(core) }
            do throws(KafkaProducerError) {
                return .success(try body(&core))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func publish(_ core: ProducerCore) {
        if core.lifecycle.refusesSends && !refusesSends.load(ordering: .relaxed) {
            refusesSends.store(true, ordering: .releasing)
        }
    }
}
