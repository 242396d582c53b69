import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A progress line on standard error for long operations (`resetting offsets: 120/600 partitions`), redrawn in
/// place with `\r`, only when standard error is a terminal: piped or redirected output never contains it.
///
/// Updates are throttled (at most one redraw per `interval`, plus the last one); ``finish()`` erases the line so
/// that whatever is printed next starts on a clean line.
///
/// ```swift
/// let progress = ProgressLine(label: "resetting offsets", unit: "partitions", total: 600)
/// for (index, partition) in partitions.enumerated() { …; progress.update(index + 1) }
/// progress.finish()
/// ```
package final class ProgressLine: @unchecked Sendable {
    // Mutable state is guarded by `lock`.
    private let lock = NIOLock()
    private let label: String
    private let unit: String
    private let total: Int?
    private let enabled: Bool
    private let interval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let write: @Sendable (String) -> Void
    private var lastDraw: ContinuousClock.Instant?
    private var drawnWidth = 0

    /// Whether standard error is a terminal (`isatty(2)`).
    package static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// Creates a progress line.
    ///
    /// - Parameters:
    ///   - label: what is happening, such as `resetting offsets`.
    ///   - unit: what is counted, such as `partitions`.
    ///   - total: the count at completion, when known (`120/600 partitions`); else only the count is shown.
    ///   - isTerminal: whether to draw at all (default: standard error is a terminal).
    ///   - interval: the least time between two redraws.
    ///   - now: the clock (injected by tests).
    ///   - write: where the text goes (default: standard error, unbuffered).
    package init(
        label: String, unit: String, total: Int? = nil, isTerminal: Bool = ProgressLine.standardErrorIsTerminal,
        interval: Duration = .milliseconds(100), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        write: (@Sendable (String) -> Void)? = nil
    ) {
        self.label = label
        self.unit = unit
        self.total = total
        self.enabled = isTerminal
        self.interval = interval
        self.now = now
        self.write = write ?? { KafkaTool.writeStandardError($0) }
    }

    /// The text of the line for `count`: `label: count/total unit` or `label: count unit`.
    package func text(_ count: Int) -> String {
        if let total { return "\(label): \(count)/\(total) \(unit)" }
        return "\(label): \(count) \(unit)"
    }

    /// Redraws the line with `count` done, unless the last redraw is less than `interval` ago (the final count,
    /// `count == total`, is always drawn).
    package func update(_ count: Int) {
        guard enabled else { return }
        lock.withLock {
            let instant = now()
            let final = total.map { count >= $0 } ?? false
            if !final, let lastDraw, instant - lastDraw < interval { return }
            lastDraw = instant
            let line = text(count)
            let padding = String(repeating: " ", count: max(0, drawnWidth - line.count))
            drawnWidth = line.count
            write("\r" + line + padding)
        }
    }

    /// Erases the line (when one was drawn); later updates draw again.
    package func finish() {
        guard enabled else { return }
        lock.withLock {
            guard drawnWidth > 0 else { return }
            write("\r" + String(repeating: " ", count: drawnWidth) + "\r")
            drawnWidth = 0
            lastDraw = nil
        }
    }
}
