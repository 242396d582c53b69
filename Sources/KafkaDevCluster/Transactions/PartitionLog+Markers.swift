import KafkaProtocol
import NIOCore

extension PartitionLog {
    /// Appends a transaction marker of `producerID` at `epoch`: a control batch (attributes
    /// transactional + control) holding one record whose key is version 0 and the control type
    /// (0 abort, 1 commit) and whose value is version 0 and the coordinator epoch. It takes the next
    /// offset like any batch, closes the producer's open transaction on this partition (entering it
    /// in the aborted index on abort) and moves the producer's epoch on the partition to `epoch`, its coordinator
    /// epoch to `coordinatorEpoch` and its last timestamp to `timestamp`.
    ///
    /// - Returns: the marker's offset, nil when the batch could not be built (never expected).
    @discardableResult
    mutating func appendMarker(
        producerID: Int64, epoch: Int16, commit: Bool, coordinatorEpoch: Int32 = 0, leaderEpoch: Int32,
        timestamp: Int64
    ) -> Int64? {
        var builder = RecordBatchBuilder(
            producerId: producerID, producerEpoch: epoch, baseSequence: -1, isTransactional: true,
            isControlBatch: true)
        let marker = EndTransactionMarker(type: commit ? .commit : .abort, coordinatorEpoch: coordinatorEpoch)
        guard (try? builder.append(marker, timestamp: timestamp)) != nil, let bytes = try? builder.finish() else {
            return nil
        }
        let offset = append(batch: bytes, lastOffsetDelta: 0, leaderEpoch: leaderEpoch, maxTimestamp: timestamp)
        transactions.close(producerID: producerID, commit: commit, markerOffset: offset)
        producerStates.recordMarker(
            producerID: producerID, epoch: epoch, coordinatorEpoch: coordinatorEpoch, timestamp: timestamp)
        return offset
    }
}
