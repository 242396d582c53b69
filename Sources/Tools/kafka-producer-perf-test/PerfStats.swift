import Atomics
import KafkaCLISupport
import KafkaProducer

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A plain pthread mutex (the tool supports macOS 14, where `Synchronization.Mutex` is unavailable).
final class PerfLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    @inline(__always)
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Latency and throughput statistics, as `ProducerPerformance.Stats` in Apache Kafka.
///
/// Completions run on the producer's sender task while the send loop runs elsewhere: records and bytes are counted
/// in atomics, and a timed completion takes a lock for the latency statistics and the window. Latencies are measured
/// in microseconds (for the percentiles, counted per millisecond: ``LatencyHistogram``) on a sample: every
/// `sampling`-th record (`numRecords / 500000`, at least 1), the records Kafka's tool keeps for its percentiles.
/// With at most 500,000 records every record is timed, as in Kafka; with more, the average and maximum come from that
/// sample too (Kafka times every record): timing a record takes a completion closure of its own, allocated by the
/// send loop and freed by the sender, and for millions of records per second that cost (and the allocator's lock,
/// which the two threads then contend for) was a large part of what the tool measured. The other records share one closure without a context (``untimedCompletion``). Record and
/// byte counts cover every record. Every 5 seconds a window line is printed, checked on timed completions (Kafka
/// checks on every completion).
final class PerfStats: @unchecked Sendable {
    /// Kafka's cap on latency samples.
    static let maximumSamples = 500_000

    private struct State {
        var timed = 0
        var totalLatencyMicros = 0
        var maxLatencyMicros = 0
        /// The sampled latencies, counted per millisecond (Kafka's tool keeps up to 500,000 and sorts them).
        var latencies = LatencyHistogram()
        var windowStart: ContinuousClock.Instant
        /// `count` and `bytes` when the window started.
        var windowStartCount = 0
        var windowStartBytes = 0
        var windowTimed = 0
        var windowTotalLatencyMicros = 0
        var windowMaxLatencyMicros = 0
        var failures = 0
        var firstError: String?
    }

    private struct Window {
        var count: Int
        var bytes: Int
        var timed: Int
        var totalLatencyMicros: Int
        var maxLatencyMicros: Int
        var elapsed: Duration
    }

    let start: ContinuousClock.Instant
    /// Every `sampling`-th record is timed.
    let sampling: Int
    private let reportingInterval: Duration
    private let lock = PerfLock()
    /// Guarded by `lock`, hence no run-time exclusivity checks (each costs a thread-local lookup).
    @exclusivity(unchecked) private var state: State
    /// Every acknowledged record, and their payload bytes: the process's one set of counters (see
    /// ``AcknowledgementCounters/shared``).
    private var count: UnsafeAtomic<Int> { AcknowledgementCounters.shared.count }
    private var bytes: UnsafeAtomic<Int> { AcknowledgementCounters.shared.bytes }

    init(numRecords: Int, reportingInterval: Duration = .seconds(5), now: ContinuousClock.Instant = .now) {
        self.start = now
        self.reportingInterval = reportingInterval
        let records = max(numRecords, 1)
        self.sampling = max(records / min(records, Self.maximumSamples), 1)
        self.state = State(windowStart: now)
    }

    /// Whether the record sent `index`-th is timed (see the type's documentation).
    func isTimed(_ index: Int) -> Bool { index % sampling == 0 }

    /// The completion of the records that are not timed: one closure for all of them, without a context (it captures
    /// nothing), so that handing it to the producer for every record costs no reference counting. A shared closure
    /// that captured these statistics had its context retained by the send loop and released by the sender for every
    /// record, a reference count bouncing between the two threads' cores (about 5 % of the tool's CPU time). A
    /// failure goes to the run's statistics (``CurrentRun``).
    static let untimedCompletion: @Sendable (Result<RecordMetadata, KafkaProducerError>) -> Void = { result in
        switch result {
        case .success(let metadata): AcknowledgementCounters.shared.add(bytes: max(metadata.serializedValueSize, 0))
        case .failure(let error): CurrentRun.shared.withStats { $0.recordFailure(error) }
        }
    }

