import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `handler` on every SIGINT or SIGTERM (their default actions are turned off) until cancelled: how
/// the tools stop cleanly on Ctrl-C.
public final class ShutdownSignals: @unchecked Sendable {
    // Written only in `init`; `cancel` reads it.
    private let queue = DispatchQueue(label: "kafka-tool.signals")
    private var sources: [any DispatchSourceSignal] = []

    /// Installs the handler.
    public init(handler: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler(handler: handler)
            source.resume()
            sources.append(source)
        }
    }

    /// Stops handling the signals.
    public func cancel() {
        for source in sources { source.cancel() }
    }
}
