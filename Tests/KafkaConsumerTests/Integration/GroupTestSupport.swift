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

    private let state = Mutex<(processed: [Processed], events: [Event])>(([], []))

    func add(_ member: String, _ records: [ConsumerRecord]) {
        let entries = records.map {
            Processed(
                member: member, partition: TopicPartition(topic: $0.topic, partition: $0.partition), offset: $0.offset,
                value: $0.value.map { String(buffer: $0) } ?? "")
        }
        state.withLock { $0.processed += entries }
    }

    func add(_ event: Event) { state.withLock { $0.events.append(event) } }

    var processed: [Processed] { state.withLock { $0.processed } }
    var events: [Event] { state.withLock { $0.events } }
    var distinctValues: Set<String> { Set(processed.map(\.value)) }

    /// (partition, offset) pairs processed more than once.
    var duplicates: [String] { duplicates(outside: []) }

    /// (partition, offset) pairs processed more than once, in partitions other than `excused`.
    func duplicates(outside excused: Set<TopicPartition>) -> [String] {
        var seen: [String: Int] = [:]
        for entry in processed where !excused.contains(entry.partition) {
            seen["\(entry.partition)@\(entry.offset)", default: 0] += 1
        }
        return seen.filter { $0.value > 1 }.map(\.key).sorted()
    }

    /// Records processed twice where exactly-once is owed: outside the partitions a member lost and those whose
    /// commit in `partitionsRevoked` was refused because the group moved on (REBALANCE_IN_PROGRESS on
    /// librdkafka's mock, ILLEGAL_GENERATION once the next generation formed first on a loaded machine): the
    /// next owner of those re-reads from the last committed offset, as Kafka's at-least-once allows.
    var unexcusedDuplicates: [String] {
        duplicates(outside: lostPartitions.union(failedRevokeCommits.filter(\.groupMovedOn).flatMap(\.partitions)))
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
        do {
            try await consumer.commit()
        } catch {
            let movedOn = (error as? KafkaConsumerError)?.isCommitFailed ?? false
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
                do {
                    log.add(name, try await consumer.poll(timeout: .milliseconds(200)))
                } catch let error as KafkaConsumerError where error.kind == .wakeup {
                    continue
                } catch let error as KafkaConsumerError where pollsOnAfterRefusedCommit && error.isCommitFailed {
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
