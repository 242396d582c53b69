/// A producer id and epoch, as granted by `InitProducerId` and stamped on every record batch of an idempotent producer.
///
/// Sequence numbers are scoped to one identity: a new producer id or a new epoch restarts every partition at
/// sequence 0.
package struct ProducerIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The producer id (`-1` when none has been assigned).
    package var producerID: Int64
    /// The producer epoch (`-1` when none has been assigned).
    package var epoch: Int16

    /// Creates an identity.
    package init(producerID: Int64, epoch: Int16) {
        self.producerID = producerID
        self.epoch = epoch
    }

    /// No identity: producer id `-1`, epoch `-1` (what a non-idempotent batch carries).
    package static let none = ProducerIdentity(producerID: -1, epoch: -1)

    /// Whether this is a real identity granted by a broker (non-negative id and epoch).
    package var isValid: Bool { producerID >= 0 && epoch >= 0 }

    /// `pid=<id>, epoch=<epoch>`.
    package var description: String { "pid=\(producerID), epoch=\(epoch)" }
}

/// A configuration problem that makes idempotence impossible, reported by ``IdempotentProducerState/validate(maxInFlight:)``.
package struct IdempotenceConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A human-readable explanation naming the offending setting.
    package var message: String

    /// Creates an error with a message.
    package init(message: String) { self.message = message }

    /// The message.
    package var description: String { message }
}
