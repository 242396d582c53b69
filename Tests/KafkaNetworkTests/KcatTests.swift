import NIOPosix
import Testing

@testable import KafkaTestSupport

/// The kcat wrapper the integration tests use as an independent consumer and producer, against librdkafka's mock
/// cluster. kcat is required: CI installs it, so a missing kcat fails these tests rather than skipping them.
@Suite(.timeLimit(.minutes(5))) struct KcatTests {
    static func requireKcat() throws {
        try #require(
            Kcat.path != nil,
            "kcat is not installed: install it (apt-get install kcat / brew install kcat) or set KCAT=/path/to/kcat")
    }

    @Test func produceThenConsumeRoundTripsKeysValuesAndOffsets() async throws {
        try Self.requireKcat()
        let cluster = try MockKafkaCluster(brokers: 3)
        let topic = "kcat-round-trip"
        try cluster.createTopic(topic, partitions: 3, replicationFactor: 3)

        // (line, expected key, expected value); every value is unique so records can be matched to lines.
        var cases: [(line: String, key: [UInt8]?, value: [UInt8]?)] = (0..<60).map { i in
            ("key-\(i % 7):value-\(i)", Array("key-\(i % 7)".utf8), Array("value-\(i)".utf8))
        }
        cases.append((":value-empty-key", [], Array("value-empty-key".utf8)))  // empty, not null, key
        cases.append(("value-no-delimiter", nil, Array("value-no-delimiter".utf8)))  // null key
        cases.append(("key-split:value:with:colons", Array("key-split".utf8), Array("value:with:colons".utf8)))
        cases.append(("key-\u{e9}:value-\u{1F600}", Array("key-\u{e9}".utf8), Array("value-\u{1F600}".utf8)))

        try await Kcat.produce(
            bootstrap: cluster.bootstrapServers, topic: topic, lines: cases.map(\.line), keyDelimiter: ":")
        let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: topic)

        #expect(records.count == cases.count)
        let expectedByValue = Dictionary(
            uniqueKeysWithValues: cases.enumerated().map { index, entry in (entry.value ?? [], (index, entry.key)) })
        var lastIndexByPartition: [Int32: Int] = [:]
        var offsetsByPartition: [Int32: [Int64]] = [:]
        for record in records {
            #expect(record.topic == topic)
            #expect((0..<3).contains(record.partition))
            #expect(record.headers.isEmpty)
            #expect(record.timestamp > 0)
            let value = try #require(record.value, "unexpected null value at \(record.partition)/\(record.offset)")
            let expected = try #require(
                expectedByValue[value], "unexpected value \(String(decoding: value, as: UTF8.self).debugDescription)")
            #expect(record.key == expected.1, "key of \(String(decoding: value, as: UTF8.self))")
            // One producer: each partition holds its lines in production order.
            if let last = lastIndexByPartition[record.partition] {
                #expect(expected.0 > last, "partition \(record.partition) out of order")
            }
            lastIndexByPartition[record.partition] = expected.0
            offsetsByPartition[record.partition, default: []].append(record.offset)
        }
        #expect(Set(records.compactMap(\.value)).count == cases.count, "every line read back exactly once")
        #expect(records.contains { $0.key == [] }, "an empty key stays empty, not null")
        #expect(records.contains { $0.key == nil }, "a line without delimiter has a null key")
        #expect(offsetsByPartition.count == 3, "the keys spread over all three partitions")
        for (partition, offsets) in offsetsByPartition {
            #expect(offsets == (0..<Int64(offsets.count)).map { $0 }, "offsets of partition \(partition)")
        }
    }

    @Test func consumingAnEmptyTopicReturnsNoRecords() async throws {
        try Self.requireKcat()
        let cluster = try MockKafkaCluster(brokers: 3)
        try cluster.createTopic("kcat-empty", partitions: 3, replicationFactor: 1)
        let records = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: "kcat-empty")
        #expect(records.isEmpty)
    }

    @Test func unreachableBootstrapFailsWithKcatsError() async throws {
        try Self.requireKcat()
        let start = ContinuousClock.now
        let error = try await #require(throws: KcatError.self) {
            try await Kcat.consume(bootstrap: "127.0.0.1:1", topic: "nowhere", timeout: .seconds(30))
        }
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(error.kind != .timedOut && error.kind != .notInstalled, "\(error)")
        #expect(!error.stderr.isEmpty, "the error carries kcat's stderr: \(error)")
    }

    @Test func slowKcatIsKilledAtTheTimeout() async throws {
        try Self.requireKcat()
        // A "broker" that accepts connections and never answers. kcat is told to wait for it for five minutes (its
        // connection set-up and socket timeouts, 30 and 60 s by default), far beyond this timeout, so it cannot give
        // up by itself first even when a loaded machine checks the timeout late.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let port = try #require(silent.localAddress?.port)
        let error = try await #require(throws: KcatError.self) {
            try await Kcat.consume(
                bootstrap: "127.0.0.1:\(port)", topic: "nowhere",
                extraProperties: ["socket.connection.setup.timeout.ms": "300000", "socket.timeout.ms": "300000"],
                timeout: .milliseconds(300))
        }
        #expect(error.kind == .timedOut, "\(error)")
    }

    @Test func parsesBinaryKeysAndValuesNullsAndHeaders() throws {
        var output: [UInt8] = []
        // Binary key containing the framing bytes, null value, no headers.
        output += Array("t.1 2 0 1700000000000 3 -1\n".utf8) + [0x0A, 0x00, 0x20] + [0x0A]
        // Null key, empty value, headers: empty value, null value, value with ',' and '='.
        output += Array("t.1 2 1 -1 -1 0\n".utf8) + Array("a=,b=NULL,c=x,y=z,d=1\n".utf8)
        // Empty key, value with newlines that look like a record line.
        output += Array("t.1 0 7 5 0 15\n".utf8) + Array("\nt.1 0 8 5 0 0\n".utf8) + [0x0A]

        let records = try Kcat.parseConsumeOutput(output)
        #expect(
            records == [
                KcatRecord(
                    topic: "t.1", partition: 2, offset: 0, key: [0x0A, 0x00, 0x20], value: nil,
                    timestamp: 1_700_000_000_000),
                KcatRecord(
                    topic: "t.1", partition: 2, offset: 1, key: nil, value: [],
                    headers: [
                        KcatHeader(key: "a", value: []), KcatHeader(key: "b", value: nil),
                        KcatHeader(key: "c", value: Array("x".utf8)), KcatHeader(key: "y", value: Array("z".utf8)),
                        KcatHeader(key: "d", value: Array("1".utf8)),
                    ], timestamp: -1),
                KcatRecord(
                    topic: "t.1", partition: 0, offset: 7, key: [], value: Array("\nt.1 0 8 5 0 0\n".utf8),
                    timestamp: 5),
            ])
        #expect(Kcat.parseHeaders(ArraySlice("k=a,b".utf8)) == [KcatHeader(key: "k", value: Array("a,b".utf8))])
        #expect(throws: KcatError.self) { try Kcat.parseConsumeOutput(Array("t 0 0 0 5 0\nab\n".utf8)) }
        #expect(throws: KcatError.self) { try Kcat.parseConsumeOutput(Array("garbage\n".utf8)) }
    }
}
