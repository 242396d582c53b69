import KafkaNetwork

/// What the in-flight bookkeeping needs of a batch.
protocol InFlightBatch {
    /// Unique among the producer's batches.
    var id: UInt64 { get }
    /// The batch's partition.
    var topicPartition: TopicPartitionKey { get }
}

/// The batches sent and not yet answered: by batch id, the number per partition and the broker they went to, and the
/// number of requests in flight per broker.
struct InFlightBatches<Batch: InFlightBatch & Sendable>: Sendable {
    private(set) var batches: [UInt64: Batch] = [:]
    /// Per partition with batches in flight: the broker they went to and how many there are.
    private(set) var partitions: [TopicPartitionKey: (node: Int32, count: Int)] = [:]
    /// Requests in flight per broker.
    private(set) var requests: [Int32: Int] = [:]

    /// Whether no batch is in flight.
    var isEmpty: Bool { batches.isEmpty }

    /// Whether `node` can take another request under `max.in.flight.requests.per.connection`.
    func acceptsRequest(to node: Int32, maxInFlight: Int) -> Bool {
        requests[node, default: 0] < maxInFlight
    }

    /// A request with `batches` went to `node`.
    mutating func sent(_ sent: [Batch], to node: Int32) {
        requests[node, default: 0] += 1
        for batch in sent {
            batches[batch.id] = batch
            let count = partitions[batch.topicPartition]?.count ?? 0
            partitions[batch.topicPartition] = (node, count + 1)
        }
    }

    /// A request to `node` finished (answered or failed).
    mutating func requestFinished(to node: Int32) {
        requests[node, default: 1] -= 1
    }

    /// Forgets an answered batch; `false` when it was no longer in flight (failed by a forced close).
    mutating func remove(_ batch: Batch) -> Bool {
        guard batches.removeValue(forKey: batch.id) != nil else { return false }
        if let flight = partitions[batch.topicPartition] {
            partitions[batch.topicPartition] = flight.count > 1 ? (flight.node, flight.count - 1) : nil
        }
        return true
    }

    /// Takes every batch in flight, oldest first (a forced close fails them; their answers are then ignored).
    mutating func takeAll() -> [Batch] {
        let all = batches.values.sorted { $0.id < $1.id }
        batches = [:]
        partitions = [:]
        return all
    }

    /// Whether `partition` must wait before another batch of it is drained: with `strictOrder`
    /// (`max.in.flight.requests.per.connection=1`) while one is in flight, and always while its batches in flight
    /// went to another broker than its current leader (new batches must not overtake them after a leader change).
    func holds(_ partition: TopicPartitionKey, leader: Int32?, strictOrder: Bool) -> Bool {
        guard let flight = partitions[partition] else { return false }
        return strictOrder || flight.node != leader
    }
}

extension DrainedBatch: InFlightBatch {}
