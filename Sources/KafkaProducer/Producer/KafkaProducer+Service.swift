public import ServiceLifecycle

extension KafkaProducer: Service {
    /// Runs until graceful shutdown is triggered (swift-service-lifecycle), then closes the producer: queued and
    /// in-flight records are delivered (within `delivery.timeout.ms`), so a graceful shutdown flushes.
    ///
    /// The producer sends from the moment it is created; `run()` only ties its shutdown to the service group, and
    /// returns once the producer is closed (also when ``close(timeout:)`` is called directly). When the task running
    /// it is cancelled, the producer closes without waiting for queued records, which fail.
    public func run() async throws {
        let sender = lifecycle.withLockedValue { $0.senderTask }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await sender?.value
            } onGracefulShutdown: {
                Task { await self.close() }
            }
        } onCancel: {
            Task { await self.close(timeout: .zero) }
        }
        await close()
    }
}
