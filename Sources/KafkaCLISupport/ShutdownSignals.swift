package import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// SIGINT and SIGTERM (or the signals given) trapped, their default actions turned off: how the tools stop cleanly
/// on Ctrl-C. The signals arrive through swift-service-lifecycle's `UnixSignalsSequence`.
///
/// Created with a handler, the handler runs on every signal until ``cancel()``; created without one, ``wait()``
/// returns once a signal arrived (also one that arrived before the call).
package final class ShutdownSignals: Sendable {
    private let signals: UnixSignalsSequence
    private let task: Task<Void, Never>?

    /// Traps `signals` and returns once they are trapped; `handler` runs on each one that arrives.
    package init(
        _ signals: [UnixSignal] = [.sigint, .sigterm], handler: @escaping @Sendable () -> Void
    ) async {
        let sequence = await Self.trap(signals)
        self.signals = sequence
        task = Task {
            for await _ in sequence { handler() }
        }
    }

    /// Traps `signals` and returns once they are trapped; ``wait()`` waits for one.
    package init(_ signals: [UnixSignal] = [.sigint, .sigterm]) async {
        self.signals = await Self.trap(signals)
        task = nil
    }

    /// Returns once one of the signals arrived since `init` (only on an instance created without a handler).
    package func wait() async {
        precondition(task == nil, "ShutdownSignals.wait() on an instance with a handler")
        for await _ in signals { return }
    }

    /// Stops running the handler.
    package func cancel() {
        task?.cancel()
    }

    /// The sequence of `signals`, with their default actions turned off.
    private static func trap(_ signals: [UnixSignal]) async -> UnixSignalsSequence {
        for unixSignal in signals { signal(unixSignal.rawValue, SIG_IGN) }
        return await UnixSignalsSequence(trapping: signals)
    }
}
