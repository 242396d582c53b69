import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import KafkaProtocol
import Testing

@Suite struct GetOffsetsOptionsTests {
    @Test("--time takes Kafka's names and numbers; other values and tiered-storage lookups are usage errors")
    func time() throws {
        let cases: [(String, OffsetSpec)] = [
            ("latest", .latest), ("-1", .latest), ("earliest", .earliest), ("-2", .earliest),
            ("max-timestamp", .maxTimestamp), ("-3", .maxTimestamp),
            ("1700000000000", .forTimestamp(1_700_000_000_000)),
            ("0", .forTimestamp(0)),
        ]
        for (text, spec) in cases {
            #expect(try GetOffsetsOptions.parse(["--time", text]).offsetSpec() == spec, "\(text)")
        }
        #expect(try GetOffsetsOptions.parse([]).offsetSpec() == .latest)
        for bad in ["yesterday", "-7", "1.5", "earliest-local", "-4"] {
            #expect(throws: (any Error).self, "\(bad)") { try GetOffsetsOptions.parse(["--time", bad]) }
        }
    }

    @Test("--topic-partitions excludes --topic and --partitions")
    func exclusive() {
        #expect(throws: (any Error).self) { try GetOffsetsOptions.parse(["--topic-partitions", "a", "--topic", "a"]) }
        #expect(throws: (any Error).self) {
            try GetOffsetsOptions.parse(["--topic-partitions", "a", "--partitions", "1"])
        }
        #expect(throws: (any Error).self) { try GetOffsetsOptions.parse(["--partitions", "1,two"]) }
    }
}

@Suite struct TopicPartitionFilterTests {
    @Test("--topic with --partitions: a whole-name expression and a set of ids (empty: every partition)")
    func topicAndPartitions() throws {
        let filter = try TopicPartitionFilter(topic: "orders|pay.*", partitions: "0,2")
        #expect(filter.allowsTopic("orders") && filter.allowsTopic("payments"))
        #expect(!filter.allowsTopic("orders-eu"))
        #expect(filter.allows(topic: "orders", partition: 2))
        #expect(!filter.allows(topic: "orders", partition: 1))
        let every = try TopicPartitionFilter(topic: nil, partitions: nil)
        #expect(every.allows(topic: "anything", partition: 41))
    }

    @Test("--topic-partitions rules: N, N-M (M excluded), N-, -M, none; an empty topic matches every topic")
    func rules() throws {
        let filter = try TopicPartitionFilter(topicPartitions: "a:1,b:2-4,c:5-,d:-2,e,:7")
        let allowed: [(String, Int32, Bool)] = [
            ("a", 1, true), ("a", 0, false), ("a", 2, false),
            ("b", 1, false), ("b", 2, true), ("b", 3, true), ("b", 4, false),
            ("c", 4, false), ("c", 5, true), ("c", 500, true),
            ("d", 0, true), ("d", 1, true), ("d", 2, false),
            ("e", 0, true), ("e", 99, true),
            ("zzz", 7, true), ("zzz", 6, false),
        ]
        for (topic, partition, expected) in allowed {
            #expect(filter.allows(topic: topic, partition: partition) == expected, "\(topic):\(partition)")
        }
        #expect(filter.allowsTopic("zzz"), "the ':7' rule matches every topic")
        for bad in ["a:x", "a:1-y", "a:1:2", "a:+1"] {
            #expect(throws: (any Error).self, "\(bad)") { try TopicPartitionFilter(topicPartitions: bad) }
        }
    }

    @Test("rows are ordered by the text topic-partition, as Kafka orders them, and rendered as Kafka's lines")
    func orderAndRender() {
        let keys =
            [2, 10, 1].map { TopicPartitionKey(topic: "t", partition: Int32($0)) }
            + [TopicPartitionKey(topic: "s", partition: 3)]
        #expect(GetOffsetsTool.kafkaOrder(keys).map(\.description) == ["s-3", "t-1", "t-10", "t-2"])
        let rows = [GetOffsetsTool.Row(topic: "t", partition: 0, offset: 5)]
        #expect(GetOffsetsTool.render(rows, json: false) == "t:0:5\n")
        #expect(GetOffsetsTool.render(rows, json: true).contains(#""offset" : 5"#))
    }
}

@Suite struct DeleteRecordsPlanTests {
    @Test("Kafka's offset JSON, with or without a version")
    func parses() throws {
        let plan = try DeleteRecordsPlan(
            json:
                #"{"partitions": [{"topic": "a", "partition": 0, "offset": 3}, {"topic": "b", "partition": 2, "offset": -1}], "version": 1}"#
        )
        #expect(
            plan.offsets == [
                TopicPartitionKey(topic: "a", partition: 0): 3, TopicPartitionKey(topic: "b", partition: 2): -1,
            ])
        #expect(try DeleteRecordsPlan(json: #"{"partitions": []}"#).offsets.isEmpty)
    }

    @Test(
        "malformed files give one clear reason",
        arguments: [
            ("[", "The input string is not a valid JSON"),
            (#"{"version": 1}"#, "Missing partitions field"),
            (
                #"{"partitions": [{"partition": 0, "offset": 1}]}"#,
                "missing field 'topic' at partitions[0] in the offset JSON"
            ),
            (
                #"{"partitions": [{"topic": "a", "partition": "0", "offset": 1}]}"#,
                "field 'partitions[0].partition' of the offset JSON has the wrong type"
            ),
            (#"{"partitions": [], "version": 3}"#, "Not supported version field value 3"),
            (
                #"{"partitions": [{"topic": "a", "partition": 0, "offset": 1}, {"topic": "a", "partition": 0, "offset": 1}]}"#,
                "Offset json file contains duplicate topic partitions: a-0"
            ),
        ])
    func malformed(text: String, reason: String) {
        #expect(throws: ToolError(reason)) { try DeleteRecordsPlan(json: text) }
    }

    @Test("the report: Kafka's lines per partition in Kafka's order, errors with their reason")
    func report() throws {
        let plan = try DeleteRecordsPlan(
            json:
                #"{"partitions": [{"topic": "a", "partition": 10, "offset": 3}, {"topic": "a", "partition": 2, "offset": 9}]}"#
        )
        let failure = AdminError(
            code: .offsetOutOfRange, api: .deleteRecords, partition: TopicPartitionKey(topic: "a", partition: 2))
        let outcomes = DeleteRecordsTool.outcomes(
            plan: plan,
            results: [
                TopicPartitionKey(topic: "a", partition: 10): .success(3),
                TopicPartitionKey(topic: "a", partition: 2): .failure(failure),
            ])
        #expect(
            DeleteRecordsTool.render(outcomes, json: false)
                == "Records delete operation completed:\npartition: a-10\tlow_watermark: 3\n"
                + "partition: a-2\terror: \(failure.description)\n")
        #expect(DeleteRecordsTool.render(outcomes, json: true).contains(#""lowWatermark" : 3"#))
    }
}
