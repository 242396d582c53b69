import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard input, line by line (`\n` or `\r\n` terminated; a last line without terminator counts),
/// read on a thread of its own so that a terminal waiting for input never holds up the producer, with
/// at most a few thousand lines read ahead.
final class StandardInputLines: Sendable {
    let lines: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation

    init() {
        let (lines, continuation) = AsyncStream.makeStream(
            of: [UInt8].self, bufferingPolicy: .unbounded)
        self.lines = lines
        self.continuation = continuation
        // Created at 0 and raised to 4096: libdispatch traps when a semaphore is freed below its initial value,
        // which lines read ahead but never taken (input stopped early) would otherwise cause.
        let slots = DispatchSemaphore(value: 0)
        for _ in 0..<4096 { slots.signal() }
        self.slots = slots
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            func emit(_ line: [UInt8]) {
                var line = line
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                slots.wait()
                continuation.yield(line)
            }
            reading: while true {
                let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    break reading
                }
                if count == 0 { break reading }
                var start = 0
                while let newline = buffer[start..<count].firstIndex(of: UInt8(ascii: "\n")) {
                    pending.append(contentsOf: buffer[start..<newline])
                    emit(pending)
                    pending.removeAll(keepingCapacity: true)
                    start = newline + 1
                }
                pending.append(contentsOf: buffer[start..<count])
            }
            if !pending.isEmpty { emit(pending) }
            continuation.finish()
        }
        thread.start()
    }

    private let slots: DispatchSemaphore

    /// Lets the reader thread read one more line ahead: call once per line taken from ``lines``.
    func taken() { slots.signal() }

    /// Ends the stream: lines not yet taken are dropped.
    func stop() { continuation.finish() }
}
