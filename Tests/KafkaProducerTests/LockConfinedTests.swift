import Testing

@testable import KafkaProducer

/// The accumulator's lock-confined objects skip Swift's exclusivity checks only in release builds: the test suites
/// run debug builds, where an overlapping access to their state still traps.
@Suite("Lock-confined state keeps its exclusivity checks in debug builds")
struct LockConfinedTests {
    /// Modifies `value` while `body` runs.
    static func modify(_ value: inout [Int], during body: () -> Void) {
        value.append(1)
        body()
    }

    @Test("a read of the fields while they are modified traps")
    func overlappingAccessTraps() async {
        #if DEBUG
            await #expect(processExitsWith: .failure) {
                let route = LockConfined(fields: [0])
                Self.modify(&route.fields) { _ = route.fields.count }
            }
        #else
            Issue.record("the test suites run debug builds; this one was built without DEBUG")
        #endif
    }

    @Test("separate accesses do not trap")
    func separateAccesses() {
        let route = LockConfined(fields: [0])
        Self.modify(&route.fields) {}
        #expect(route.fields == [0, 1])
    }
}
