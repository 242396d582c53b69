import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import NIOCore
import Synchronization
import Testing

/// What the members of a test group processed and heard, shared by all of them.
final class GroupLog: Sendable {
    struct Processed: Hashable, Sendable {
        var member: String
        var partition: TopicPartition
        var offset: Int64
        var value: String
    }

    enum Event: Hashable, Sendable {
        case revoked(String, [TopicPartition])
        case assigned(String, [TopicPartition])
        case lost(String, [TopicPartition])
        /// The commit in `partitionsRevoked` failed (the member, its partitions, the error, and whether it is
        /// ``KafkaConsumerError/Kind/commitFailed(_:)``: the group moved on, so another member may re-read them).
        case revokeCommitFailed(String, [TopicPartition], String, groupMovedOn: Bool)
    }

    /// Processed records and events in the order they happened (one counter numbers both).
    private let state = Mutex<
        (processed: [(step: Int, entry: Processed)], events: [(step: Int, event: Event)], step: Int)
    >(
        ([], [], 0))

    func add(_ member: String, _ records: [ConsumerRecord]) {
        let entries = records.map {
            Processed(
                member: member, partition: TopicPartition(topic: $0.topic, partition: $0.partition), offset: $0.offset,
                value: $0.value.map { String(buffer: $0) } ?? "")
        }
        state.withLock { state in
            for entry in entries {
                state.step += 1
                state.processed.append((state.step, entry))
            }
        }
    }

    func add(_ event: Event) {
        state.withLock { state in
            state.step += 1
            state.events.append((state.step, event))
        }
    }

    var processed: [Processed] { state.withLock { $0.processed.map(\.entry) } }
    var events: [Event] { state.withLock { $0.events.map(\.event) } }
    var distinctValues: Set<String> { Set(processed.map(\.value)) }

    /// (partition, offset) pairs processed more than once.
    var duplicates: [String] { duplicates(excusing: []) }

    /// (partition, offset) pairs processed more than once, except a re-read excused by one of `excuses`: a member
    /// that processed the record before it gave up the partition without committing (at `step`), and the
    /// partition's next owner (another member, or the same one given the partition back) that read it again from
    /// the last committed offset after that.
    /// A lost partition is learnt by its old owner only at its next poll, possibly after the new owner re-read it:
    /// for those (`learntLate`), the re-reading need not come after the event.
    private func duplicates(
        excusing excuses: [(step: Int, member: String, partitions: Set<TopicPartition>, learntLate: Bool)]
    ) -> [String] {
        let processed = state.withLock { $0.processed }
        var readings: [String: [(step: Int, entry: Processed)]] = [:]
        for reading in processed {
            readings["\(reading.entry.partition)@\(reading.entry.offset)", default: []].append(reading)
        }
        return readings.filter { _, readings in
            guard readings.count > 1 else { return false }
            // Every reading after the first must be excused by a hand-over that happened between the two.
            let first = readings[0]
            return readings.dropFirst().contains { again in
                !excuses.contains { excuse in
                    excuse.partitions.contains(first.entry.partition) && excuse.member == first.entry.member
                        && first.step < excuse.step && (excuse.learntLate || excuse.step < again.step)
                }
            }
        }.map(\.key).sorted()
    }

    /// Records processed twice where exactly-once is owed. Excused are only the records a member processed before
    /// it lost a partition, or before its commit in `partitionsRevoked` was refused because the group moved on
    /// (REBALANCE_IN_PROGRESS on librdkafka's mock, ILLEGAL_GENERATION once the next generation formed first on a
    /// loaded machine), re-read by the partition's next owner from the last committed offset, as Kafka's
    /// at-least-once allows; any other repeat of the partition is not.
    var unexcusedDuplicates: [String] {
        let events = state.withLock { $0.events }
        let excuses = events.compactMap {
            step, event -> (step: Int, member: String, partitions: Set<TopicPartition>, learntLate: Bool)? in
            switch event {
            case .lost(let member, let partitions): (step, member, Set(partitions), true)
            case .revokeCommitFailed(let member, let partitions, _, groupMovedOn: true):
                (step, member, Set(partitions), false)
            default: nil
            }
        }
        return duplicates(excusing: excuses)
    }

    /// The partitions some member lost (its session expired before it could commit: at-least-once applies).
    var lostPartitions: Set<TopicPartition> {
        Set(
            events.flatMap { event -> [TopicPartition] in
                if case .lost(_, let partitions) = event { partitions } else { [] }
            })
    }

    /// The errors of the commits made in `partitionsRevoked` that failed, with the partitions they were for.
    var failedRevokeCommits: [(partitions: [TopicPartition], error: String, groupMovedOn: Bool)] {
        events.compactMap { event in
            if case .revokeCommitFailed(_, let partitions, let error, let movedOn) = event {
                (partitions, error, movedOn)
            } else {
                nil
            }
        }
    }
}

/// A listener that commits in `partitionsRevoked` (the recommended pattern) and logs every callback.
struct CommittingListener: ConsumerRebalanceListener {
    let member: String
    let log: GroupLog
    var commits = true

