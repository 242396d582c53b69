import Foundation
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore

/// Keeps a dev cluster's topics, partition logs and committed offsets in a directory, so that a
/// restarted `kafka-dev-cluster --data-dir` finds its data again.
///
/// Layout: `cluster.json` (topics with ids, placement, configs and log start offsets; committed
/// offsets; the next producer id) rewritten atomically on each save, and one append-only file per
/// partition, `logs/<topic id>-<partition>.log`, holding the stored batches back to back. Saves run
/// every second (only what changed) and at shutdown. A dev tool's durability: a crash loses at most
/// the last second, and a torn batch at the end of a file is dropped at load (its CRC fails).
/// Idempotent producer state, transaction coordinator state (transactions left open get abort
/// markers at load) and pending transactional offsets and group membership are not kept (producers re-initialise, members
/// rejoin).
final class DevClusterStore: Sendable {
    struct StoredCluster: Codable {
        var formatVersion = 1
        var topics: [StoredTopic]
        var groups: [StoredGroup]
        var nextProducerID: Int64
    }

    struct StoredTopic: Codable {
        var name: String
        var id: String
        var configs: [String: String]
        var isInternal: Bool
        var partitions: [StoredPartition]
    }

    struct StoredPartition: Codable {
        var replicas: [Int32]
        var leaderEpoch: Int32
        var logStartOffset: Int64
        var logEndOffset: Int64
    }

    struct StoredGroup: Codable {
        var id: String
        var offsets: [StoredOffset]
    }

    struct StoredOffset: Codable {
        var topic: String
        var partition: Int32
        var offset: Int64
        var leaderEpoch: Int32
        var metadata: String
        var commitTimestamp: Int64
    }

    let directory: URL
    /// Per log file: the end offset already written to it.
    private let written: NIOLockedValueBox<[String: Int64]>
    private let saving = NIOLock()

