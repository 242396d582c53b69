import ArgumentParser

/// One `--topic NAME:PARTITIONS[:REPLICATION]` argument of `kafka-dev-cluster` and `kafka-mock-cluster`.
package struct TopicSpec: Sendable, Equatable {
    /// The topic name.
    package var name: String
    /// The number of partitions, within the tool's limit.
    package var partitions: Int
    /// The replication factor, within the tool's limit; 1 when not given.
    package var replicationFactor: Int

    package init(name: String, partitions: Int, replicationFactor: Int) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
    }

    /// Parses `NAME:PARTITIONS[:REPLICATION]`.
    ///
    /// - Parameters:
    ///   - example: the topic name the error message's example uses.
    ///   - maxPartitions: the most partitions accepted.
    ///   - maxReplicationFactor: the largest replication factor accepted.
    /// - Throws: `ValidationError` saying what is wrong.
    package init(
        parsing argument: String, example: String = "orders", maxPartitions: Int = .max,
        maxReplicationFactor: Int = .max
    ) throws {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else {
            throw ValidationError("Expected NAME:PARTITIONS[:REPLICATION], e.g. \(example):6 or \(example):6:3.")
        }
        guard !parts[0].isEmpty else { throw ValidationError("The topic name is empty.") }
        guard let partitions = Int(parts[1]), (1...maxPartitions).contains(partitions) else {
            throw ValidationError("The partition count must be a positive integer, not '\(parts[1])'.")
        }
        var replicationFactor = 1
        if parts.count == 3 {
            guard let value = Int(parts[2]), (1...maxReplicationFactor).contains(value) else {
                throw ValidationError("The replication factor must be a positive integer, not '\(parts[2])'.")
            }
            replicationFactor = value
        }
        self.init(name: String(parts[0]), partitions: partitions, replicationFactor: replicationFactor)
    }
}
