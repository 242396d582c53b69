import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A program run by a test: its standard output and error are read to the end by threads of their own (blocking
/// reads, no dispatch source), its input stays open until ``closeInput()``, and waiting for it never blocks
/// Swift's cooperative pool.
///
/// Test support only.
public final class ChildProcess: Sendable {
    /// How a finished program ended.
    public struct Outcome: Sendable {
        /// The exit status (or the signal's number when it was killed by one).
        public var status: Int32
        /// Everything it wrote to standard output, as bytes.
        public var stdoutBytes: [UInt8]
        /// Everything it wrote to standard output.
        public var stdout: String
        /// Everything it wrote to standard error.
        public var stderr: String
        /// The signal that ended it, `nil` when it exited.
        public var signal: Int32?

        public init(status: Int32, stdout: String, stderr: String, signal: Int32? = nil, stdoutBytes: [UInt8]? = nil) {
            self.status = status
            self.stdoutBytes = stdoutBytes ?? Array(stdout.utf8)
            self.stdout = stdout
            self.stderr = stderr
            self.signal = signal
        }
    }

    /// A program that did not finish in time (it was killed).
    public struct TimedOut: Error, CustomStringConvertible {
        /// The command line.
        public var command: String
        /// How long it was given.
        public var timeout: Duration
        /// What it printed before it was killed.
        public var stdout: String
        /// What it printed on standard error before it was killed.
        public var stderr: String

        public var description: String {
            "\(command) did not finish within \(timeout); stderr: \(stderr.suffix(2000))"
        }
    }

    private let processID: pid_t
    private let input: FileHandle
    private let stdoutReader: StreamReader
    private let stderrReader: StreamReader
    private let exitStatus = LockedState<(status: Int32, signal: Int32?)?>(nil)
    /// The command line, for messages.
    public let command: String

    /// Starts the program at `path`.
    ///
    /// The program is started with `posix_spawn` and reaped with `waitpid` here: Foundation's `Process` missed the
    /// exit of a script whose children outlive it (the broker script), leaving a zombie it reported as running.
    ///
    /// - Parameter environment: added to (and overriding) this process's environment.
    public init(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        func makePipe() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            // Not inherited by other programs started meanwhile (dup2 onto 0, 1 and 2 clears the flag there).
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
        let stdinPipe = try makePipe()
        let stdoutPipe = try makePipe()
        let stderrPipe = try makePipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe.write, 2)
        // Nothing else is inherited: a socket of this process held open by a child (a broker that runs for minutes)
        // would keep the peer from ever seeing it closed.
        Self.closeInheritedDescriptors(&actions)
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        // The threads of a test process block most signals, and a child inherits the mask of the thread that spawns
        // it: without this, the program would never see a SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        close(stdinPipe.read)
        close(stdoutPipe.write)
        close(stderrPipe.write)
        guard result == 0 else {
            close(stdinPipe.write)
            close(stdoutPipe.read)
            close(stderrPipe.read)
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .ENOEXEC)
        }
        self.processID = pid
        self.input = FileHandle(fileDescriptor: stdinPipe.write, closeOnDealloc: true)
        self.stdoutReader = StreamReader(FileHandle(fileDescriptor: stdoutPipe.read, closeOnDealloc: true))
        self.stderrReader = StreamReader(FileHandle(fileDescriptor: stderrPipe.read, closeOnDealloc: true))
        self.command = ([URL(fileURLWithPath: path).lastPathComponent] + arguments).joined(separator: " ")
    }

    /// Adds "close every descriptor from 3 on" to `actions`: glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34
    /// and later; looked up at run time, as Swift does not import it), otherwise a close for each descriptor open now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }

    /// Reaps the program if it has exited; returns its status (and the signal that ended it) then.
    private func reap() -> (status: Int32, signal: Int32?)? {
        exitStatus.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            let waited = waitpid(processID, &raw, WNOHANG)
            guard waited == processID else { return nil }
            // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (the C macros are not imported).
            let signal = raw & 0x7f
            status = signal == 0 ? ((raw >> 8) & 0xff, nil) : (signal, signal)
            return status
        }
    }

    /// The process id.
    public var pid: Int32 { processID }

    /// Whether the program still runs.
    public var isRunning: Bool { reap() == nil }

    /// How the program ended (its status, and the signal that ended it), `nil` while it runs.
    public var exit: (status: Int32, signal: Int32?)? { reap() }

    /// Standard output read so far.
    public var stdout: String { String(decoding: stdoutReader.snapshot, as: UTF8.self) }

    /// Standard error read so far.
    public var stderr: String { String(decoding: stderrReader.snapshot, as: UTF8.self) }

    /// The complete lines of standard output read so far.
    public var stdoutLines: [Substring] {
        let text = stdout
        guard let lastNewline = text.lastIndex(of: "\n") else { return [] }
        return text[..<lastNewline].split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// Writes `text` to the program's standard input.
    public func write(_ text: String) throws {
        try write(Data(text.utf8))
    }

    /// Writes `data` to the program's standard input.
    func write(_ data: Data) throws {
        // write(2), retried on EINTR and continued after a short write.
        let descriptor = input.fileDescriptor
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw CocoaError(.fileWriteUnknown) }
            offset += written
        }
    }

    /// Closes the program's standard input (end of file).
    public func closeInput() {
        try? input.close()
    }

    /// Sends `signal` to the program.
    public func signal(_ signal: Int32) {
        if isRunning { kill(processID, signal) }
    }

    /// Waits for the program to exit; kills it and throws ``TimedOut`` after `timeout`.
    @discardableResult
    public func wait(timeout: Duration) async throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        while isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let ended = reap() else {
            kill(processID, SIGKILL)
            while isRunning { try await Task.sleep(for: .milliseconds(20)) }
            throw TimedOut(command: command, timeout: timeout, stdout: stdout, stderr: stderr)
        }
        // A child the program left running may still hold its output open: read what came within a grace period.
        let stdoutData = await stdoutReader.data(within: .seconds(5))
        let stderrData = await stderrReader.data(within: .seconds(5))
        return Outcome(
            status: ended.status, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self), signal: ended.signal, stdoutBytes: [UInt8](stdoutData))
    }

    /// Ends the program: SIGTERM, then SIGKILL if it has not exited after `grace`.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async throws -> Outcome {
        closeInput()
        signal(SIGTERM)
        return try await wait(timeout: grace)
    }

    /// Waits until `condition` holds for the output read so far; throws ``TimedOut`` (leaving the program running)
    /// after `timeout`.
    public func waitForOutput(
        timeout: Duration, _ what: String = "the expected output", until condition: (String) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(stdout) {
            guard ContinuousClock.now < deadline else {
                throw TimedOut(
                    command: "\(command) (waiting for \(what))", timeout: timeout, stdout: stdout, stderr: stderr)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Runs the program at `path` to its end with `stdin` as its input.
    public static func run(
        _ path: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
        timeout: Duration
    ) async throws -> Outcome {
        let child = try ChildProcess(path, arguments, environment: environment)
        if let stdin { try child.write(stdin) }
        child.closeInput()
        return try await child.wait(timeout: timeout)
    }
}

/// Reads a pipe to its end on a thread of its own.
private final class StreamReader: Sendable {
    private struct State {
        var data = Data()
        var done = false
    }

    private let state = LockedState(State())

    init(_ handle: FileHandle) {
        let state = state
        // read(2) on the descriptor, retried on EINTR: Foundation's `availableData` traps on an interrupted read
        // (a signal delivered to the test process while a child runs).
        let thread = Thread {
            let descriptor = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                state.withLock { $0.data.append(contentsOf: buffer[0..<count]) }
            }
            withExtendedLifetime(handle) {}
            state.withLock { $0.done = true }
        }
        thread.name = "child-process-reader"
        thread.start()
    }

    var snapshot: Data { state.withLock { $0.data } }

    /// Everything read once the writers closed the pipe, or what was read after `grace`.
    func data(within grace: Duration) async -> Data {
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let data = state.withLock({ $0.done ? $0.data : nil }) { return data }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return snapshot
    }
}

/// A value behind a lock.
private final class LockedState<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
