import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaDevCluster

@Suite(.timeLimit(.minutes(5))) struct DeleteRecordsTests {
    typealias S = ProduceTestSupport

    /// t-0 with offsets 0-2, 3-4 and 5.
    static func harness(configs: [String: String] = [:]) throws -> HandlerHarness {
        var harness = S.harness(configs: configs)
        _ = try S.produce(&harness, S.batch(count: 3))
        _ = try S.produce(&harness, S.batch(count: 2))
        _ = try S.produce(&harness, S.batch(count: 1))
        return harness
    }

    static func delete(
        _ harness: inout HandlerHarness, _ offset: Int64, partition: Int32 = 0, version: Int16 = 2, broker: Int32 = 1
    ) throws -> DeleteRecordsResponse.DeleteRecordsPartitionResult {
        let request = DeleteRecordsRequest(
            topics: [.init(name: "t", partitions: [.init(partitionIndex: partition, offset: offset)])], timeoutMs: 1000)
        let response = try harness.respond(DeleteRecordsHandler.self, request, version: version, broker: broker)
        return try #require(response.topics.first?.partitions.first)
    }

    @Test(arguments: [Int16(0), 2])
    func movesTheLogStart(version: Int16) throws {
        var harness = try Self.harness()
        let answer = try Self.delete(&harness, 4, version: version)
        #expect(answer.errorCode == 0)
        #expect(answer.lowWatermark == 4)
        let log = try #require(harness.state.partition("t", 0)?.log)
        #expect(log.logStartOffset == 4)
        #expect(log.batches.map(\.baseOffset) == [3, 5])
        #expect(log.read(from: 0, maxBytes: 1 << 20, minOneBatch: true).first?.baseOffset == 3)
        // An offset below the log start changes nothing.
        let again = try Self.delete(&harness, 1, version: version)
        #expect(again.errorCode == 0)
        #expect(again.lowWatermark == 4)
        // -1 is the high watermark.
        let all = try Self.delete(&harness, -1, version: version)
        #expect(all.lowWatermark == 6)
        #expect(harness.state.partition("t", 0)?.log.batches.isEmpty == true)
        // Produce continues at the log end.
        #expect(try S.produce(&harness, S.batch()).baseOffset == 6)
    }

    @Test(arguments: [Int16(0), 2])
    func outOfRange(version: Int16) throws {
        var harness = try Self.harness()
        for offset in [Int64(7), -2, Int64.min, Int64.max] {
            let answer = try Self.delete(&harness, offset, version: version)
            #expect(answer.errorCode == KafkaErrorCode.offsetOutOfRange.rawValue)
            #expect(answer.lowWatermark == -1)
        }
        #expect(try Self.delete(&harness, 6, version: version).lowWatermark == 6)
    }

    @Test(arguments: [Int16(0), 2])
    func accessErrors(version: Int16) throws {
        var harness = try Self.harness()
        let follower = try Self.delete(&harness, 1, version: version, broker: 2)
        #expect(follower.errorCode == KafkaErrorCode.notLeaderOrFollower.rawValue)
        #expect(follower.lowWatermark == -1)
        let unknown = try Self.delete(&harness, 1, partition: 5, version: version)
        #expect(unknown.errorCode == KafkaErrorCode.unknownTopicOrPartition.rawValue)
        #expect(harness.state.partition("t", 0)?.log.logStartOffset == 0)
    }

    @Test func compactedTopicsRefuse() throws {
        var compacted = try Self.harness(configs: ["cleanup.policy": "compact"])
        #expect(try Self.delete(&compacted, 1).errorCode == KafkaErrorCode.policyViolation.rawValue)
        var both = try Self.harness(configs: ["cleanup.policy": "compact, delete"])
        #expect(try Self.delete(&both, 1).lowWatermark == 1)
    }

    @Test(arguments: [Int16(0), 2])
    func errorResponse(version: Int16) throws {
        let request = DeleteRecordsRequest(topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, offset: 1), .init(partitionIndex: 1, offset: 2)]),
            .init(name: "u", partitions: [.init(partitionIndex: 0, offset: 1)]),
        ])
        let harness = S.harness()
        let response = DeleteRecordsHandler.errorResponse(
            to: request, error: .requestTimedOut, context: harness.context(version: version))
        let decoded = try HandlerHarness.roundTrip(response, version: version)
        let results = decoded.topics.flatMap(\.partitions)
        #expect(results.map(\.errorCode) == Array(repeating: KafkaErrorCode.requestTimedOut.rawValue, count: 3))
        #expect(results.map(\.lowWatermark) == [-1, -1, -1])
    }
}
