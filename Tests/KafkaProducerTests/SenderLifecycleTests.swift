import Testing

@testable import KafkaProducer

/// The sender's lifecycle, without I/O.
@Suite(.timeLimit(.minutes(1))) struct SenderLifecycleTests {
    @Test func aGracefulCloseWaitsForQueuedAndInFlightBatches() {
        var lifecycle = SenderLifecycle.running
        #expect(!lifecycle.isClosing)
        #expect(!lifecycle.mayFinish(requestsInFlight: false, batchesIncomplete: false))
        lifecycle.close(force: false)
        #expect(lifecycle == .closing)
        #expect(!lifecycle.isForced)
        #expect(!lifecycle.mayFinish(requestsInFlight: true, batchesIncomplete: false))
        #expect(!lifecycle.mayFinish(requestsInFlight: false, batchesIncomplete: true))
        #expect(lifecycle.mayFinish(requestsInFlight: false, batchesIncomplete: false))
        lifecycle.finish()
        #expect(lifecycle == .closed)
        #expect(!lifecycle.isClosing)
    }

    @Test func aForcedCloseOverridesAGracefulOneAndDoesNotWaitForQueuedBatches() {
        var lifecycle = SenderLifecycle.running
        lifecycle.close(force: false)
        lifecycle.close(force: true)
        #expect(lifecycle == .closingForced)
        #expect(lifecycle.isForced)
        #expect(lifecycle.mayFinish(requestsInFlight: false, batchesIncomplete: true))
        #expect(!lifecycle.mayFinish(requestsInFlight: true, batchesIncomplete: true))
        // A later graceful close does not soften it.
        lifecycle.close(force: false)
        #expect(lifecycle == .closingForced)
    }

    @Test func nothingReopensAClosedSender() {
        var lifecycle = SenderLifecycle.running
        lifecycle.close(force: true)
        lifecycle.finish()
        lifecycle.close(force: false)
        #expect(lifecycle == .closed)
        lifecycle.close(force: true)
        #expect(lifecycle == .closed)
    }
}
