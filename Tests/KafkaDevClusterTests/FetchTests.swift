import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

/// Batches, appends and requests shared by the fetch test suites.
enum FetchFixtures {
    static let timestamp: Int64 = 1_700_000_000_000

    /// A v2 batch of `records` records with `valueSize`-byte values.
    static func batch(records: Int, valueSize: Int = 100) throws -> ByteBuffer {
        var builder = RecordBatchBuilder()
        for index in 0..<records {
            try builder.append(
                key: nil, value: ByteBuffer(repeating: UInt8(index & 0xFF), count: valueSize), timestamp: timestamp)
        }
        return try builder.finish()
    }

    /// Appends a batch of `records` records to a partition; returns the batch size in bytes.
    @discardableResult
    static func append(
        _ state: inout ClusterState, _ topic: String, _ partition: Int32, records: Int, valueSize: Int = 100
    ) throws -> Int {
        let bytes = try batch(records: records, valueSize: valueSize)
        let appended: Int64? = state.withPartition(topic, partition) {
            $0.log.append(
                batch: bytes, lastOffsetDelta: Int32(records - 1), leaderEpoch: $0.leaderEpoch,
                maxTimestamp: timestamp)
        }
        #expect(appended != nil)
        return bytes.readableBytes
    }

    /// A fetch of `partitions` (index, offset) of one topic, by name below v13 and by id from v13.
    static func request(
        _ topic: String, id: KafkaUUID = .zero, partitions: [(Int32, Int64)], version: Int16,
        maxBytes: Int32 = .max, partitionMaxBytes: Int32 = 1 << 20, maxWaitMs: Int32 = 0, minBytes: Int32 = 0,
        isolationLevel: Int8 = 0, sessionID: Int32 = 0, epoch: Int32 = -1, currentLeaderEpoch: Int32 = -1
    ) -> FetchRequest {
        var request = FetchRequest()
        request.maxWaitMs = maxWaitMs
        request.minBytes = minBytes
        if version >= 3 { request.maxBytes = maxBytes }
        if version >= 4 { request.isolationLevel = isolationLevel }
        if version >= 7 {
            request.sessionId = sessionID
            request.sessionEpoch = epoch
        }
        var fetchTopic = FetchRequest.FetchTopic()
        if version >= 13 { fetchTopic.topicId = id } else { fetchTopic.topic = topic }
        fetchTopic.partitions = partitions.map { index, offset in
            FetchRequest.FetchPartition(
                partition: index, currentLeaderEpoch: version >= 9 ? currentLeaderEpoch : -1, fetchOffset: offset,
                partitionMaxBytes: partitionMaxBytes)
        }
        request.topics = partitions.isEmpty ? [] : [fetchTopic]
        return request
    }

    /// The batches of a records buffer as (base offset, last offset).
    static func offsets(_ records: ByteBuffer?) throws -> [ClosedRange<Int64>] {
        guard let records else { return [] }
        var reader = RecordBatchReader(records)
        return try reader.collect().compactMap { entry in
            if case .batch(let batch) = entry { return batch.baseOffset...batch.lastOffset }
            return nil
        }
    }

    /// The answers of a response by partition index (over all topics).
    static func partitions(_ response: FetchResponse) -> [Int32: FetchResponse.PartitionData] {
        var result: [Int32: FetchResponse.PartitionData] = [:]
        for topic in response.responses {
            for partition in topic.partitions { result[partition.partitionIndex] = partition }
        }
        return result
    }

    /// A one-broker cluster with topic `t` of `partitions` partitions.
    static func harness(brokers: Int = 1, partitions: Int32 = 1) -> HandlerHarness {
        var harness = HandlerHarness(brokers: brokers)
        harness.state.createTopic("t", partitions: partitions, replicationFactor: 1)
        return harness
    }
}

