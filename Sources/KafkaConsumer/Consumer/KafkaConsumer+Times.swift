public import KafkaNetwork
import KafkaProtocol
import Logging

extension KafkaConsumer {
    /// For each partition, the first offset whose record timestamp is at or after the given time
    /// (milliseconds since 1970), with that record's timestamp; `nil` when no record is that late.
    /// Asks each partition's leader (ListOffsets), honouring `isolation.level`; the partitions need
    /// not be assigned. Retriable errors (leader moves and the like) are retried for up to
    /// `request.timeout.ms`.
    ///
    /// - Throws: ``KafkaConsumerError`` of kind ``KafkaConsumerError/Kind/negativeTimestamp(_:)``,
    ///   ``KafkaConsumerError/Kind/closed``, ``KafkaConsumerError/Kind/broker(_:)`` naming the partition for
    ///   errors the broker reports, ``KafkaConsumerError/Kind/network(_:)``, ``KafkaConsumerError/Kind/cancelled``.
    public func offsetsForTimes(
        _ timestamps: [TopicPartition: Int64]
    ) async throws(KafkaConsumerError) -> [TopicPartition: (offset: Int64, timestamp: Int64)?] {
        if state.withLockedValue({ $0.isClosed }) { throw KafkaConsumerError(.closed) }
        if let negative = timestamps.keys.sorted().first(where: { (timestamps[$0] ?? 0) < 0 }) {
            throw KafkaConsumerError(.negativeTimestamp(negative))
        }
        guard !timestamps.isEmpty else { return [:] }
        let found: [TimeLookup]
        do {
            found = try await lookUpTimes(timestamps)
        } catch {
            throw KafkaConsumerError(wrapping: error)
        }
        var result: [TopicPartition: (offset: Int64, timestamp: Int64)?] = [:]
        for partition in timestamps.keys { result[partition] = .some(nil) }
        for lookup in found where lookup.offset >= 0 {
            result[lookup.partition] = (lookup.offset, lookup.timestamp)
        }
        return result
    }

    /// ListOffsets by timestamp for `timestamps`, one request per leader, retried for up to `request.timeout.ms`.
    private func lookUpTimes(_ timestamps: [TopicPartition: Int64]) async throws -> [TimeLookup] {
        try await cluster.withRetries(timeout: configuration.client.requestTimeout) { _ in
            let metadata = try await cluster.metadata(for: Set(timestamps.keys.map(\.topic)))
            var byLeader: [Int32: [TopicPartition: Int64]] = [:]
            for (partition, timestamp) in timestamps {
                guard let leader = metadata.partition(topic: partition.topic, partition: partition.partition)?.leader,
                    leader >= 0
                else {
                    let code: KafkaErrorCode =
                        metadata.topics[partition.topic] == nil ? .unknownTopicOrPartition : .leaderNotAvailable
                    throw KafkaError(
                        code: code, api: .listOffsets, topic: partition.topic, partition: partition.partition)
                }
                byLeader[leader, default: [:]][partition] = timestamp
            }
            return try await withThrowingTaskGroup(of: [TimeLookup].self) { group in
                for (node, partitions) in byLeader {
                    group.addTask { try await self.lookUpTimes(node: node, partitions: partitions) }
                }
                var all: [TimeLookup] = []
                for try await found in group { all += found }
                return all
            }
        }
    }

    /// Makes the next poll read `partition` from the first record at or after `timestamp`
    /// (milliseconds since 1970), or from the end of the log when there is none.
    ///
    /// - Throws: as ``offsetsForTimes(_:)``, and ``KafkaConsumerError/Kind/notAssigned(_:)``.
    public func seek(_ partition: TopicPartition, toTimestamp timestamp: Int64) async throws(KafkaConsumerError) {
        let found = try await offsetsForTimes([partition: timestamp])
        if let entry = found[partition], let entry {
            try seek(partition, to: entry.offset)
        } else {
            try seekToEnd([partition])
        }
    }

    private struct TimeLookup: Sendable {
        var partition: TopicPartition
        var offset: Int64
        var timestamp: Int64
    }

    private func lookUpTimes(node: Int32, partitions: [TopicPartition: Int64]) async throws -> [TimeLookup] {
        let byTopic = Dictionary(grouping: partitions, by: { $0.key.topic })
        let connection = try await cluster.connection(to: .broker(node), kind: .fetch)
        let version = try connection.versions.version(for: ListOffsetsRequest.self)
        let request = ListOffsetsRequest(
            replicaId: -1, isolationLevel: configuration.fetchIsolationLevel.rawValue,
            topics: byTopic.keys.sorted().map { topic in
                ListOffsetsRequest.ListOffsetsTopic(
                    name: topic,
                    partitions: (byTopic[topic] ?? []).map {
                        ListOffsetsRequest.ListOffsetsPartition(
                            partitionIndex: $0.key.partition, timestamp: $0.value)
                    })
            },
            timeoutMs: Int32(clamping: configuration.client.requestTimeout.components.seconds * 1000))
        let response = try await connection.send(request, version: version)
        var found: [TimeLookup] = []
        for topic in response.topics {
            for data in topic.partitions {
                let partition = TopicPartition(topic: topic.name, partition: data.partitionIndex)
                guard partitions[partition] != nil else { continue }
                let code = KafkaErrorCode(rawValue: data.errorCode)
                guard code == .none else {
                    throw KafkaError(code: code, api: .listOffsets, topic: topic.name, partition: data.partitionIndex)
                }
                let offset = (version == 0 ? data.oldStyleOffsets.first : data.offset) ?? -1
                found.append(
                    TimeLookup(partition: partition, offset: offset, timestamp: version == 0 ? -1 : data.timestamp))
            }
        }
        return found
    }
}
