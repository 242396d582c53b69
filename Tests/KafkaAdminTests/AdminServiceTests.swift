import ServiceLifecycle
import Testing

@testable import KafkaAdmin

@Suite("The admin client as a Service", .timeLimit(.minutes(1)))
struct AdminServiceTests {
    /// No connection is made until a request: the address is never dialled.
    static func makeAdmin() throws -> KafkaAdminClient {
        try KafkaAdminClient(properties: ["bootstrap.servers": "127.0.0.1:1"])
    }

    @Test func runWaitsUntilTheClientIsClosed() async throws {
        let admin = try Self.makeAdmin()
        let run = Task { try await admin.run() }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!admin.closed.isFired)
        await admin.close()
        try await run.value
        #expect(admin.closed.isFired)
    }

    @Test func cancellingRunClosesTheClient() async throws {
        let admin = try Self.makeAdmin()
        let run = Task { try await admin.run() }
        try await Task.sleep(for: .milliseconds(200))
        run.cancel()
        try await run.value
        #expect(admin.closed.isFired)
    }

    @Test func gracefulShutdownOfTheGroupClosesTheClient() async throws {
        let admin = try Self.makeAdmin()
        let group = ServiceGroup(services: [admin], logger: .init(label: "test"))
        let run = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(200))
        await group.triggerGracefulShutdown()
        try await run.value
        #expect(admin.closed.isFired)
    }
}