    init(directory path: String) throws {
        directory = URL(fileURLWithPath: path, isDirectory: true)
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("logs"), withIntermediateDirectories: true)
        written = NIOLockedValueBox([:])
    }

    private var metadataURL: URL { directory.appendingPathComponent("cluster.json") }

    private func logURL(_ file: String) -> URL {
        directory.appendingPathComponent("logs").appendingPathComponent(file)
    }

    static func fileName(topicID: KafkaUUID, partition: Int32) -> String {
        "\(topicID)-\(partition).log"
    }

    // MARK: - Load

    /// Loads what the directory holds into `state` (topics replace same-named ones). A missing
    /// `cluster.json` is an empty directory; an unreadable one is an error.
    func load(into state: inout ClusterState) throws {
        guard FileManager.default.fileExists(atPath: metadataURL.path) else { return }
        let stored = try JSONDecoder().decode(StoredCluster.self, from: Data(contentsOf: metadataURL))
        var written: [String: Int64] = [:]
        for storedTopic in stored.topics {
            guard let id = KafkaUUID(string: storedTopic.id) else { continue }
            var topic = ClusterState.Topic(name: storedTopic.name, id: id, partitions: [], configs: storedTopic.configs)
            topic.isInternal = storedTopic.isInternal
            for (index, storedPartition) in storedTopic.partitions.enumerated() {
                var partition = state.makePartition(Int32(index), replicas: storedPartition.replicas)
                partition.leaderEpoch = storedPartition.leaderEpoch
                let file = Self.fileName(topicID: id, partition: Int32(index))
                let end = restoreLog(&partition.log, from: logURL(file))
                written[file] = end
                if partition.log.batches.isEmpty {
                    partition.log.reset(startingAt: max(storedPartition.logStartOffset, end))
                } else {
                    partition.log.deleteRecords(before: storedPartition.logStartOffset)
                }
                topic.partitions.append(partition)
            }
            state.topics[topic.name] = topic
        }
        for group in stored.groups {
            var classic = state.groups.groups[group.id] ?? ClassicGroup(groupID: group.id)
            for offset in group.offsets {
                classic.offsets[offset.topic, offset.partition] = CommittedOffset(
                    offset: offset.offset, leaderEpoch: offset.leaderEpoch, metadata: offset.metadata,
                    commitTimestamp: offset.commitTimestamp)
            }
            state.groups.groups[group.id] = classic
        }
        state.producerIDs.next = max(state.producerIDs.next, stored.nextProducerID)
        self.written.withLockedValue { $0 = written }
        // Transaction coordinator state is not kept (as producer state): transactions left open in
        // the logs are aborted, their markers written to the files at the next save.
        state.abortOrphanedTransactions(now: SystemDevClock().nowMillis())
    }

    /// Reads the batches of one log file into `log`; returns the end offset of what was read (0
    /// when the file is missing). Stops at the first batch that is torn or does not continue the log.
    private func restoreLog(_ log: inout PartitionLog, from url: URL) -> Int64 {
        guard let data = try? Data(contentsOf: url), !data.isEmpty else { return 0 }
        var buffer = ByteBuffer(bytes: data)
        log.reset(startingAt: 0)
        var end: Int64 = 0
        while buffer.readableBytes >= RecordBatch.headerSize {
            guard let batch = try? RecordBatch(decoding: buffer, verifyChecksum: true),
                let bytes = buffer.readSlice(length: batch.sizeInBytes),
                log.restore(
                    bytes, baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp)
            else { break }
            end = batch.nextOffset
        }
        return end
    }

    // MARK: - Save

    /// What one save writes, taken under the cluster lock (batches are shared buffers, not copies).
    struct Snapshot {
        var metadata: StoredCluster
        var appends: [(file: String, batches: [ByteBuffer], end: Int64)]
        var liveFiles: Set<String>
    }

    /// Takes what changed since the last save. Call under the cluster lock.
    func snapshot(_ state: ClusterState) -> Snapshot {
        let written = self.written.withLockedValue { $0 }
        var topics: [StoredTopic] = []
        var appends: [(file: String, batches: [ByteBuffer], end: Int64)] = []
        var liveFiles = Set<String>()
        for name in state.topics.keys.sorted() {
            guard let topic = state.topics[name] else { continue }
            var partitions: [StoredPartition] = []
            for partition in topic.partitions {
                let log = partition.log
                partitions.append(
                    StoredPartition(
                        replicas: partition.replicas, leaderEpoch: partition.leaderEpoch,
                        logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset))
                let file = Self.fileName(topicID: topic.id, partition: partition.index)
                liveFiles.insert(file)
                let done = written[file] ?? 0
                guard log.logEndOffset > done else { continue }
                let from = log.batchIndex(containing: done)
                let batches = log.batches[from...].filter { $0.baseOffset >= done }.map(\.bytes)
                if !batches.isEmpty { appends.append((file, batches, log.logEndOffset)) }
            }
            topics.append(
                StoredTopic(
                    name: name, id: "\(topic.id)", configs: topic.configs, isInternal: topic.isInternal,
                    partitions: partitions))
        }
        let groups = state.groups.groups.keys.sorted().compactMap { id -> StoredGroup? in
            guard let group = state.groups.groups[id], !group.offsets.isEmpty else { return nil }
            let offsets = group.offsets.all.flatMap { topic in
                topic.partitions.map {
                    StoredOffset(
                        topic: topic.topic, partition: $0.partition, offset: $0.offset.offset,
                        leaderEpoch: $0.offset.leaderEpoch, metadata: $0.offset.metadata,
                        commitTimestamp: $0.offset.commitTimestamp)
                }
            }
            return StoredGroup(id: id, offsets: offsets)
        }
        return Snapshot(
            metadata: StoredCluster(topics: topics, groups: groups, nextProducerID: state.producerIDs.next),
            appends: appends, liveFiles: liveFiles)
    }

    /// Writes a snapshot: appends new batches, rewrites `cluster.json`, removes logs of deleted topics.
    func write(_ snapshot: Snapshot) throws {
        try saving.withLock {
            for append in snapshot.appends {
                let url = logURL(append.file)
                if !FileManager.default.fileExists(atPath: url.path) {
                    _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                }
                let handle = try FileHandle(forWritingTo: url)
                defer { try? handle.close() }
                try handle.seekToEnd()
                var data = Data()
                for batch in append.batches { data.append(contentsOf: batch.readableBytesView) }
                try handle.write(contentsOf: data)
                written.withLockedValue { $0[append.file] = append.end }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(snapshot.metadata).write(to: metadataURL, options: .atomic)
            let logs =
                (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("logs").path))
                ?? []
            for file in logs where file.hasSuffix(".log") && !snapshot.liveFiles.contains(file) {
                try? FileManager.default.removeItem(at: logURL(file))
                _ = written.withLockedValue { $0.removeValue(forKey: file) }
            }
        }
    }
}

extension KafkaUUID {
    /// Parses the canonical 8-4-4-4-12 hexadecimal form that `description` prints.
    init?(string: String) {
        let hex = string.filter { $0 != "-" }
        guard hex.count == 32, string.count == 36, let high = UInt64(hex.prefix(16), radix: 16),
            let low = UInt64(hex.suffix(16), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }
}
