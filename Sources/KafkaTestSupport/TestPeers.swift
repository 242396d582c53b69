import Foundation

/// Where the test peers (kcat, the Python clients, the real broker) must be present.
public enum TestPeers {
    /// Whether the tests run under CI (the `CI` environment variable is set and not `0` or `false`; `Tools/test.sh`
    /// sets it once it has installed the peers). There a suite whose peer is missing fails; it never skips.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? ""
        return !value.isEmpty && value != "0" && value != "false"
    }
}
