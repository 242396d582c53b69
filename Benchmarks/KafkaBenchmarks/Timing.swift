import Foundation

/// Runs `body` repeatedly for at least `minimumSeconds`, `rounds` times, and returns the best
/// (highest) rate of `units` per second, where each call of `body` processes `unitsPerCall` units.
func bestRate(rounds: Int = 5, minimumSeconds: Double = 0.3, unitsPerCall: Double, _ body: () throws -> Void)
    rethrows -> Double
{
    var best = 0.0
    let clock = ContinuousClock()
    for _ in 0..<rounds {
        var calls = 0
        let start = clock.now
        var elapsed = 0.0
        repeat {
            try body()
            calls += 1
            let d = clock.now - start
            elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        } while elapsed < minimumSeconds
        best = max(best, Double(calls) * unitsPerCall / elapsed)
    }
    return best
}

/// Keeps a value alive so the optimiser cannot remove the work that produced it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// `label` padded to a column, then `value` with one decimal and its unit.
func line(_ label: String, _ value: Double, _ unit: String) -> String {
    label.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%8.1f ", value) + unit
}

/// A deterministic generator so every run measures the same bytes.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Text-like, moderately compressible bytes (words from a small vocabulary), like JSON payloads.
func textLikeBytes(count: Int, seed: UInt64) -> [UInt8] {
    let words = [
        "order", "customer", "id", "amount", "currency", "EUR", "status", "shipped", "pending", "timestamp", "{", "}",
        "\"", ":", ",", "sku", "quantity", "warehouse", "berlin", "lisbon", "42", "1337", "true", "false",
    ].map { Array($0.utf8) }
    var rng = SplitMix64(state: seed)
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count {
        out += words[Int(rng.next() % UInt64(words.count))]
        if rng.next() % 3 == 0 { out.append(UInt8(ascii: " ")) }
        if rng.next() % 5 == 0 { out += Array(String(rng.next() % 100_000).utf8) }
    }
    return Array(out.prefix(count))
}
