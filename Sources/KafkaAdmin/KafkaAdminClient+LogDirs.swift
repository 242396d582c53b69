public import KafkaNetwork
public import KafkaProtocol

/// A log directory of a broker (Java's `LogDirDescription`): its replicas, or the error that made it unusable.
public struct LogDirDescription: Sendable, Hashable {
    /// One replica in the directory (Java's `ReplicaInfo`).
    public struct Replica: Sendable, Hashable {
        /// The replica's size on disk, in bytes.
        public var size: Int64
        /// How far the replica is behind the partition's high watermark (or, for a future replica, behind the
        /// current one), in offsets.
        public var offsetLag: Int64
        /// Whether this is a future replica (being moved here by `AlterReplicaLogDirs`).
        public var isFuture: Bool

        /// Creates a replica entry.
        public init(size: Int64, offsetLag: Int64, isFuture: Bool) {
            self.size = size
            self.offsetLag = offsetLag
            self.isFuture = isFuture
        }
    }

    /// The directory's path on the broker.
    public var path: String
    /// `nil`, or the error of an offline directory (`KAFKA_STORAGE_ERROR`).
    public var error: KafkaErrorCode?
    /// The replicas in the directory.
    public var replicas: [TopicPartitionKey: Replica]
    /// The volume's size and free space in bytes (DescribeLogDirs v4, Kafka 3.3); `nil` when the broker does not say.
    public var totalBytes: Int64?
    /// The bytes still free on the volume; `nil` when the broker does not say.
    public var usableBytes: Int64?

    /// Creates a log directory description.
    public init(
        path: String, error: KafkaErrorCode? = nil, replicas: [TopicPartitionKey: Replica],
        totalBytes: Int64? = nil, usableBytes: Int64? = nil
    ) {
        self.path = path
        self.error = error
        self.replicas = replicas
        self.totalBytes = totalBytes
        self.usableBytes = usableBytes
    }
}

extension KafkaAdminClient {
    /// Describes the log directories of brokers (Java's `describeLogDirs`), with DescribeLogDirs to each.
    ///
    /// - Parameters:
    ///   - brokers: the node ids to ask.
    ///   - topics: only the replicas of these topics; `nil` for every replica.
    /// - Returns: per broker, its log directories by path, or the error that kept it from answering.
    /// - Throws: ``AdminError`` only when the task is cancelled (``AdminError/isCancellation``).
    public func describeLogDirs(
        brokers: [Int32], topics: Set<String>? = nil
    ) async throws(AdminError) -> [Int32: Result<[String: LogDirDescription], AdminError>] {
        var results: [Int32: Result<[String: LogDirDescription], AdminError>] = [:]
        for broker in Set(brokers).sorted() {
            do {
                results[broker] = .success(try await describeLogDirs(of: broker, topics: topics))
            } catch {
                let failure = AdminError.thrownByOperation(
                    error, api: .describeLogDirs, resourceKind: .broker, resourceName: "\(broker)")
                if failure.isCancellation { throw failure }
                results[broker] = .failure(failure)
            }
        }
        return results
    }

    private func describeLogDirs(of broker: Int32, topics: Set<String>?) async throws -> [String: LogDirDescription] {
        try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
            var requested: [DescribeLogDirsRequest.DescribableLogDirTopic]?
            if let topics {
                // The request names partitions: ask the metadata for the topics' partitions.
                let metadata = try await cluster.metadata(for: topics)
                requested = topics.sorted().compactMap { name in
                    guard let topic = metadata.topics[name] else { return nil }
                    return DescribeLogDirsRequest.DescribableLogDirTopic(
                        topic: name, partitions: topic.partitions.map(\.partition).sorted())
                }
            }
            let response = try await cluster.send(
                DescribeLogDirsRequest(topics: requested), to: .broker(broker), kind: .admin)
            if response.errorCode != 0 {
                throw KafkaError(code: KafkaErrorCode(rawValue: response.errorCode), api: .describeLogDirs)
            }
            var directories: [String: LogDirDescription] = [:]
            for result in response.results {
                var replicas: [TopicPartitionKey: LogDirDescription.Replica] = [:]
                for topic in result.topics {
                    for partition in topic.partitions {
                        replicas[TopicPartitionKey(topic: topic.name, partition: partition.partitionIndex)] =
                            LogDirDescription.Replica(
                                size: partition.partitionSize, offsetLag: partition.offsetLag,
                                isFuture: partition.isFutureKey)
                    }
                }
                directories[result.logDir] = LogDirDescription(
                    path: result.logDir,
                    error: result.errorCode == 0 ? nil : KafkaErrorCode(rawValue: result.errorCode),
                    replicas: replicas, totalBytes: result.totalBytes >= 0 ? result.totalBytes : nil,
                    usableBytes: result.usableBytes >= 0 ? result.usableBytes : nil)
            }
            return directories
        }
    }
}
