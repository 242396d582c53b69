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
    func waitUntilClosed() async {
        let id = state.withLockedValue { state in
            defer { state.nextCloseWaiter &+= 1 }
            return state.nextCloseWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state in
                    // A cancellation that came first found nothing to resume: `Task.isCancelled` is already set.
                    if state.isClosed || Task.isCancelled { return true }
                    state.closeWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.closeWaiters.removeValue(forKey: id) }?.resume()
        }
    }
}
