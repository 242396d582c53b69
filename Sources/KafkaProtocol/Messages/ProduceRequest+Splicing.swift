public import NIOCore

extension ProduceRequest {
    /// Encodes the request as ``encode(into:version:)`` does, but hands each partition's record batches to `splicer`
    /// instead of copying them into `buffer`: a produce request is almost all batches, which the producer already
    /// holds in buffers of their own, so they are written to the socket from there.
    ///
    /// Returns `false` (nothing written) for what the generated encoder alone handles: versions before 3 and requests
    /// with unknown tagged fields. `ProduceRequestSplicingTests` checks that the joined pieces are the generated
    /// encoder's bytes at every version.
    public func encode(into buffer: inout ByteBuffer, version: Int16, splicing splicer: inout RequestSplicer) throws
        -> Bool
    {
        guard version >= 3, Self.validVersions.contains(version), unknownTaggedFields.isEmpty,
            topicData.allSatisfy({ topic in
                topic.unknownTaggedFields.isEmpty && topic.partitionData.allSatisfy { $0.unknownTaggedFields.isEmpty }
            })
        else { return false }
        let flexible = version >= Self.firstFlexibleVersion ?? .max
        try buffer.writeKafkaString(transactionalId, compact: flexible)
        buffer.writeKafkaInt16(acks)
        buffer.writeKafkaInt32(timeoutMs)
        try buffer.writeKafkaArrayCount(topicData.count, compact: flexible)
        for topic in topicData {
            try buffer.writeKafkaString(topic.name, compact: flexible)
            try buffer.writeKafkaArrayCount(topic.partitionData.count, compact: flexible)
            for partition in topic.partitionData {
                buffer.writeKafkaInt32(partition.index)
                try buffer.writeKafkaLength(partition.records?.readableBytes, compact: flexible, legacyInt16: false)
                if let records = partition.records, records.readableBytes > 0 { splicer.splice(records, at: buffer) }
                if flexible { buffer.writeUnsignedVarint(0) }  // no tagged fields
            }
            if flexible { buffer.writeUnsignedVarint(0) }
        }
        if flexible { buffer.writeUnsignedVarint(0) }
        return true
    }
}
