import ArgumentParser
import Foundation

/// The consumer group states `--list --state` accepts (Kafka's `GroupState` for consumer groups).
package enum GroupStates {
    package static let valid = [
        "PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty", "Assigning", "Reconciling", "Unknown",
    ]

    /// The states of a comma-separated list, with Kafka's spelling; case-insensitive.
    ///
    /// - Throws: `ValidationError` naming the valid states.
    package static func parse(_ list: String) throws -> Set<String> {
        var states = Set<String>()
        for item in list.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces)
            guard let state = valid.first(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw ValidationError(
                    "Invalid state list '\(list)'. Valid states are: \(valid.joined(separator: ", "))")
            }
            states.insert(state)
        }
        if states.isEmpty {
            throw ValidationError("Invalid state list '\(list)'. Valid states are: \(valid.joined(separator: ", "))")
        }
        return states
    }
}
