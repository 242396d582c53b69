import Testing

@testable import KafkaConsumer

struct SubscriptionStateTests {
    let a0 = TopicPartition(topic: "a", partition: 0)
    let a1 = TopicPartition(topic: "a", partition: 1)
    let b0 = TopicPartition(topic: "b", partition: 0)

    @Test func assignKeepsPositionsOfKeptPartitions() throws {
        var state = SubscriptionState()
        state.assign([a0, a1])
        #expect(state.partitionsAwaitingPosition == [a0, a1])
        try state.seek(a0, to: 42, leaderEpoch: 3)
        try state.pause([a0])
        state.assign([a0, b0])
        #expect(state.assignedPartitions == [a0, b0])
        #expect(state.position(a0) == FetchPosition(offset: 42, leaderEpoch: 3))
        #expect(state.isPaused(a0))
        #expect(state.position(b0) == nil)
        #expect(!state.isAssigned(a1))
        #expect(state.partitionsAwaitingPosition == [b0])
    }

    @Test func fetchableNeedsPositionNotPausedNoReset() throws {
        var state = SubscriptionState()
        state.assign([a0, a1, b0])
        try state.seek(a0, to: 1)
        try state.seek(a1, to: 2)
        try state.seek(b0, to: 3)
        try state.pause([a1])
        try state.requestReset(b0, to: .earliest)
        #expect(state.fetchablePartitions.map(\.0) == [a0])
        #expect(state.isFetchable(a0) && !state.isFetchable(a1) && !state.isFetchable(b0))
        try state.resume([a1])
        #expect(state.fetchablePartitions.map(\.0) == [a0, a1])
        #expect(state.pausedPartitions.isEmpty)
    }

    @Test func seekToBeginningEndAndCompleteReset() throws {
        var state = SubscriptionState()
        state.assign([a0, a1])
        try state.seek(a0, to: 10)
        try state.seekToBeginning([a0])
        try state.seekToEnd([a1])
        #expect(!state.isFetchable(a0))
        let needing = state.partitionsNeedingReset()
        #expect(needing.resets.map(\.0) == [a0, a1])
        #expect(needing.resets.map(\.1) == [.earliest, .latest])
        // A reset answered for a different target is stale.
        let result1 = state.completeReset(a0, requested: .latest, offset: 99)
        #expect(!result1)
        let result2 = state.completeReset(a0, requested: .earliest, offset: 0, leaderEpoch: 2)
        #expect(result2)
        #expect(state.position(a0) == FetchPosition(offset: 0, leaderEpoch: 2))
        #expect(state.isFetchable(a0))
        // A seek cancels a pending reset; the late ListOffsets answer is then ignored.
        try state.seek(a1, to: 5)
        let result3 = state.completeReset(a1, requested: .latest, offset: 100)
        #expect(!result3)
        #expect(state.position(a1)?.offset == 5)
        try state.requestReset(a1, to: .timestamp(1_700_000_000_000))
        #expect(state.partitionsNeedingReset().resets.first?.1.listOffsetsTimestamp == 1_700_000_000_000)
    }

    @Test func defaultResetStrategies() throws {
        var earliest = SubscriptionState(defaultResetStrategy: .earliest)
        earliest.assign([a0])
        try earliest.requestReset(a0)
        #expect(earliest.partitionsNeedingReset().resets.map(\.1) == [.earliest])

        var none = SubscriptionState(defaultResetStrategy: .none)
        none.assign([a0])
        try none.requestReset(a0)
        #expect(none.partitionsNeedingReset().resets.isEmpty)
        #expect(none.partitionsNeedingReset().withoutPolicy == [a0])
        #expect(!none.isFetchable(a0))
        #expect(none.partitionsAwaitingPosition.isEmpty)
        try none.seek(a0, to: 3)
        #expect(none.partitionsNeedingReset().withoutPolicy.isEmpty)
        #expect(none.isFetchable(a0))
    }

    @Test func operationsOnUnassignedPartitionsThrow() {
        var state = SubscriptionState()
        state.assign([a0])
        #expect(throws: SubscriptionState.NotAssignedError(partition: b0)) { try state.seek(b0, to: 1) }
        #expect(throws: SubscriptionState.NotAssignedError.self) { try state.pause([b0]) }
        #expect(throws: SubscriptionState.NotAssignedError.self) { try state.requestReset(b0) }
        let result4 = state.updatePosition(b0, to: FetchPosition(offset: 1))
        #expect(!result4)
    }

    @Test func updatePositionIgnoredDuringReset() throws {
        var state = SubscriptionState()
        state.assign([a0])
        try state.seek(a0, to: 0)
        let result5 = state.updatePosition(a0, to: FetchPosition(offset: 10, leaderEpoch: 1))
        #expect(result5)
        #expect(state.position(a0)?.offset == 10)
        try state.seekToEnd([a0])
        let result6 = state.updatePosition(a0, to: FetchPosition(offset: 20))
        #expect(!result6)
        #expect(state.position(a0)?.offset == 10)
    }

    @Test func lagUsesHighWatermarkOrLastStableOffset() throws {
        var uncommitted = SubscriptionState()
        uncommitted.assign([a0])
        #expect(uncommitted.lag(a0) == nil)
        try uncommitted.seek(a0, to: 40)
        #expect(uncommitted.lag(a0) == nil)
        uncommitted.updateFetchMetadata(a0, highWatermark: 100, lastStableOffset: 90, logStartOffset: 5)
        #expect(uncommitted.lag(a0) == 60)
        #expect(uncommitted.lead(a0) == 35)
        // Unknown values (-1) keep what was known.
        uncommitted.updateFetchMetadata(a0, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1)
        #expect(uncommitted.lag(a0) == 60)
        try uncommitted.seek(a0, to: 150)
        #expect(uncommitted.lag(a0) == 0)

        var committed = SubscriptionState(isolationLevel: .readCommitted)
        committed.assign([a0])
        try committed.seek(a0, to: 40)
        committed.updateFetchMetadata(a0, highWatermark: 100, lastStableOffset: 90, logStartOffset: 5)
        #expect(committed.lag(a0) == 50)
    }
}
