import ArgumentParser
import Foundation

/// Kafka's `--replica-assignment` syntax, `1:2,2:3,3:1`: the partitions in order, separated by `,`; the broker ids
/// of a partition separated by `:`, the preferred leader first.
package enum ReplicaAssignment {
    /// The broker ids of each partition, in order.
    ///
    /// - Throws: `ValidationError` for a bad broker id, a broker listed twice in a partition, or partitions with
    ///   different replica counts.
    package static func parse(_ text: String) throws -> [[Int32]] {
        var result: [[Int32]] = []
        for (index, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            var brokers: [Int32] = []
            for item in part.split(separator: ":", omittingEmptySubsequences: false) {
                let trimmed = item.trimmingCharacters(in: .whitespaces)
                guard let broker = Int32(trimmed) else {
                    throw ValidationError(
                        "--replica-assignment: '\(trimmed)' is not a broker id (expected for example 1:2,2:3)")
                }
                brokers.append(broker)
            }
            var seen = Set<Int32>()
            let duplicates = brokers.filter { !seen.insert($0).inserted }
            if !duplicates.isEmpty {
                throw ValidationError(
                    "Partition replica lists may not contain duplicate entries: "
                        + Array(Set(duplicates)).sorted().map { String($0) }.joined(separator: ","))
            }
            if let first = result.first, first.count != brokers.count {
                throw ValidationError(
                    "Partition \(index) has different replication factor: "
                        + "[\(brokers.map { String($0) }.joined(separator: ", "))]")
            }
            result.append(brokers)
        }
        return result
    }
}
