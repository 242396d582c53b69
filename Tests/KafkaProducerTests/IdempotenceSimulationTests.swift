import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import Testing

/// SplitMix64: a small, seeded, deterministic generator so failures reproduce.
struct IdempotenceSplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// A producer batch as the simulated sender sees it.
private struct SimBatch {
    var order: Int
    var records: [Int]
    var sequence: IdempotentProducerState.BatchSequence?
}

private struct BrokerKey: Hashable {
    var identity: ProducerIdentity
    var partition: TopicPartitionKey
}

/// A broker that appends a batch only when its sequence is the next expected one for (identity, partition), and —
/// as Kafka's `ProducerStateManager` — recognises a duplicate only among the last five batches it appended.
private struct SimBroker {
    enum Outcome { case written(lastOffset: Int64), duplicate, outOfOrder }
    struct Appended: Equatable {
        var baseSequence: Int32
        var recordCount: Int
    }
    static let retainedBatches = 5
    var expected: [BrokerKey: Int32] = [:]
    var recent: [BrokerKey: [Appended]] = [:]
    var logs: [TopicPartitionKey: [Int]] = [:]

    mutating func process(_ partition: TopicPartitionKey, _ batch: SimBatch) -> Outcome {
        guard let sequence = batch.sequence else { return .outOfOrder }
        let key = BrokerKey(identity: sequence.identity, partition: partition)
        let next = expected[key] ?? 0
        let appended = Appended(baseSequence: sequence.baseSequence, recordCount: sequence.recordCount)
        if recent[key, default: []].contains(appended) { return .duplicate }
        guard sequence.baseSequence == next else { return .outOfOrder }
        logs[partition, default: []].append(contentsOf: batch.records)
        expected[key] = next + Int32(sequence.recordCount)
        recent[key, default: []].append(appended)
        if recent[key, default: []].count > Self.retainedBatches { recent[key]?.removeFirst() }
        return .written(lastOffset: Int64(logs[partition, default: []].count - 1))
    }
}

extension IdempotenceStateMachineTests {
    @Test(arguments: [1, 2, 3, 42, 2026, 0xDEAD_BEEF] as [UInt64])
    func randomizedSimulationAcknowledgesContiguousSequences(seed: UInt64) {
        var random = IdempotenceSplitMix64(state: seed)
        let partitions = [idemP0, idemP1, idemP2]
        var state = readyState()
        var broker = SimBroker()
        var pending: [TopicPartitionKey: [SimBatch]] = [:]
        var retries: [TopicPartitionKey: [SimBatch]] = [:]
        var network: [TopicPartitionKey: [SimBatch]] = [:]
        var produced: [TopicPartitionKey: [Int]] = [:]
        var acked: [BrokerKey: [IdempotentProducerState.BatchSequence]] = [:]
        var nextRecord = 0
        var nextOrder = 0
        var failures: [String] = []
        var seen: [String: Int] = [:]

        func requeue(_ partition: TopicPartitionKey, _ batch: SimBatch) {
            var queue = retries[partition, default: []]
            queue.insert(batch, at: queue.firstIndex { $0.order > batch.order } ?? queue.endIndex)
            retries[partition] = queue
        }

        func send(_ partition: TopicPartitionKey) {
            if var batch = retries[partition]?.first, let old = batch.sequence {
                guard state.canResend(partition, old) else { return }
                batch.sequence = state.resequenceIfNeeded(partition, old)
                retries[partition]?.removeFirst()
                network[partition, default: []].append(batch)
            } else if var batch = pending[partition]?.first, state.canSend(partition) {
                batch.sequence = state.assignSequence(partition, recordCount: batch.records.count)
                pending[partition]?.removeFirst()
                network[partition, default: []].append(batch)
            }
        }

        func deliver(_ partition: TopicPartitionKey, faults: Bool) {
            guard let batch = network[partition]?.first, let sequence = batch.sequence else { return }
            network[partition]?.removeFirst()
            let roll = faults ? random.below(100) : 99
            let decision: IdempotentProducerState.FailureDecision?
            if roll < 12 {
                decision = state.batchFailed(partition, sequence, error: .notLeaderOrFollower, logStartOffset: nil)
            } else {
                let outcome = broker.process(partition, batch)
                if roll < 20 {
                    // Written (or not) but the response was lost.
                    decision = state.batchFailed(partition, sequence, error: .requestTimedOut, logStartOffset: nil)
                } else {
                    switch outcome {
                    case .written(let lastOffset):
                        state.batchSucceeded(partition, sequence, lastOffset: lastOffset)
                        acked[BrokerKey(identity: sequence.identity, partition: partition), default: []].append(
                            sequence)
                        decision = nil
                    case .duplicate:
                        decision = state.batchFailed(
                            partition, sequence, error: .duplicateSequenceNumber, logStartOffset: 0)
                    case .outOfOrder:
                        seen["outOfOrderResponse", default: 0] += 1
                        decision = state.batchFailed(
                            partition, sequence, error: .outOfOrderSequenceNumber, logStartOffset: 0)
                    }
                }
            }
            if let decision { seen["\(decision)", default: 0] += 1 }
            switch decision {
            case nil:
                break
            case .treatAsSuccess:
                acked[BrokerKey(identity: sequence.identity, partition: partition), default: []].append(sequence)
            case .retry, .retryAfterEpochBump:
                requeue(partition, batch)
            case .fail(let reason), .fatal(let reason):
                failures.append("\(partition) seq \(sequence.baseSequence): \(reason)")
            }
        }

        for _ in 0..<4000 where failures.isEmpty {
            let partition = partitions[random.below(partitions.count)]
            switch random.below(3) {
            case 0 where nextRecord < 1500:
                let count = 1 + random.below(3)
                let records = Array(nextRecord..<(nextRecord + count))
                nextRecord += count
                produced[partition, default: []].append(contentsOf: records)
                pending[partition, default: []].append(SimBatch(order: nextOrder, records: records))
                nextOrder += 1
            case 1:
                send(partition)
            default:
                deliver(partition, faults: true)
            }
        }
        // Drain everything without faults.
        var rounds = 0
        while failures.isEmpty && rounds < 10_000
            && partitions.contains(where: {
                !(pending[$0] ?? []).isEmpty || !(retries[$0] ?? []).isEmpty || !(network[$0] ?? []).isEmpty
            })
        {
            rounds += 1
            for partition in partitions {
                send(partition)
                deliver(partition, faults: false)
            }
        }

        #expect(failures.isEmpty, "\(failures)")
        #expect(rounds < 10_000, "the simulation must drain")
        #expect(!state.hasInFlightBatches)
        #expect(nextRecord >= 1500)
        // The run must have exercised the interesting paths, not only successes.
        #expect(seen["retry", default: 0] > 10, "\(seen)")
        #expect(seen["treatAsSuccess", default: 0] > 5, "\(seen)")
        #expect(seen["outOfOrderResponse", default: 0] > 5, "\(seen)")
        #expect(state.identity == pid1, "no epoch bump is needed for these faults")
        for partition in partitions {
            #expect(broker.logs[partition, default: []] == produced[partition, default: []], "\(partition)")
        }
        for (key, sequences) in acked {
            let sorted = sequences.sorted { $0.baseSequence < $1.baseSequence }
            var expected: Int32 = 0
            for sequence in sorted {
                #expect(sequence.baseSequence == expected, "\(key.partition) \(key.identity): gap or repeat")
                expected = sequence.baseSequence + Int32(sequence.recordCount)
            }
            #expect(sorted.map(\.recordCount).reduce(0, +) == produced[key.partition, default: []].count)
        }
    }
}