    func partitionsRevoked(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {
        log.add(.revoked(member, partitions))
        guard commits else { return }
        do throws(KafkaConsumerError) {
            try await consumer.commit()
        } catch {
            let movedOn = error.isCommitFailed
            log.add(.revokeCommitFailed(member, partitions, "\(error)", groupMovedOn: movedOn))
            throw error
        }
    }

    func partitionsAssigned(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {
        log.add(.assigned(member, partitions))
    }

    func partitionsLost(_ partitions: [TopicPartition], consumer: KafkaConsumer) async throws {
        log.add(.lost(member, partitions))
    }
}

/// One consumer of a test group, polling on its own task until stopped.
final class GroupMember: Sendable {
    let name: String
    let consumer: KafkaConsumer
    private let loop = Mutex<Task<Void, Never>?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let failure = Mutex<(any Error)?>(nil)
    private let refused = Mutex<[String]>([])

    /// - Parameter pollsOnAfterRefusedCommit: whether a refused commit
    ///   (``KafkaConsumerError/Kind/commitFailed(_:)``, thrown by poll when the commit in `partitionsRevoked`
    ///   fails) is recorded in ``refusedCommits`` and the member polls again to rejoin, as the error tells an
    ///   application to, instead of ending the loop. librdkafka 2.0.2's mock refuses every OffsetCommit while
    ///   the group is rebalancing (see ``ConsumerGroupMockClusterTests``), so this happens there.
    init(
        _ name: String, bootstrap: String, group: String, topics: [String], log: GroupLog,
        properties: [String: String] = [:], commitOnRevoke: Bool = true, pattern: String? = nil,
        pollsOnAfterRefusedCommit: Bool = false
    ) throws {
        self.name = name
        var all = [
            "bootstrap.servers": bootstrap, "group.id": group, "client.id": name,
            "auto.offset.reset": "earliest", "enable.auto.commit": "false", "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "200", "max.poll.interval.ms": "20000", "retry.backoff.ms": "50",
            "fetch.max.wait.ms": "100",
        ]
        all.merge(properties) { $1 }
        consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(properties: all))
        let listener = CommittingListener(member: name, log: log, commits: commitOnRevoke)
        if let pattern {
            try consumer.subscribe(pattern: pattern, listener: listener)
        } else {
            try consumer.subscribe(topics: topics, listener: listener)
        }
        let task = Task { [self] in
            while !stopping.load(ordering: .relaxed) {
                do throws(KafkaConsumerError) {
                    log.add(name, try await consumer.poll(timeout: .milliseconds(200)))
                } catch  where error.kind == .wakeup {
                    continue
                } catch  where pollsOnAfterRefusedCommit && error.isCommitFailedOnRevoke {
                    refused.withLock { $0.append("\(error)") }
                } catch {
                    failure.withLock { $0 = error }
                    return
                }
            }
        }
        loop.withLock { $0 = task }
    }

    /// A member of a group on the dev cluster `cluster`.
    convenience init(
        _ name: String, cluster: DevCluster, group: String, topics: [String], log: GroupLog,
        properties: [String: String] = [:], commitOnRevoke: Bool = true, pattern: String? = nil
    ) throws {
        try self.init(
            name, bootstrap: cluster.bootstrapServers, group: group, topics: topics, log: log,
            properties: properties, commitOnRevoke: commitOnRevoke, pattern: pattern)
    }

    /// Stops polling (after the poll under way), then closes the consumer (commit in the listener, leave).
    func stop(close: Bool = true) async {
        stopping.store(true, ordering: .relaxed)
        consumer.wakeup()
        await loop.withLock { $0 }?.value
        if close { await consumer.close() }
    }

    /// The error that ended the poll loop, if any.
    var error: (any Error)? { failure.withLock { $0 } }

    /// The refused commits poll reported while the loop went on (with `pollsOnAfterRefusedCommit` only).
    var refusedCommits: [String] { refused.withLock { $0 } }
}

extension KafkaConsumerError {
    fileprivate var isCommitFailed: Bool {
        if case .commitFailed = kind { true } else { false }
    }

    /// The commit in `partitionsRevoked` was refused: poll throws the listener's error wrapped.
    fileprivate var isCommitFailedOnRevoke: Bool {
        guard case .rebalanceListener("partitionsRevoked") = kind else { return false }
        return (underlying as? KafkaConsumerError)?.isCommitFailed ?? false
    }
}

enum GroupTests {
    /// Produces `values` with kcat, keyed so that they spread over the partitions.
    static func produce(_ cluster: DevCluster, topic: String, _ values: [String]) async throws {
        try await ConsumerTests.produce(cluster, topic: topic, values.map { "key-\($0):\($0)" })
    }

    /// Waits until `condition` holds, polling every 50 ms, for at most `timeout`.
    @discardableResult
    static func waitUntil(
        timeout: Duration = .seconds(30), _ condition: () -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
        return true
    }
}
