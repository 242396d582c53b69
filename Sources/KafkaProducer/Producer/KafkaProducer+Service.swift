public import ServiceLifecycle

extension KafkaProducer: Service {
    /// Runs until graceful shutdown is triggered (swift-service-lifecycle), then closes the producer: queued and
    /// in-flight records are delivered (within `delivery.timeout.ms`), so a graceful shutdown flushes.
    ///
    /// The producer's sender loop (the one that drains batches into requests and handles their responses) runs
    /// inside `run()`, as a child of the service's task. A producer used without `run()` starts that loop in a task
    /// of its own at its first send, flush, close or transaction call, so that it also works on its own, as the Java
    /// client's does; a `run()` called after that waits for that loop instead.
    ///
    /// `run()` returns once the producer is closed (also when ``close(timeout:)`` is called directly). When the task
    /// running it is cancelled, the producer closes without waiting for queued records, which fail.
    public func run() async throws {
        let runsSender = claimSenderForRun()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                if runsSender {
                    await Self.runSender(sender, senderFinished)
                } else {
                    await senderFinished.wait()
                }
            } onGracefulShutdown: {
                Task { await self.close() }
            }
        } onCancel: {
            Task { await self.close(timeout: .zero) }
        }
        await close()
    }
}
