public import ServiceLifecycle

extension KafkaConsumer: Service {
    /// Runs until graceful shutdown is triggered (swift-service-lifecycle) or the task running it is cancelled,
    /// then closes the consumer (see ``close()``) and returns once it is closed.
    ///
    /// The consumer does its work in ``poll(timeout:)`` (or while iterating ``records`` or ``batches``), on the
    /// application's own tasks; `run()` only ties the consumer's shutdown to the service group. Once the consumer
    /// is closed, polls in progress and later ones throw ``KafkaConsumerError/Kind/closed``, and iterations of
    /// ``records`` and ``batches`` end.
    ///
    /// `run()` also returns when ``close()`` is called directly. When the
    /// task running it is cancelled, the consumer is still closed, but requests the close makes may be cut short
    /// by the cancellation.
    ///
    /// ```swift
    /// let consumer = try KafkaConsumer(configuration: configuration)
    /// let group = ServiceGroup(services: [consumer], gracefulShutdownSignals: [.sigterm], logger: logger)
    /// try await withThrowingDiscardingTaskGroup { tasks in
    ///     tasks.addTask { try await group.run() }
    ///     for try await record in consumer.records { … }  // ends when the group shuts down
    /// }
    /// ```
    public func run() async throws {
        // Suspends until graceful shutdown or cancellation (which cancel the wait), or until closed directly.
        await cancelWhenGracefulShutdown { [self] in await waitUntilClosed() }
        await close()
    }

    /// Suspends until the consumer is closed, or the task is cancelled.
    func waitUntilClosed() async { await closed.wait() }
}
