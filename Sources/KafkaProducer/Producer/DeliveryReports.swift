import Atomics

/// The outcome of one record sent with ``KafkaProducer/sendReporting(_:)``, read from
/// ``KafkaProducer/deliveryReports``.
public struct DeliveryReport: Sendable {
    /// Identifies a record sent with ``KafkaProducer/sendReporting(_:)``: the value that call returned.
    public struct ID: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// The number: ids count up from 0 in the order the producer handed the records over.
        public let rawValue: UInt64

        /// Creates an id from its number.
        public init(rawValue: UInt64) {
            self.rawValue = rawValue
        }

        public static func < (lhs: ID, rhs: ID) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String { "\(rawValue)" }
    }

    /// The id ``KafkaProducer/sendReporting(_:)`` returned for the record.
    public let id: ID
    /// The record's topic.
    public let topic: String
    /// Where the record was written, or why it failed.
    public let result: Result<RecordMetadata, KafkaProducerError>
}

/// The producer's delivery reports as an asynchronous sequence: one ``DeliveryReport`` per record sent with
/// ``KafkaProducer/sendReporting(_:)``, in the order the outcomes became known (per partition, the order the
/// records were sent in). The sequence ends once the producer is closed and every report was read.
///
/// Reports are kept until read, without a bound: a producer whose reports are requested must have them read. Read
/// them from one task; the sequence is not meant to be iterated by several tasks at once.
///
/// ```swift
/// let producer = try KafkaProducer(configuration: configuration)
/// let id = try await producer.sendReporting(ProducerRecord(topic: "orders", key: "42", value: "…"))
/// for await report in producer.deliveryReports {
///     if report.id == id, case .failure(let error) = report.result { print(error) }
/// }
/// ```
public struct DeliveryReports: AsyncSequence, Sendable {
    public typealias Element = DeliveryReport
    public typealias Failure = Never

    let stream: AsyncStream<DeliveryReport>

    /// Iterates the reports.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<DeliveryReport>.AsyncIterator

        /// The next report; `nil` once the producer is closed and every report was read.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> DeliveryReport? {
            await base.next(isolation: actor)
        }

        /// The next report; `nil` once the producer is closed and every report was read.
        public mutating func next() async -> DeliveryReport? {
            await base.next()
        }
    }

    /// Creates the iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator())
    }
}

/// Where the producer's delivery reports go: numbers the reported records and queues their outcomes for
/// ``DeliveryReports``.
final class DeliveryReportChannel: Sendable {
    let reports: DeliveryReports
    private let continuation: AsyncStream<DeliveryReport>.Continuation
    private let nextID = ManagedAtomic<UInt64>(0)

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: DeliveryReport.self, bufferingPolicy: .unbounded)
        self.reports = DeliveryReports(stream: stream)
        self.continuation = continuation
    }

    /// The next id, in the order of the calls.
    func makeID() -> DeliveryReport.ID {
        DeliveryReport.ID(rawValue: nextID.loadThenWrappingIncrement(ordering: .relaxed))
    }

    /// The completion handler that reports record `id` of `topic`.
    func handler(id: DeliveryReport.ID, topic: String) -> @Sendable (Result<RecordMetadata, KafkaProducerError>) -> Void
    {
        { [continuation] result in continuation.yield(DeliveryReport(id: id, topic: topic, result: result)) }
    }

    /// Ends the sequence once its reports were read: no record is reported after the producer closed.
    func finish() {
        continuation.finish()
    }
}

extension KafkaProducer {
    /// The delivery reports of the records sent with ``sendReporting(_:)``; see ``DeliveryReports``.
    public var deliveryReports: DeliveryReports { reportChannel.reports }

    /// Hands a record over like ``send(_:completion:)``, with its outcome reported on ``deliveryReports`` rather than
    /// to a closure.
    ///
    /// - Returns: the id the record's ``DeliveryReport`` carries.
    /// - Throws: ``KafkaProducerError`` when the record could not be handed over; it is then not reported.
    @discardableResult
    nonisolated(nonsending) public func sendReporting(_ record: ProducerRecord) async throws(KafkaProducerError)
        -> DeliveryReport.ID
    {
        let id = reportChannel.makeID()
        try await send(record, completion: reportChannel.handler(id: id, topic: record.topic))
        return id
    }
}
