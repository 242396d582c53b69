import KafkaAdmin
import KafkaNetwork
import KafkaProtocol
import Testing

/// Every throwing method of the admin client throws ``AdminError``: failures of the operation as a whole (a
/// cluster that cannot be reached, the task cancelled) name the resources with the nearest error code.
@Suite("Admin errors are AdminError", .timeLimit(.minutes(1)))
struct AdminErrorTests {
    /// A port nothing listens on: connections are refused at once.
    static let unreachable = "127.0.0.1:1"

    static func unreachableAdmin(_ properties: [String: String] = [:]) throws -> KafkaAdminClient {
        var all = [
            "bootstrap.servers": unreachable, "request.timeout.ms": "1000", "retry.backoff.ms": "50",
            "reconnect.backoff.ms": "50", "socket.connection.setup.timeout.ms": "500",
        ]
        all.merge(properties) { $1 }
        return try KafkaAdminClient(properties: all)
    }

    @Test("an unreachable cluster: NETWORK_EXCEPTION naming the resources")
    func unreachableCluster() async throws {
        let admin = try Self.unreachableAdmin()
        do throws(AdminError) {
            _ = try await admin.listTopics()
            Issue.record("listTopics should fail")
        } catch {
            #expect(error.code == .networkException, "\(error)")
            #expect(error.api == .metadata && error.resourceKind == .cluster && error.resourceName.isEmpty)
            #expect(!error.isCancellation)
            #expect("\(error)".contains(Self.unreachable), "\(error)")
        }
        do throws(AdminError) {
            _ = try await admin.describeTopics(["orders", "invoices", "orders"])
            Issue.record("describeTopics should fail")
        } catch {
            #expect(error.code == .networkException, "\(error)")
            #expect(error.resourceKind == .topic && error.resourceName == "invoices, orders", "\(error)")
        }
        do throws(AdminError) {
            _ = try await admin.describeCluster()
            Issue.record("describeCluster should fail")
        } catch {
            #expect(error.code == .networkException, "\(error)")
            #expect(error.resourceKind == .cluster, "\(error)")
        }
        do throws(AdminError) {
            _ = try await admin.deleteConsumerGroups(["billing"])
            Issue.record("deleteConsumerGroups should fail")
        } catch {
            #expect(error.code == .networkException, "\(error)")
            #expect(error.resourceKind == .group && error.resourceName == "billing", "\(error)")
        }
        await admin.close()
    }

    @Test("a cancelled call: REQUEST_TIMED_OUT with isCancellation, naming the resource")
    func cancelledCall() async throws {
        let admin = try Self.unreachableAdmin(["request.timeout.ms": "120000", "retries": "100000"])
        let started = ContinuousClock.now
        let call = Task { try await admin.describeTopics(["orders"]) }
        try await Task.sleep(for: .milliseconds(300))
        call.cancel()
        let result = await call.result
        do {
            _ = try result.get()
            Issue.record("the call should fail")
        } catch let error as AdminError {
            #expect(error.isCancellation, "\(error)")
            #expect(error.code == .requestTimedOut)
            #expect(error.api == .metadata && error.resourceKind == .topic && error.resourceName == "orders")
        } catch {
            Issue.record("expected an AdminError, got \(error)")
        }
        // The call ends at the cancellation, long before request.timeout.ms (two minutes; the bound leaves room for a
        // loaded machine).
        #expect(ContinuousClock.now - started < .seconds(60))
        await admin.close()
    }
}
