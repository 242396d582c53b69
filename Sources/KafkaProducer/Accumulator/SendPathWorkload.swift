package import NIOCore

/// The producer's send path without I/O, for the micro-benchmarks (`KafkaBenchmarks accumulator`): records appended
/// through the routed append with the producer's own completion token (the sticky partitioner over 6 partitions,
/// `value` bytes, no key), drained as the sender drains them (closed and encoded, uncompressed), then deallocated,
/// completed and recycled as after an acknowledgement. It lives in this module so that it runs the code the producer
/// runs, specialized for its token type.
package struct SendPathWorkload {
    private let accumulator: RecordAccumulator<RecordCompletion>
    private let value: ByteBuffer
    private var random = SystemRandomNumberGenerator()
    private let callback: @Sendable (Result<RecordMetadata, KafkaProducerError>) -> Void = { _ in }

    /// Creates the workload with the accumulator's default configuration and `linger.ms` 0.
    package init(value: ByteBuffer) {
        var configuration = RecordAccumulator<RecordCompletion>.Configuration()
        configuration.linger = .zero
        let pool = BufferPool(totalMemory: configuration.bufferMemory, poolableSize: configuration.batchSize)
        accumulator = RecordAccumulator(configuration: configuration, pool: pool)
        accumulator.cacheRoute(
            topic: "bench",
            info: PartitionerTopicInfo(topic: "bench", partitionCount: 6, availablePartitions: Array(0..<6)),
            generation: 1)
        self.value = value
    }

    /// Appends `records` records, draining every 2,000 and at the end.
    package mutating func run(records: Int) throws {
        let now = ContinuousClock.now
        let timestamp: Int64 = 1_700_000_000_000
        let size = Int32(value.readableBytes)
        for index in 0..<records {
            let completion = RecordCompletion(
                target: .callback(callback), timestamp: timestamp, keySize: -1, valueSize: size)
            let routed = try accumulator.appendRouted(
                topic: "bench", generation: 1, rule: .sticky(bytes: value.readableBytes), key: nil, value: value,
                timestamp: timestamp, headers: [], completion: completion, random: &random, now: now)
            guard case .appended = routed else { preconditionFailure("the pool ran out: \(routed)") }
            if index % 2_000 == 1_999 { drainAll(now: now) }
        }
        drainAll(now: now)
    }

    private func drainAll(now: ContinuousClock.Instant) {
        while true {
            let drained = accumulator.drain(
                nodes: [0], leaderOf: { _ in 0 }, maxRequestSize: 1_048_576, now: now + .seconds(1))
            guard let batches = drained[0], !batches.isEmpty else { return }
            accumulator.deallocate(batches)
            for batch in batches {
                for (index, completion) in batch.completions.enumerated() {
                    completion.complete(
                        .success(
                            RecordMetadata(
                                topic: "bench", partition: batch.topicPartition.partition, offset: Int64(index),
                                timestamp: completion.timestamp, serializedKeySize: Int(completion.keySize),
                                serializedValueSize: Int(completion.valueSize))))
                }
            }
            accumulator.recycle(consume batches)
        }
    }
}
