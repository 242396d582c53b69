import KafkaTestSupport
import NIOCore
import NIOPosix
import Testing

/// The test support's program runner: a program it starts holds none of this process's descriptors, so a socket
/// this process closes is closed for its peer too (a broker that outlives the test kept test connections open).
@Suite(.timeLimit(.minutes(1))) struct ChildProcessTests {
    @Test func aChildInheritsOnlyItsStandardStreams() async throws {
        // A listening socket is open in this process while the program starts.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        // The shell lists its own descriptors: 0, 1 and 2, and the one `ls` opens to read the directory.
        let outcome = try await ChildProcess.run("/bin/sh", ["-c", "ls /proc/$$/fd"], timeout: .seconds(20))
        let descriptors = outcome.stdout.split(separator: "\n").compactMap { Int($0) }
        #expect(outcome.status == 0)
        #expect(descriptors.filter { $0 > 2 }.count <= 1, "inherited: \(descriptors)")
        #expect(Set(descriptors).isSuperset(of: [0, 1, 2]))
    }
}