    /// The completion of a timed record sent `sentAt` nanoseconds after ``start`` (``nanoseconds(since:now:)``). Its
    /// closure captures only that integer (a 24-byte context; capturing the instant and the statistics took 40, and
    /// with the buffer full some 50,000 timed records wait at once), and it reaches the statistics unretained: the
    /// send loop and the sender retaining and releasing them in turn made their reference count a cache miss for both.
    static func timedCompletion(sentAt: Int64) -> @Sendable (Result<RecordMetadata, KafkaProducerError>) -> Void {
        { result in
            CurrentRun.shared.withStats { stats in
                switch result {
                case .success(let metadata):
                    stats.recordSuccess(sentAt: sentAt, bytes: max(metadata.serializedValueSize, 0))
                case .failure(let error): stats.recordFailure(error)
                }
            }
        }
    }

    /// Nanoseconds from `start` to `now`.
    static func nanoseconds(since start: ContinuousClock.Instant, now: ContinuousClock.Instant = .now) -> Int64 {
        let (seconds, attoseconds) = start.duration(to: now).components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }

    /// Makes these the run's statistics, for the completions (before the first record is sent).
    func makeCurrent() {
        CurrentRun.shared.start(self)
    }

    /// Records one acknowledged timed record of `bytes` bytes, sent `sentAt` nanoseconds after ``start``. The clock is
    /// read, and the window checked, on timed records only (at least every `sampling`-th).
    func recordSuccess(sentAt: Int64, bytes recordBytes: Int) {
        let (count, bytes) = AcknowledgementCounters.shared.add(bytes: recordBytes)
        let now = ContinuousClock.now
        let latency = Int(max(Self.nanoseconds(since: start, now: now) &- sentAt, 0) / 1000)
        let window: Window? = lock.withLock {
            state.timed += 1
            state.totalLatencyMicros += latency
            if latency > state.maxLatencyMicros { state.maxLatencyMicros = latency }
            state.windowTimed += 1
            state.windowTotalLatencyMicros += latency
            if latency > state.windowMaxLatencyMicros { state.windowMaxLatencyMicros = latency }
            if state.latencies.count < Self.maximumSamples { state.latencies.record(microseconds: latency) }
            let elapsed = state.windowStart.duration(to: now)
            guard elapsed >= reportingInterval else { return nil }
            let window = Window(
                count: count - state.windowStartCount, bytes: bytes - state.windowStartBytes,
                timed: state.windowTimed, totalLatencyMicros: state.windowTotalLatencyMicros,
                maxLatencyMicros: state.windowMaxLatencyMicros, elapsed: elapsed)
            state.windowStart = now
            state.windowStartCount = count
            state.windowStartBytes = bytes
            state.windowTimed = 0
            state.windowTotalLatencyMicros = 0
            state.windowMaxLatencyMicros = 0
            return window
        }
        if let window { Self.printWindow(window) }
    }

    /// Records a record the producer failed to deliver.
    func recordFailure(_ error: some Error) {
        lock.withLock {
            state.failures += 1
            if state.firstError == nil { state.firstError = "\(error)" }
        }
    }

    /// How many records failed, and the first failure.
    var failures: (count: Int, first: String?) {
        lock.withLock { (state.failures, state.firstError) }
    }

    /// Records acknowledged so far, and their payload bytes.
    var totals: (count: Int, bytes: Int) {
        (count.load(ordering: .relaxed), bytes.load(ordering: .relaxed))
    }

    private static func printWindow(_ window: Window) {
        let seconds = max(PerfFigures.seconds(window.elapsed), 1e-9)
        let line = cFormat(
            "%ld records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.",
            window.count, Double(window.count) / seconds,
            Double(window.bytes) / seconds / (1024.0 * 1024.0),
            window.timed == 0 ? 0.0 : Double(window.totalLatencyMicros) / Double(window.timed) / 1000.0,
            Double(window.maxLatencyMicros) / 1000.0)
        print(line)
        fflush(nil)  // all streams: the window lines should show up at once in a pipe too
    }

