import Testing

@testable import KafkaNetwork

/// Coalescing of concurrent metadata refreshes: one request in flight, covered and uncovered callers, the single
/// follow-up request, failures and cancellation.
@Suite(.timeLimit(.minutes(5))) struct MetadataRefreshStateMachineTests {
    typealias Machine = MetadataRefreshStateMachine

    @Test func manyConcurrentCallersShareOneRequest() {
        var machine = Machine()
        #expect(!machine.isRequestInFlight)
        #expect(machine.requestRefresh(topics: ["a", "b"], waiter: 0) == .startRequest(topics: ["a", "b"]))
        #expect(machine.isRequestInFlight)
        for waiter in 1...5 {
            #expect(machine.requestRefresh(topics: ["a"], waiter: waiter) == .wait)
        }
        #expect(machine.requestRefresh(topics: ["a", "b"], waiter: 6) == .wait)
        #expect(machine.requestRefresh(topics: [], waiter: 7) == .wait)
        #expect(machine.requestSucceeded() == .resume(waiters: [0, 1, 2, 3, 4, 5, 6, 7]))
        #expect(!machine.isRequestInFlight)
        #expect(machine.waiterCount == 0)
        // Idle again: the next caller starts a new request.
        #expect(machine.requestRefresh(topics: ["a"], waiter: 8) == .startRequest(topics: ["a"]))
    }

    @Test func allTopicsRequestCoversEverything() {
        var machine = Machine()
        #expect(machine.requestRefresh(topics: nil, waiter: 0) == .startRequest(topics: nil))
        #expect(machine.requestRefresh(topics: ["x", "y"], waiter: 1) == .wait)
        #expect(machine.requestRefresh(topics: nil, waiter: 2) == .wait)
        #expect(machine.requestSucceeded() == .resume(waiters: [0, 1, 2]))
    }

    @Test func uncoveredTopicsGetOneFollowUpWithTheUnion() {
        var machine = Machine()
        #expect(machine.requestRefresh(topics: ["a"], waiter: 0) == .startRequest(topics: ["a"]))
        #expect(machine.requestRefresh(topics: ["b"], waiter: 1) == .wait)
        #expect(machine.requestRefresh(topics: ["a"], waiter: 2) == .wait)  // covered: rides the current request
        #expect(machine.requestRefresh(topics: ["c", "a"], waiter: 3) == .wait)
        #expect(machine.requestSucceeded() == .resumeAndStart(waiters: [0, 2], next: ["a", "b", "c"]))
        #expect(machine.isRequestInFlight)
        // While the follow-up is in flight, its topics are covered.
        #expect(machine.requestRefresh(topics: ["b"], waiter: 4) == .wait)
        #expect(machine.requestSucceeded() == .resume(waiters: [1, 3, 4]))
        #expect(!machine.isRequestInFlight)
    }

    @Test func queuedAllTopicsRequestWidensTheFollowUp() {
        var machine = Machine()
        _ = machine.requestRefresh(topics: ["a"], waiter: 0)
        #expect(machine.requestRefresh(topics: ["b"], waiter: 1) == .wait)
        #expect(machine.requestRefresh(topics: nil, waiter: 2) == .wait)
        #expect(machine.requestRefresh(topics: ["c"], waiter: 3) == .wait)
        #expect(machine.requestSucceeded() == .resumeAndStart(waiters: [0], next: nil))
        #expect(machine.requestSucceeded() == .resume(waiters: [1, 2, 3]))
    }

    @Test func failureResumesWaitersAndStillStartsTheFollowUp() {
        var machine = Machine()
        _ = machine.requestRefresh(topics: ["a"], waiter: 0)
        _ = machine.requestRefresh(topics: ["a"], waiter: 1)
        _ = machine.requestRefresh(topics: ["b"], waiter: 2)
        #expect(machine.requestFailed() == .resumeAndStart(waiters: [0, 1], next: ["b"]))
        #expect(machine.requestFailed() == .resume(waiters: [2]))
        #expect(!machine.isRequestInFlight)
        // A failure leaves the machine usable.
        #expect(machine.requestRefresh(topics: ["a"], waiter: 3) == .startRequest(topics: ["a"]))
    }

    @Test func cancelRemovesWaiters() {
        var machine = Machine()
        _ = machine.requestRefresh(topics: ["a"], waiter: 0)
        _ = machine.requestRefresh(topics: ["a"], waiter: 1)
        _ = machine.requestRefresh(topics: ["b"], waiter: 2)
        _ = machine.requestRefresh(topics: ["c"], waiter: 3)
        let first = machine.cancel(waiter: 1)
        let again = machine.cancel(waiter: 1)
        let unknown = machine.cancel(waiter: 99)
        let queued = machine.cancel(waiter: 2)
        #expect(first)
        #expect(!again)  // already gone
        #expect(!unknown)
        #expect(queued)
        // The request stays in flight for its owner; the follow-up only asks for what is still wanted.
        #expect(machine.isRequestInFlight)
        #expect(machine.requestSucceeded() == .resumeAndStart(waiters: [0], next: ["c"]))
        #expect(machine.requestSucceeded() == .resume(waiters: [3]))
    }

    @Test func followUpNobodyWaitsForIsDropped() {
        var machine = Machine()
        _ = machine.requestRefresh(topics: ["a"], waiter: 0)
        _ = machine.requestRefresh(topics: ["b"], waiter: 1)
        let cancelled = machine.cancel(waiter: 1)
        #expect(cancelled)
        #expect(machine.requestSucceeded() == .resume(waiters: [0]))
        #expect(!machine.isRequestInFlight)
    }

    @Test func cancellingTheStarterKeepsTheRequestInFlight() {
        var machine = Machine()
        _ = machine.requestRefresh(topics: ["a"], waiter: 0)
        let cancelled = machine.cancel(waiter: 0)
        #expect(cancelled)
        #expect(machine.isRequestInFlight)
        #expect(machine.requestRefresh(topics: ["a"], waiter: 1) == .wait)
        #expect(machine.requestFailed() == .resume(waiters: [1]))
    }

    @Test func duplicateWaiterIDIsRegisteredOnce() {
        var machine = Machine()
        _ = machine.requestRefresh(topics: ["a"], waiter: 0)
        #expect(machine.requestRefresh(topics: ["b"], waiter: 1) == .wait)
        #expect(machine.requestRefresh(topics: ["b"], waiter: 1) == .wait)
        #expect(machine.requestRefresh(topics: ["a"], waiter: 0) == .wait)
        #expect(machine.waiterCount == 2)
        #expect(machine.requestSucceeded() == .resumeAndStart(waiters: [0], next: ["b"]))
        #expect(machine.requestSucceeded() == .resume(waiters: [1]))
    }

    @Test func completionWithoutARequestIsHarmless() {
        var machine = Machine()
        #expect(machine.requestSucceeded() == .resume(waiters: []))
        #expect(machine.requestFailed() == .resume(waiters: []))
        #expect(!machine.isRequestInFlight)
    }
}
