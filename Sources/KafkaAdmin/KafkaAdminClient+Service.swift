public import ServiceLifecycle

extension KafkaAdminClient: Service {
    /// Runs until graceful shutdown is triggered (swift-service-lifecycle), the task running it is cancelled, or
    /// ``close()`` is called, then closes the client and returns.
    ///
    /// The admin client does its work in the calls the application makes; `run()` only ties its shutdown to the
    /// service group.
    ///
    /// ```swift
    /// let admin = try KafkaAdminClient(properties: ["bootstrap.servers": "localhost:9092"])
    /// let group = ServiceGroup(services: [admin], gracefulShutdownSignals: [.sigterm], logger: logger)
    /// ```
    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in await closed.wait() }
        await close()
    }
}