@Suite(.timeLimit(.minutes(5))) struct FetchTests {
    typealias F = FetchFixtures

    @Test(arguments: [Int16(0), 4, 11, 12, 13, 17])
    func returnsTheAppendedBatches(version: Int16) throws {
        var harness = F.harness()
        try F.append(&harness.state, "t", 0, records: 3)
        try F.append(&harness.state, "t", 0, records: 2)
        let id = try #require(harness.state.topics["t"]).id
        let response = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 0)], version: version), version: version)
        #expect(response.errorCode == 0)
        #expect(response.sessionId == 0)
        let topic = try #require(response.responses.first)
        if version >= 13 { #expect(topic.topicId == id) } else { #expect(topic.topic == "t") }
        let partition = try #require(topic.partitions.first)
        #expect(partition.errorCode == 0)
        #expect(partition.highWatermark == 5)
        #expect(partition.lastStableOffset == (version >= 4 ? 5 : -1))
        #expect(partition.logStartOffset == (version >= 5 ? 0 : -1))
        #expect(partition.preferredReadReplica == -1)
        if version >= 4 { #expect(partition.abortedTransactions == nil) }
        #expect(try F.offsets(partition.records) == [0...2, 3...4])

        // From the middle of the second batch: the whole batch holding the offset.
        let middle = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 4)], version: version), version: version)
        #expect(try F.offsets(F.partitions(middle)[0]?.records) == [3...4])
        // At the high watermark: nothing, no error.
        let end = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 5)], version: version), version: version)
        #expect(F.partitions(end)[0]?.errorCode == 0)
        #expect(F.partitions(end)[0]?.records?.readableBytes == 0)
    }

    @Test func partitionMaxBytesLimitsWholeBatchesAndKeepsTheFirst() throws {
        var harness = F.harness()
        let size = try F.append(&harness.state, "t", 0, records: 2)
        try F.append(&harness.state, "t", 0, records: 2)
        try F.append(&harness.state, "t", 0, records: 2)
        let two = try harness.respond(
            FetchHandler.self, F.request("t", partitions: [(0, 0)], version: 4, partitionMaxBytes: Int32(2 * size + 1)),
            version: 4)
        #expect(try F.offsets(F.partitions(two)[0]?.records) == [0...1, 2...3])
        // KIP-74: the first batch comes even when larger than the limit.
        let one = try harness.respond(
            FetchHandler.self, F.request("t", partitions: [(0, 0)], version: 4, partitionMaxBytes: 1), version: 4)
        #expect(try F.offsets(F.partitions(one)[0]?.records) == [0...1])
        // Version 0 (no KIP-74): the first bytes of the first batch, as Kafka.
        let truncated = try harness.respond(
            FetchHandler.self, F.request("t", partitions: [(0, 0)], version: 0, partitionMaxBytes: 20), version: 0)
        #expect(F.partitions(truncated)[0]?.records?.readableBytes == 20)
    }

    @Test(arguments: [Int16(4), 17])
    func responseMaxBytesLimitsAllPartitions(version: Int16) throws {
        var harness = F.harness(partitions: 2)
        let size = try F.append(&harness.state, "t", 0, records: 2)
        try F.append(&harness.state, "t", 0, records: 2)
        try F.append(&harness.state, "t", 1, records: 2)
        let id = try #require(harness.state.topics["t"]).id
        let limited = try harness.respond(
            FetchHandler.self,
            F.request("t", id: id, partitions: [(0, 0), (1, 0)], version: version, maxBytes: Int32(size + 1)),
            version: version)
        #expect(try F.offsets(F.partitions(limited)[0]?.records) == [0...1])
        #expect(F.partitions(limited)[1]?.records?.readableBytes == 0)
        #expect(F.partitions(limited)[1]?.highWatermark == 2)
        // KIP-74: the first partition with data gets its first batch even above maxBytes.
        let tiny = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 0), (1, 0)], version: version, maxBytes: 1),
            version: version)
        #expect(try F.offsets(F.partitions(tiny)[0]?.records) == [0...1])
        #expect(F.partitions(tiny)[1]?.records?.readableBytes == 0)
        // The rule applies to the first partition that has data, not the first requested.
        let skipEmpty = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 4), (1, 0)], version: version, maxBytes: 1),
            version: version)
        #expect(try F.offsets(F.partitions(skipEmpty)[1]?.records) == [0...1])
    }

    @Test(arguments: [Int16(0), 12, 17])
    func offsetOutOfRange(version: Int16) throws {
        var harness = F.harness()
        try F.append(&harness.state, "t", 0, records: 3)
        try F.append(&harness.state, "t", 0, records: 3)
        let id = try #require(harness.state.topics["t"]).id
        let beyond = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 7)], version: version), version: version)
        let partition = try #require(F.partitions(beyond)[0])
        #expect(partition.errorCode == KafkaErrorCode.offsetOutOfRange.rawValue)
        #expect(partition.highWatermark == -1)
        #expect(partition.records?.readableBytes == 0)
        harness.state.withPartition("t", 0) { $0.log.deleteRecords(before: 3) }
        let before = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 2)], version: version), version: version)
        #expect(F.partitions(before)[0]?.errorCode == KafkaErrorCode.offsetOutOfRange.rawValue)
        let start = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 3)], version: version), version: version)
        #expect(try F.offsets(F.partitions(start)[0]?.records) == [3...5])
    }

    @Test(arguments: [Int16(0), 12, 16, 17])
    func nonLeaderAndUnknownPartitions(version: Int16) throws {
        var harness = F.harness(brokers: 2, partitions: 2)
        let leader = try #require(harness.state.partition("t", 0)).leader
        let other: Int32 = leader == 1 ? 2 : 1
        let id = try #require(harness.state.topics["t"]).id
        let response = try harness.respond(
            FetchHandler.self, F.request("t", id: id, partitions: [(0, 0), (9, 0)], version: version),
            version: version, broker: other)
        let answers = F.partitions(response)
        #expect(answers[0]?.errorCode == KafkaErrorCode.notLeaderOrFollower.rawValue)
        #expect(answers[9]?.errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
        if version >= 16 {
            #expect(answers[0]?.currentLeader.leaderId == leader)
            #expect(answers[0]?.currentLeader.leaderEpoch == 0)
            #expect(response.nodeEndpoints.map(\.nodeId) == [leader])
        } else {
            #expect(response.nodeEndpoints.isEmpty)
        }
        if version < 13 {
            let unknown = try harness.respond(
                FetchHandler.self, F.request("nope", partitions: [(0, 0)], version: version), version: version)
            #expect(F.partitions(unknown)[0]?.errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
        }
    }

    @Test(arguments: [Int16(13), 17])
    func unknownTopicID(version: Int16) throws {
        var harness = F.harness()
        let unknown = KafkaUUID(high: 1, low: 2)
        let response = try harness.respond(
            FetchHandler.self, F.request("", id: unknown, partitions: [(0, 0)], version: version), version: version)
        #expect(response.responses.first?.topicId == unknown)
        #expect(F.partitions(response)[0]?.errorCode == KafkaErrorCode.unknownTopicId.rawValue)
    }

    @Test func currentLeaderEpochIsChecked() throws {
        var harness = F.harness()
        harness.state.withPartition("t", 0) { $0.leaderEpoch = 3 }
        func code(_ epoch: Int32, version: Int16 = 9) throws -> Int16? {
            let response = try harness.respond(
                FetchHandler.self, F.request("t", partitions: [(0, 0)], version: version, currentLeaderEpoch: epoch),
                version: version)
            return F.partitions(response)[0]?.errorCode
        }
        #expect(try code(4) == KafkaErrorCode.unknownLeaderEpoch.rawValue)
        #expect(try code(2) == KafkaErrorCode.fencedLeaderEpoch.rawValue)
        #expect(try code(3) == 0)
        #expect(try code(-1) == 0)
        #expect(try code(2, version: 8) == 0)  // Not sent before v9.
    }

    @Test(arguments: [Int16(4), 12])
    func readCommittedStopsAtTheLastStableOffset(version: Int16) throws {
        var harness = F.harness()
        try F.append(&harness.state, "t", 0, records: 2)
        try F.append(&harness.state, "t", 0, records: 2)
        let response = try harness.respond(
            FetchHandler.self, F.request("t", partitions: [(0, 0)], version: version, isolationLevel: 1),
            version: version)
        let partition = try #require(F.partitions(response)[0])
        #expect(partition.abortedTransactions == [])
        #expect(partition.lastStableOffset == 4)
        #expect(try F.offsets(partition.records) == [0...1, 2...3])
        // The read itself leaves out batches starting at or after the bound.
        let log = try #require(harness.state.partition("t", 0)).log
        var builder = FetchResponseBuilder(
            request: F.request("t", partitions: [], version: version, isolationLevel: 1), version: version, broker: 1)
        #expect(try F.offsets(builder.read(log, from: 0, partitionMaxBytes: 1 << 20, before: 2)) == [0...1])
        #expect(builder.read(log, from: 2, partitionMaxBytes: 1 << 20, before: 2).readableBytes == 0)
        #expect(log.fetchableBytes(from: 0, before: 2, cap: .max) == log.batches[0].bytes.readableBytes)
    }

    @Test func aLongLogIsReadInStepsEveryOffsetOnce() throws {
        var harness = F.harness()
        for _ in 0..<300 { try F.append(&harness.state, "t", 0, records: 100) }
        let id = try #require(harness.state.topics["t"]).id
        var offset: Int64 = 0
        var requests = 0
        while offset < 30_000 {
            let request = F.request("t", id: id, partitions: [(0, offset)], version: 17, partitionMaxBytes: 1 << 20)
            guard case .respond(let response) = harness.reply(FetchHandler.self, request, version: 17) else {
                Issue.record("expected an answer")
                return
            }
            let batches = try F.offsets(
                try HandlerHarness.roundTrip(response, version: 17).responses.first?.partitions.first?.records)
            let first = try #require(batches.first)
            #expect(first.lowerBound == offset)
            for (previous, next) in zip(batches, batches.dropFirst()) {
                #expect(next.lowerBound == previous.upperBound + 1)
            }
            offset = try #require(batches.last).upperBound + 1
            requests += 1
        }
        #expect(offset == 30_000)
        #expect(requests == 4)
    }

    @Test func invalidIsolationLevelFailsTheRequest() throws {
        var harness = F.harness()
        let response = try harness.respond(
            FetchHandler.self, F.request("t", partitions: [(0, 0)], version: 11, isolationLevel: 7), version: 11)
        #expect(response.errorCode == KafkaErrorCode.unknownServerError.rawValue)
        #expect(F.partitions(response)[0]?.errorCode == KafkaErrorCode.unknownServerError.rawValue)
    }

    @Test(arguments: [Int16(0), 7, 13, 17])
    func errorResponseReportsEveryPartition(version: Int16) throws {
        let harness = F.harness()
        let id = KafkaUUID(high: 5, low: 6)
        let request = F.request("t", id: id, partitions: [(0, 0), (1, 0)], version: version)
        let response = try HandlerHarness.roundTrip(
            FetchHandler.errorResponse(
                to: request, error: .notLeaderOrFollower, context: harness.context(version: version)),
            version: version)
        #expect(response.errorCode == (version >= 7 ? KafkaErrorCode.notLeaderOrFollower.rawValue : 0))
        let answers = F.partitions(response)
        #expect(answers.count == 2)
        #expect(answers.values.allSatisfy { $0.errorCode == KafkaErrorCode.notLeaderOrFollower.rawValue })
        if version >= 13 { #expect(response.responses.first?.topicId == id) }
    }
}

