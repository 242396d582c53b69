import Testing

@testable import KafkaNetwork

/// The in-flight bookkeeping of a ready connection, driven with a manual clock.
@Suite(.timeLimit(.minutes(5))) struct RequestPipelineTests {
    typealias Pipeline = RequestPipeline<String>
    let t0 = ContinuousClock.now

    func writes(_ actions: [Pipeline.Action]) -> [(Int32, String, Bool)] {
        actions.map { action in
            switch action {
            case .write(let id, let payload, let expects): (id, payload, expects)
            }
        }
    }

    @Test func pipelinesUpToTheLimitThenQueues() {
        var pipeline = Pipeline(maximumInFlight: 2, firstCorrelationID: 7)
        let a = pipeline.submit("a", expectsResponse: true, timeout: .seconds(30), now: t0)
        let b = pipeline.submit("b", expectsResponse: true, timeout: .seconds(30), now: t0)
        let c = pipeline.submit("c", expectsResponse: true, timeout: .seconds(30), now: t0)
        #expect(writes(a.actions).map(\.0) == [7])
        #expect(writes(b.actions).map(\.0) == [8])
        #expect(c.actions.isEmpty)
        #expect(pipeline.inFlight.count == 2)
        #expect(pipeline.queuedCount == 1)

        guard case .deliver(let payload, let next) = pipeline.receive(correlationID: 7, now: t0) else {
            Issue.record("expected delivery")
            return
        }
        #expect(payload == "a")
        #expect(writes(next).map(\.1) == ["c"])
        #expect(writes(next).map(\.0) == [9])
        #expect(pipeline.queuedCount == 0)
    }

    @Test func inFlightEntriesKeepOnlyWhatTheResponseNeeds() {
        // The handler drops a written request's frame: the write gets the whole payload, the entry the retained one.
        var pipeline = Pipeline(maximumInFlight: 1) { "kept:" + $0.prefix(1) }
        let a = pipeline.submit("a-frame", expectsResponse: true, timeout: .seconds(30), now: t0)
        let b = pipeline.submit("b-frame", expectsResponse: true, timeout: .seconds(30), now: t0)
        #expect(writes(a.actions).map(\.1) == ["a-frame"])
        #expect(b.actions.isEmpty)
        #expect(pipeline.inFlight.map(\.payload) == ["kept:a"])
        guard case .deliver(let payload, let next) = pipeline.receive(correlationID: 1, now: t0) else {
            Issue.record("expected delivery")
            return
        }
        #expect(payload == "kept:a")
        #expect(writes(next).map(\.1) == ["b-frame"])  // queued requests keep their frame until written
        #expect(pipeline.inFlight.map(\.payload) == ["kept:b"])
        #expect(pipeline.close() == ["kept:b"])
    }

    @Test func requestsWithoutResponseDoNotHoldASlot() {
        var pipeline = Pipeline(maximumInFlight: 1)
        _ = pipeline.submit("fetch", expectsResponse: true, timeout: .seconds(30), now: t0)
        let acks0 = pipeline.submit("produce-acks0", expectsResponse: false, timeout: .seconds(30), now: t0)
        #expect(acks0.actions.isEmpty, "queued behind the full slot")
        let outcome = pipeline.receive(correlationID: 1, now: t0)
        guard case .deliver(_, let next) = outcome else {
            Issue.record("expected delivery")
            return
        }
        #expect(writes(next).map(\.1) == ["produce-acks0"])
        #expect(writes(next).map(\.2) == [false])
        #expect(pipeline.inFlight.isEmpty)
        let after = pipeline.submit("next", expectsResponse: true, timeout: .seconds(30), now: t0)
        #expect(writes(after.actions).map(\.0) == [3], "correlation ids keep counting across acks=0 requests")
    }

    @Test func responseOutOfOrderIsAProtocolViolationThatFailsEverything() {
        var pipeline = Pipeline(maximumInFlight: 5)
        for name in ["a", "b"] { _ = pipeline.submit(name, expectsResponse: true, timeout: .seconds(1), now: t0) }
        guard case .protocolViolation(let expected, let failed) = pipeline.receive(correlationID: 2, now: t0) else {
            Issue.record("expected a violation")
            return
        }
        #expect(expected == 1)
        #expect(failed == ["a", "b"])
        #expect(pipeline.isClosed)
        let late = pipeline.submit("late", expectsResponse: true, timeout: .seconds(1), now: t0)
        #expect(late.rejected == "late")
    }

    @Test func unknownCorrelationIdWithNothingInFlight() {
        var pipeline = Pipeline(maximumInFlight: 5)
        guard case .protocolViolation(let expected, let failed) = pipeline.receive(correlationID: 42, now: t0) else {
            Issue.record("expected a violation")
            return
        }
        #expect(expected == nil)
        #expect(failed.isEmpty)
    }

    @Test func anAnswerToARequestWithoutResponseIsDroppedOnce() {
        var pipeline = Pipeline(maximumInFlight: 5, firstCorrelationID: 1)
        _ = pipeline.submit("acks0", expectsResponse: false, timeout: .seconds(1), now: t0)
        _ = pipeline.submit("fetch", expectsResponse: true, timeout: .seconds(1), now: t0)
        guard case .ignore = pipeline.receive(correlationID: 1, now: t0) else {
            Issue.record("the stray answer to request 1 should be ignored")
            return
        }
        guard case .deliver(let payload, _) = pipeline.receive(correlationID: 2, now: t0) else {
            Issue.record("expected the fetch response")
            return
        }
        #expect(payload == "fetch")
        // A second answer with the same id is no longer expected: the stream is broken.
        guard case .protocolViolation = pipeline.receive(correlationID: 1, now: t0) else {
            Issue.record("a repeated stray answer must close the connection")
            return
        }
    }

    @Test func onlyRecentRequestsWithoutResponseAreRemembered() {
        var pipeline = Pipeline(maximumInFlight: 5, firstCorrelationID: 1)
        for index in 0..<(Pipeline.unansweredMemory * 2) {
            _ = pipeline.submit("acks0-\(index)", expectsResponse: false, timeout: .seconds(1), now: t0)
        }
        guard case .protocolViolation = pipeline.receive(correlationID: 1, now: t0) else {
            Issue.record("a forgotten id must be a violation")
            return
        }
    }

    @Test func timeoutFailsTheLateRequestAndClosesTheRest() {
        var pipeline = Pipeline(maximumInFlight: 2)
        _ = pipeline.submit("slow", expectsResponse: true, timeout: .seconds(1), now: t0)
        _ = pipeline.submit("fast", expectsResponse: true, timeout: .seconds(5), now: t0)
        _ = pipeline.submit("queued", expectsResponse: true, timeout: .seconds(5), now: t0)
        #expect(pipeline.nextDeadline == t0.advanced(by: .seconds(1)))
        #expect(pipeline.checkTimeouts(now: t0.advanced(by: .milliseconds(999))) == nil)
        let result = pipeline.checkTimeouts(now: t0.advanced(by: .seconds(1)))
        #expect(result?.timedOut == ["slow"])
        #expect(result?.others == ["fast", "queued"])
        #expect(pipeline.isClosed)
        #expect(pipeline.nextDeadline == nil)
    }

    @Test func deadlineIsTheEarliestOfMixedTimeouts() {
        var pipeline = Pipeline(maximumInFlight: 3)
        _ = pipeline.submit("fetch", expectsResponse: true, timeout: .seconds(35), now: t0)
        _ = pipeline.submit("meta", expectsResponse: true, timeout: .seconds(30), now: t0.advanced(by: .seconds(1)))
        #expect(pipeline.nextDeadline == t0.advanced(by: .seconds(31)))
    }

    @Test func correlationIdsWrapWithoutGoingNegative() {
        var pipeline = Pipeline(maximumInFlight: 1, firstCorrelationID: Int32.max)
        let first = pipeline.submit("a", expectsResponse: false, timeout: .seconds(1), now: t0)
        let second = pipeline.submit("b", expectsResponse: false, timeout: .seconds(1), now: t0)
        #expect(writes(first.actions).map(\.0) == [Int32.max])
        #expect(writes(second.actions).map(\.0) == [0])
    }

    @Test func closeReturnsInFlightThenQueuedOldestFirst() {
        var pipeline = Pipeline(maximumInFlight: 1)
        for name in ["a", "b", "c"] { _ = pipeline.submit(name, expectsResponse: true, timeout: .seconds(1), now: t0) }
        #expect(pipeline.close() == ["a", "b", "c"])
        #expect(pipeline.close().isEmpty)
    }
}

