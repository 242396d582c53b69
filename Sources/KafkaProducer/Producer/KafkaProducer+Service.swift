public import ServiceLifecycle

extension KafkaProducer: Service {
    /// Runs until graceful shutdown is triggered (swift-service-lifecycle), then closes the producer: queued and
    /// in-flight records are delivered (within `delivery.timeout.ms`), so a graceful shutdown flushes.
    ///
    /// The producer sends from the moment it is created; `run()` only ties its shutdown to the service group. When
    /// the task running it is cancelled, the producer closes without waiting for queued records.
    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !isClosed {
                try? await Task.sleep(for: .seconds(3600))
            }
        } onGracefulShutdown: {
            Task { await self.close() }
        }
        if Task.isCancelled && !isClosed {
            await close(timeout: .zero)
        } else {
            await close()
        }
    }

    var isClosed: Bool {
        lifecycle.withLockedValue { $0.closed }
    }
}
