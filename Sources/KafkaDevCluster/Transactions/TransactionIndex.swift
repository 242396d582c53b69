import KafkaProtocol
import NIOCore

/// One partition's transaction bookkeeping, as Kafka's `ProducerStateManager` (open transactions)
/// and `TransactionIndex` (aborted transactions) keep it.
///
/// - A transactional batch of a producer with no open transaction on the partition opens one at the
///   batch's base offset.
/// - A commit or abort marker closes it; an abort also enters `(producer id, first offset, marker
///   offset)` into the aborted index. As in Kafka, a marker without an open transaction (a partition
///   added to a transaction but never written) closes an empty one starting at the marker itself.
/// - The last stable offset of the log is the smallest first offset of the open transactions
///   (``firstOpenOffset``), capped at the high watermark.
struct TransactionIndex: Sendable, Hashable {
    /// One aborted transaction: its producer, first offset and the offset of its abort marker.
    struct Aborted: Sendable, Hashable {
        var producerID: Int64
        var firstOffset: Int64
        var lastOffset: Int64
    }

    /// The first offset of each producer's open transaction.
    private(set) var open: [Int64: Int64] = [:]
    /// Aborted transactions in marker offset order.
    private(set) var aborted: [Aborted] = []

    /// The first offset of the oldest open transaction, nil when none is open.
    var firstOpenOffset: Int64? { open.values.min() }

    /// Whether `producerID` has an open transaction on the partition.
    func isOpen(_ producerID: Int64) -> Bool { open[producerID] != nil }

    /// A transactional batch of `producerID` was appended at `offset`.
    mutating func open(producerID: Int64, at offset: Int64) {
        if open[producerID] == nil { open[producerID] = offset }
    }

    /// A marker of `producerID` was appended at `offset`; closes its transaction.
    mutating func close(producerID: Int64, commit: Bool, markerOffset: Int64) {
        let first = open.removeValue(forKey: producerID) ?? markerOffset
        if !commit { aborted.append(Aborted(producerID: producerID, firstOffset: first, lastOffset: markerOffset)) }
    }

    /// The aborted transactions a read_committed fetch of `fetchOffset..<upperBound` must report:
    /// those whose marker is at or after the fetch offset and that started before the upper bound
    /// (Kafka's `collectAbortedTransactions`).
    func abortedTransactions(from fetchOffset: Int64, before upperBound: Int64) -> [Aborted] {
        var low = 0
        var high = aborted.count
        while low < high {
            let mid = (low + high) / 2
            if aborted[mid].lastOffset < fetchOffset { low = mid + 1 } else { high = mid }
        }
        guard low < aborted.count else { return [] }
        return aborted[low...].filter { $0.firstOffset < upperBound }
    }

    /// Rebuilds the bookkeeping from a batch read back from a data directory: transactional data
    /// batches open transactions, markers close them.
    mutating func restore(_ batch: ByteBuffer, baseOffset: Int64) {
        let at = batch.readerIndex
        guard let attributes = batch.getInteger(at: at &+ 21, as: Int16.self),
            let producerID = batch.getInteger(at: at &+ 43, as: Int64.self), attributes & 0x10 != 0, producerID >= 0
        else { return }
        guard attributes & 0x20 != 0 else {
            open(producerID: producerID, at: baseOffset)
            return
        }
        guard let decoded = try? RecordBatch(decoding: batch, verifyChecksum: false),
            let record = try? decoded.records().collect().first,
            let control = try? ControlRecord(record: record)
        else { return }
        switch control.type {
        case .commit: close(producerID: producerID, commit: true, markerOffset: baseOffset)
        case .abort: close(producerID: producerID, commit: false, markerOffset: baseOffset)
        default: break
        }
    }
}