    /// The final summary line, in Kafka's format.
    func totalLine(now: ContinuousClock.Instant = .now) -> String {
        let (count, bytes) = totals
        let (timed, total, maximum, percentiles) = lock.withLock {
            (
                state.timed, state.totalLatencyMicros, state.maxLatencyMicros,
                state.latencies.percentiles([0.5, 0.95, 0.99, 0.999])
            )
        }
        let seconds = max(PerfFigures.seconds(start.duration(to: now)), 1e-9)
        return cFormat(
            "%ld records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
                + "%ld ms 50th, %ld ms 95th, %ld ms 99th, %ld ms 99.9th.",
            count, Double(count) / seconds, Double(bytes) / seconds / (1024.0 * 1024.0),
            timed == 0 ? 0.0 : Double(total) / Double(timed) / 1000.0, Double(maximum) / 1000.0,
            percentiles[0], percentiles[1], percentiles[2], percentiles[3])
    }
}

/// ``PerfStats``'s record and byte counters, alone in a 128-byte, 128-byte-aligned allocation.
///
/// The sender thread writes them for every record. As two small heap objects (`ManagedAtomic`s) they shared a cache
/// line with whatever malloc put next to them, for example the payload buffer's storage, whose reference count the
/// send loop changes for every record: each record then cost both threads a cache miss (up to a fifth of the send
/// loop's time, depending on where malloc put things).
///
/// One writer at a time: the producer calls completions on its sender task, one after another, so an increment is a
/// relaxed load and store (no locked read-modify-write, which cost more than the rest of a completion); other threads
/// only read them. One instance per process (a run of the tool measures one producer), reached without a reference:
/// see ``PerfStats/untimedCompletion``.
final class AcknowledgementCounters: @unchecked Sendable {
    static let shared = AcknowledgementCounters()

    private let memory: UnsafeMutableRawPointer
    let count: UnsafeAtomic<Int>
    let bytes: UnsafeAtomic<Int>

    /// Counts one acknowledged record of `recordBytes` bytes; returns the totals.
    @inline(__always) @discardableResult
    func add(bytes recordBytes: Int) -> (count: Int, bytes: Int) {
        let newCount = count.load(ordering: .relaxed) &+ 1
        count.store(newCount, ordering: .relaxed)
        let newBytes = bytes.load(ordering: .relaxed) &+ recordBytes
        bytes.store(newBytes, ordering: .relaxed)
        return (newCount, newBytes)
    }

    init() {
        memory = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        let storage = memory.bindMemory(to: UnsafeAtomic<Int>.Storage.self, capacity: 2)
        storage.initialize(to: UnsafeAtomic<Int>.Storage(0))
        (storage + 1).initialize(to: UnsafeAtomic<Int>.Storage(0))
        count = UnsafeAtomic(at: storage)
        bytes = UnsafeAtomic(at: storage + 1)
    }

    deinit {
        memory.deallocate()
    }
}

/// The statistics of the run in progress, for the completions that reach them without capturing them
/// (``PerfStats/untimedCompletion``, ``PerfStats/timedCompletion(sentAt:)``).
final class CurrentRun: @unchecked Sendable {
    static let shared = CurrentRun()

    /// Set once, before the first record is sent, and only read afterwards: the producer orders a record's
    /// completion after its send, so completions see it. Hence no lock (and no run-time exclusivity checks).
    /// Unretained: the tool's `run()` holds the statistics until the producer is closed, after the last completion.
    @exclusivity(unchecked) private var stats: Unmanaged<PerfStats>?

    func start(_ stats: PerfStats) {
        self.stats = Unmanaged.passUnretained(stats)
    }

    /// Runs `body` with the run's statistics (at +0: no retain and release), if a run started.
    @inline(__always)
    func withStats(_ body: (PerfStats) -> Void) {
        stats?._withUnsafeGuaranteedRef(body)
    }
}
