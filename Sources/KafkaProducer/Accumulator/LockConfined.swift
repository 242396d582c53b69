/// The base of the accumulator's reference types (``ProducerBatch``, ``PartitionQueue``, ``TopicRoute``): their
/// mutable state, `fields`, is one value that only one thread touches at a time, and this file is where that rule is
/// trusted instead of checked. The producer's other files hold no unchecked code.
///
/// The rule: an object is touched only under the ``RecordAccumulator``'s lock while it is reachable from the
/// accumulator's state, and by the one caller that took it out (a drain, an expiry, an abort) afterwards. It is never
/// shared while it is mutated. Hence:
/// - `@unchecked Sendable`: the lock, not the type system, orders the accesses;
/// - in release builds `fields` skips Swift's run-time exclusivity checks (`@exclusivity(unchecked)`), which the lock
///   makes redundant. `KafkaBenchmarks accumulator` measures the send path at 7.6 M records/s with the checks off and
///   5.3 M with them on: several checks per record, each a thread-local lookup.
///
/// Debug builds (the test suites) keep the exclusivity checks, so that an overlapping access traps there
/// (`LockConfinedTests`; the checks found one when this type was introduced), and the ThreadSanitizer run of the
/// producer suites checks the lock discipline.
class LockConfined<Fields>: @unchecked Sendable {
    #if DEBUG
        final var fields: Fields
    #else
        @exclusivity(unchecked) final var fields: Fields
    #endif

    init(fields: Fields) {
        self.fields = fields
    }
}

// The lock-confined types, under the rule above.
extension ProducerBatch: @unchecked Sendable {}
extension PartitionQueue: @unchecked Sendable {}
extension TopicRoute: @unchecked Sendable {}