@Suite(.timeLimit(.minutes(5))) struct FetchParkTests {
    typealias F = FetchFixtures

    @Test(arguments: [Int16(4), 17])
    func parksUntilDataArrives(version: Int16) throws {
        var harness = F.harness()
        let id = try #require(harness.state.topics["t"]).id
        let request = F.request("t", id: id, partitions: [(0, 0)], version: version, maxWaitMs: 500, minBytes: 1)
        guard case .park(let deadline, let poll) = harness.reply(FetchHandler.self, request, version: version) else {
            Issue.record("expected a parked fetch")
            return
        }
        #expect(deadline == harness.now + 500)
        #expect(poll(&harness.state, harness.now + 10, false) == nil)
        try F.append(&harness.state, "t", 0, records: 3)
        let response = try #require(poll(&harness.state, harness.now + 20, false))
        let decoded = try HandlerHarness.roundTrip(response, version: version)
        #expect(try F.offsets(F.partitions(decoded)[0]?.records) == [0...2])
        #expect(F.partitions(decoded)[0]?.highWatermark == 3)
    }

    @Test func answersEmptyAtExpiry() throws {
        var harness = F.harness()
        let request = F.request("t", partitions: [(0, 0)], version: 11, maxWaitMs: 100, minBytes: 1)
        guard case .park(_, let poll) = harness.reply(FetchHandler.self, request, version: 11) else {
            Issue.record("expected a parked fetch")
            return
        }
        let response = try #require(poll(&harness.state, harness.now + 100, true))
        let partition = try #require(F.partitions(HandlerHarness.roundTrip(response, version: 11))[0])
        #expect(partition.errorCode == 0)
        #expect(partition.records?.readableBytes == 0)
        #expect(partition.highWatermark == 0)
    }

    @Test func waitsForMinBytesAndAnswersAtOnceOnErrorsOrNoWait() throws {
        var harness = F.harness()
        let size = try F.append(&harness.state, "t", 0, records: 1)
        let request = F.request("t", partitions: [(0, 0)], version: 11, maxWaitMs: 100, minBytes: Int32(size + 1))
        guard case .park(_, let poll) = harness.reply(FetchHandler.self, request, version: 11) else {
            Issue.record("expected a parked fetch")
            return
        }
        #expect(poll(&harness.state, harness.now, false) == nil)
        try F.append(&harness.state, "t", 0, records: 1)
        let response = try #require(poll(&harness.state, harness.now, false))
        #expect(try F.offsets(F.partitions(response)[0]?.records) == [0...0, 1...1])

        // No wait, or a partition error: an immediate answer.
        let noWait = F.request("t", partitions: [(0, 2)], version: 11, maxWaitMs: 0, minBytes: 1)
        #expect(try F.partitions(harness.respond(FetchHandler.self, noWait, version: 11))[0]?.errorCode == 0)
        let failing = F.request("t", partitions: [(0, 2), (5, 0)], version: 11, maxWaitMs: 100, minBytes: 1)
        let answer = try harness.respond(FetchHandler.self, failing, version: 11)
        #expect(F.partitions(answer)[5]?.errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
    }

    @Test func aLeaderChangeWhileParkedAnswersWithTheError() throws {
        var harness = F.harness(brokers: 2)
        let leader = try #require(harness.state.partition("t", 0)).leader
        let request = F.request("t", partitions: [(0, 0)], version: 12, maxWaitMs: 1000, minBytes: 1)
        guard case .park(_, let poll) = harness.reply(FetchHandler.self, request, version: 12, broker: leader) else {
            Issue.record("expected a parked fetch")
            return
        }
        harness.state.withPartition("t", 0) {
            $0.leader = leader == 1 ? 2 : 1
            $0.leaderEpoch += 1
        }
        let response = try #require(poll(&harness.state, harness.now, false))
        #expect(F.partitions(response)[0]?.errorCode == KafkaErrorCode.notLeaderOrFollower.rawValue)
    }
}
