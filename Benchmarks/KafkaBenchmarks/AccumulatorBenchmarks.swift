import KafkaProducer
import NIOCore

/// The producer's send path without I/O (``SendPathWorkload``: append, drain, encode, complete, recycle), 100-byte
/// values, on one thread: the cost per record of the path itself.
func accumulatorRecordsPerSecond() throws -> Double {
    var workload = SendPathWorkload(value: ByteBuffer(bytes: textLikeBytes(count: 100, seed: 5)))
    let records = 20_000
    return try bestRate(unitsPerCall: Double(records)) { try workload.run(records: records) }
}
