import Foundation
import KafkaProtocol
import KafkaTestSupport
import Testing

@testable import KafkaDevCluster

/// `dataDirectory`: topics, logs and committed offsets survive a restart.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DataDirectoryTests {
    static func start(_ directory: String) async throws -> DevCluster {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 2
        configuration.dataDirectory = directory
        return try await DevCluster(configuration: configuration)
    }

    @Test func topicsLogsAndOffsetsSurviveARestart() async throws {
        let directory = NSTemporaryDirectory() + "dev-cluster-data-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await Self.start(directory)
        try first.createTopic("kept", partitions: 2, configs: ["retention.ms": "1000"])
        try first.createTopic("dropped", partitions: 1)
        let lines = (0..<40).map { "line-\($0)" }
        // A random partition per record (librdkafka's sticky partitioner would put a run of records on one), so
        // that both partitions of "kept" have a log file; "dropped" gets one too, removed once it is deleted.
        let spread = ["sticky.partitioning.linger.ms": "0"]
        try await Kcat.produce(
            bootstrap: first.bootstrapServers, topic: "kept", lines: Array(lines[0..<20]), extraProperties: spread)
        try await Kcat.produce(bootstrap: first.bootstrapServers, topic: "dropped", lines: ["gone"])
        try first.save()  // a save in the middle: the second one appends only what is new
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/logs").count == 3)
        try await Kcat.produce(
            bootstrap: first.bootstrapServers, topic: "kept", lines: Array(lines[20...]), extraProperties: spread)
        let (topicID, committed) = first.core.mutate { state -> (KafkaUUID?, OffsetCommitResponse) in
            let coordinator = state.coordinator(type: 0, key: "readers")
            let request = OffsetCommitRequest(
                groupId: "readers", generationIdOrMemberEpoch: -1, memberId: "",
                topics: [
                    OffsetCommitRequest.OffsetCommitRequestTopic(
                        name: "kept",
                        partitions: [
                            OffsetCommitRequest.OffsetCommitRequestPartition(
                                partitionIndex: 1, committedOffset: 7, committedMetadata: "m")
                        ])
                ])
            let context = RequestContext(
                brokerID: coordinator, version: 8, clientID: "t", clientHost: "/127.0.0.1", now: 1)
            guard case .respond(let response) = OffsetCommitHandler.handle(request, in: &state, context: context)
            else { return (nil, OffsetCommitResponse()) }
            _ = state.topics.removeValue(forKey: "dropped")
            return (state.topics["kept"]?.id, response)
        }
        #expect(committed.topics.first?.partitions.first?.errorCode == 0)
        let before = try await Kcat.consume(bootstrap: first.bootstrapServers, topic: "kept")
        await first.shutdown()

        let second = try await Self.start(directory)
        #expect(second.topicNames == ["kept"])
        let after = try await Kcat.consume(bootstrap: second.bootstrapServers, topic: "kept")
        #expect(after.count == 40)
        #expect(
            Set(after.map { "\($0.partition)/\($0.offset)/\(String(decoding: $0.value ?? [], as: UTF8.self))" })
                == Set(before.map { "\($0.partition)/\($0.offset)/\(String(decoding: $0.value ?? [], as: UTF8.self))" })
        )
        let restored = second.core.state.withLockedValue { locked in
            (
                locked.cluster.topics["kept"]?.id, locked.cluster.topics["kept"]?.configs,
                locked.cluster.groups.groups["readers"]?.offsets["kept", 1]
            )
        }
        #expect(restored.0 == topicID)
        #expect(restored.1 == ["retention.ms": "1000"])
        #expect(restored.2?.offset == 7 && restored.2?.metadata == "m")
        // New records continue the restored offsets.
        try await Kcat.produce(bootstrap: second.bootstrapServers, topic: "kept", lines: ["more"])
        let total = (0..<2).compactMap { second.highWatermark(topic: "kept", partition: Int32($0)) }.reduce(0, +)
        #expect(total == 41)
        await second.shutdown()
        let logs = try FileManager.default.contentsOfDirectory(atPath: directory + "/logs")
        #expect(logs.count == 2)  // "dropped" is gone from the directory too
    }

    @Test func aTornTailIsDroppedAtLoad() async throws {
        let directory = NSTemporaryDirectory() + "dev-cluster-torn-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await Self.start(directory)
        try first.createTopic("t", partitions: 1)
        try await Kcat.produce(bootstrap: first.bootstrapServers, topic: "t", lines: ["a", "b", "c"])
        await first.shutdown()
        let logs = try FileManager.default.contentsOfDirectory(atPath: directory + "/logs")
        let file = directory + "/logs/" + (try #require(logs.first))
        let handle = try #require(FileHandle(forWritingAtPath: file))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 90, 1, 2]))  // half a batch
        try handle.close()
        let second = try await Self.start(directory)
        #expect(second.highWatermark(topic: "t", partition: 0) == 3)
        let records = try await Kcat.consume(bootstrap: second.bootstrapServers, topic: "t")
        #expect(records.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } } == ["a", "b", "c"])
        await second.shutdown()
    }

    @Test func anUnreadableDirectoryIsAClearError() async throws {
        let directory = NSTemporaryDirectory() + "dev-cluster-bad-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: directory + "/cluster.json"))
        let error = await #expect(throws: DevCluster.DevClusterError.self) { _ = try await Self.start(directory) }
        #expect(error?.description.contains("cannot load the data directory") == true)
    }
}
