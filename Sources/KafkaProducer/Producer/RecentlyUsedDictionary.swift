/// A dictionary that keeps its most recently used entry at hand: looking up the key of the previous lookup (the
/// send path's common case: one topic, and one partition until its batch fills) compares the key instead of hashing
/// it, and two identical strings compare by their storage.
///
/// The producer's topic cache, the accumulator's partition queues and the sticky partitioner's topics use it.
struct RecentlyUsedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Every entry.
    private(set) var entries: [Key: Value] = [:]
    private var recent: (key: Key, value: Value)?

    /// The value for `key`, if there is one; it becomes the recent entry.
    mutating func value(for key: Key) -> Value? {
        if let recent, recent.key == key { return recent.value }
        guard let found = entries[key] else { return nil }
        recent = (key, found)
        return found
    }

    /// The value for `key`, made by `make` and stored the first time.
    mutating func value(for key: Key, orInsert make: () -> Value) -> Value {
        if let found = value(for: key) { return found }
        let made = make()
        set(made, for: key)
        return made
    }

    /// Stores `value` for `key`, as the recent entry.
    mutating func set(_ value: Value, for key: Key) {
        entries[key] = value
        recent = (key, value)
    }

    /// Removes `key`'s entry.
    mutating func removeValue(forKey key: Key) {
        entries.removeValue(forKey: key)
        if recent?.key == key { recent = nil }
    }

    /// Removes every entry.
    mutating func removeAll() {
        entries = [:]
        recent = nil
    }
}
