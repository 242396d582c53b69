package import KafkaNetwork
package import KafkaProtocol
package import NIOCore

/// Groups the batches drained for one broker into one ``ProduceRequest``.
///
/// Batches are grouped by topic (topics in the order they first appear, partitions in the order given). The
/// generated schema (versions 0-11) addresses topics by name at every version, so no topic ids are needed.
///
/// Only versions 3 and later are supported: the batches are v2 record batches (magic 2), which Produce v0-2 cannot
/// carry (those versions use the legacy message-set format). The connection negotiates the version; a broker that
/// only offers v0-2 (Kafka < 0.11) cannot be produced to with this builder.
package enum ProduceRequestBuilder {
    /// The versions ``build(batches:acks:timeout:transactionalID:version:)`` can build: Produce v3 (the first to
    /// carry v2 record batches) up to the newest the generated schema knows.
    package static let supportedVersions: ClosedRange<Int16> = 3...ProduceRequest.validVersions.upperBound

    /// Builds one request holding every batch.
    ///
    /// - Parameters:
    ///   - batches: each partition with its finished (and stamped) v2 record batch; a partition may appear once.
    ///   - acks: 0 (no acknowledgment), 1 (leader only) or -1 (all in-sync replicas).
    ///   - timeout: how long the broker may wait for the acknowledgments; whole milliseconds, 0 to `Int32.max` ms.
    ///   - transactionalID: the transactional id, or `nil` for a producer that is not transactional.
    ///   - version: the negotiated Produce version, in ``supportedVersions``.
    /// - Throws: ``KafkaProtocolError`` when the version is not supported, `acks` or `timeout` is out of range,
    ///   `batches` is empty or names a partition twice, or a buffer is not exactly one v2 record batch.
    package static func build(
        batches: [(TopicPartitionKey, ByteBuffer)], acks: Int16, timeout: Duration, transactionalID: String?,
        version: Int16
    ) throws -> ProduceRequest {
        guard supportedVersions.contains(version) else {
            throw KafkaProtocolError(
                .unsupportedVersion,
                "Produce v\(version) is not supported: v2 record batches need Produce "
                    + "v\(supportedVersions.lowerBound)...v\(supportedVersions.upperBound)")
        }
        guard acks == -1 || acks == 0 || acks == 1 else {
            throw KafkaProtocolError(.invalidValue, "acks must be -1, 0 or 1, not \(acks)")
        }
        let timeoutMs = try milliseconds(timeout)
        guard !batches.isEmpty else {
            throw KafkaProtocolError(.invalidValue, "a produce request needs at least one batch")
        }

        var topicIndex: [String: Int] = [:]
        var topics: [ProduceRequest.TopicProduceData] = []
        var seen: Set<TopicPartitionKey> = []
        for (key, records) in batches {
            guard seen.insert(key).inserted else {
                throw KafkaProtocolError(.invalidValue, "partition \(key) appears twice in one produce request")
            }
            do {
                _ = try RecordBatchStamp.validatedSize(of: records)
            } catch let error as KafkaProtocolError {
                throw error.within("batch for \(key)")
            }
            let partition = ProduceRequest.PartitionProduceData(index: key.partition, records: records)
            if let index = topicIndex[key.topic] {
                topics[index].partitionData.append(partition)
            } else {
                topicIndex[key.topic] = topics.count
                topics.append(ProduceRequest.TopicProduceData(name: key.topic, partitionData: [partition]))
            }
        }
        return ProduceRequest(transactionalId: transactionalID, acks: acks, timeoutMs: timeoutMs, topicData: topics)
    }

    /// `duration` in whole milliseconds (rounded down), checked to fit the Int32 `timeoutMs` field.
    static func milliseconds(_ duration: Duration) throws -> Int32 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else {
            throw KafkaProtocolError(.invalidValue, "the produce timeout \(duration) is negative")
        }
        let (fromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let total = fromSeconds.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !overflow, !total.overflow, let ms = Int32(exactly: total.partialValue) else {
            throw KafkaProtocolError(.invalidValue, "the produce timeout \(duration) exceeds \(Int32.max) ms")
        }
        return ms
    }
}
