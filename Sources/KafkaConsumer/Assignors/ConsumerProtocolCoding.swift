internal import KafkaProtocol
package import NIOCore

/// The consumer protocol's versions this client reads and writes.
let consumerProtocolVersions: ClosedRange<Int16> = 0...3

/// Reads the Int16 version prefix. Negative versions are errors; versions above 3 are read as 3,
/// as Java does (later versions only append fields).
private func readVersion(_ buffer: inout ByteBuffer) throws(KafkaProtocolError) -> Int16 {
    guard let version: Int16 = buffer.readInteger(endianness: .big) else {
        throw KafkaProtocolError(.truncated, "missing the int16 version prefix")
    }
    guard version >= 0 else { throw KafkaProtocolError(.invalidValue, "negative version \(version)") }
    return min(version, consumerProtocolVersions.upperBound)
}

extension Subscription {
    /// Decodes JoinGroup protocol metadata: an Int16 version, then `ConsumerProtocolSubscription`.
    ///
    /// Bytes after the structure are ignored (later versions may append fields). A negative
    /// generation decodes as `nil`.
    /// - Parameters:
    ///   - bytes: the metadata, untrusted.
    ///   - groupInstanceId: the member's `group.instance.id` from the JoinGroup response.
    /// - Throws: ``ConsumerPartitionAssignorError/malformedSubscription(_:)``.
    package init(decoding bytes: ByteBuffer, groupInstanceId: String? = nil) throws(ConsumerPartitionAssignorError) {
        var buffer = bytes
        let message: ConsumerProtocolSubscription
        do {
            let version = try readVersion(&buffer)
            message = try ConsumerProtocolSubscription(from: &buffer, version: version)
        } catch let error as KafkaProtocolError {
            throw .malformedSubscription(error.description)
        } catch {
            throw .malformedSubscription("\(error)")
        }
        self.init(
            topics: message.topics,
            userData: message.userData,
            ownedPartitions: message.ownedPartitions.flatMap { owned in
                owned.partitions.map { TopicPartition(topic: owned.topic, partition: $0) }
            },
            generationId: message.generationId < 0 ? nil : message.generationId,
            rackId: message.rackId,
            groupInstanceId: groupInstanceId)
    }

    /// Encodes the JoinGroup protocol metadata at `version` (0-3), with its Int16 version prefix.
    ///
    /// Fields the version lacks are left out, as Java does: owned partitions need version 1,
    /// the generation version 2, the rack version 3. ``groupInstanceId`` is never encoded.
    /// - Throws: ``ConsumerPartitionAssignorError/unsupportedVersion(_:)`` or, for a string
    ///   longer than the protocol allows, ``ConsumerPartitionAssignorError/malformedSubscription(_:)``.
    package func encoded(version: Int16 = 3) throws(ConsumerPartitionAssignorError) -> ByteBuffer {
        guard consumerProtocolVersions.contains(version) else { throw .unsupportedVersion(version) }
        let message = ConsumerProtocolSubscription(
            topics: topics,
            userData: userData,
            ownedPartitions: ownedPartitions.groupedByTopic().map {
                ConsumerProtocolSubscription.TopicPartition(topic: $0.topic, partitions: $0.partitions)
            },
            generationId: generationId ?? -1,
            rackId: rackId)
        var buffer = ByteBuffer()
        buffer.writeInteger(version, endianness: .big)
        do {
            try message.encode(into: &buffer, version: version)
        } catch {
            throw .malformedSubscription("cannot encode: \(error)")
        }
        return buffer
    }
}

extension MemberAssignment {
    /// Decodes SyncGroup assignment bytes: an Int16 version, then `ConsumerProtocolAssignment`.
    ///
    /// An empty buffer decodes as an empty assignment (the broker sends none to a member the
    /// leader left out). Trailing bytes are ignored.
    /// - Throws: ``ConsumerPartitionAssignorError/malformedAssignment(_:)``.
    package init(decoding bytes: ByteBuffer) throws(ConsumerPartitionAssignorError) {
        guard bytes.readableBytes > 0 else {
            self.init(partitions: [])
            return
        }
        var buffer = bytes
        let message: ConsumerProtocolAssignment
        do {
            let version = try readVersion(&buffer)
            message = try ConsumerProtocolAssignment(from: &buffer, version: version)
        } catch let error as KafkaProtocolError {
            throw .malformedAssignment(error.description)
        } catch {
            throw .malformedAssignment("\(error)")
        }
        self.init(
            partitions: message.assignedPartitions.flatMap { assigned in
                assigned.partitions.map { TopicPartition(topic: assigned.topic, partition: $0) }
            },
            userData: message.userData)
    }

    /// Encodes the assignment at `version` (0-3; the layout is the same in all), with its Int16
    /// version prefix. Partitions are grouped by topic, sorted.
    /// - Throws: ``ConsumerPartitionAssignorError/unsupportedVersion(_:)`` or
    ///   ``ConsumerPartitionAssignorError/malformedAssignment(_:)`` when a string is too long.
    package func encoded(version: Int16 = 3) throws(ConsumerPartitionAssignorError) -> ByteBuffer {
        guard consumerProtocolVersions.contains(version) else { throw .unsupportedVersion(version) }
        let message = ConsumerProtocolAssignment(
            assignedPartitions: partitions.groupedByTopic().map {
                ConsumerProtocolAssignment.TopicPartition(topic: $0.topic, partitions: $0.partitions)
            },
            userData: userData)
        var buffer = ByteBuffer()
        buffer.writeInteger(version, endianness: .big)
        do {
            try message.encode(into: &buffer, version: version)
        } catch {
            throw .malformedAssignment("cannot encode: \(error)")
        }
        return buffer
    }
}