@Suite(.timeLimit(.minutes(5))) struct ReconnectBackoffTests {
    let t0 = ContinuousClock.now

    @Test func growsExponentiallyToTheMaximum() {
        let backoff = ReconnectBackoff(initial: .milliseconds(50), maximum: .seconds(1))
        #expect(backoff.baseDelay(afterFailures: 0) == .zero)
        #expect(backoff.baseDelay(afterFailures: 1) == .milliseconds(50))
        #expect(backoff.baseDelay(afterFailures: 2) == .milliseconds(100))
        #expect(backoff.baseDelay(afterFailures: 5) == .milliseconds(800))
        #expect(backoff.baseDelay(afterFailures: 6) == .seconds(1))
        #expect(backoff.baseDelay(afterFailures: 1000) == .seconds(1))
    }

    @Test func jitterStaysWithinTwentyPercent() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(10))
        let low = backoff.recordFailure(now: t0, random: 0)
        backoff.recordSuccess()
        let high = backoff.recordFailure(now: t0, random: 0.999_999)
        #expect(low == .milliseconds(80))
        #expect(high > .milliseconds(119) && high <= .milliseconds(120))
    }

    @Test func waitsUntilTheNextAttemptAndResetsOnSuccess() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(10), jitter: 0)
        #expect(backoff.remainingDelay(now: t0) == .zero)
        _ = backoff.recordFailure(now: t0, random: 0.5)
        _ = backoff.recordFailure(now: t0, random: 0.5)
        #expect(backoff.consecutiveFailures == 2)
        #expect(backoff.remainingDelay(now: t0) == .milliseconds(200))
        #expect(backoff.remainingDelay(now: t0.advanced(by: .milliseconds(150))) == .milliseconds(50))
        #expect(backoff.remainingDelay(now: t0.advanced(by: .seconds(1))) == .zero)
        backoff.recordSuccess()
        #expect(backoff.consecutiveFailures == 0)
        #expect(backoff.remainingDelay(now: t0) == .zero)
    }
}

@Suite(.timeLimit(.minutes(5))) struct RetryPolicyTests {
    @Test func backoffGrowsToTheMaximumWithJitter() {
        let policy = RetryPolicy(backoff: .milliseconds(100), backoffMax: .seconds(1), retries: 5)
        #expect(policy.delay(beforeRetry: 1, random: 0.5) == .milliseconds(100))
        #expect(policy.delay(beforeRetry: 2, random: 0.5) == .milliseconds(200))
        #expect(policy.delay(beforeRetry: 10, random: 0.5) == .seconds(1))
        #expect(policy.delay(beforeRetry: 1, random: 0) == .milliseconds(80))
    }
}
