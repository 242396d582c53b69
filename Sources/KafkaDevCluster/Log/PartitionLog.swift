import KafkaProtocol
import NIOCore

/// PLACEHOLDER (helper A replaces): one partition's log.
struct PartitionLog: Sendable {
    var logStartOffset: Int64 = 0
    var highWatermark: Int64 = 0
}
