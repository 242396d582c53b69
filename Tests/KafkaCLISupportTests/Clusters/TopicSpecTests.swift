import ArgumentParser
import KafkaCLISupport
import Testing

@Suite struct TopicSpecTests {
    @Test("NAME:PARTITIONS[:REPLICATION], the replication factor 1 when left out")
    func parses() throws {
        #expect(try TopicSpec(parsing: "orders:6") == TopicSpec(name: "orders", partitions: 6, replicationFactor: 1))
        #expect(try TopicSpec(parsing: "perf:12:3") == TopicSpec(name: "perf", partitions: 12, replicationFactor: 3))
    }

    @Test(
        "a malformed --topic says what is wrong",
        arguments: [
            ("orders", "Expected NAME:PARTITIONS[:REPLICATION], e.g. perf:6 or perf:6:3."),
            ("a:1:2:3", "Expected NAME:PARTITIONS[:REPLICATION], e.g. perf:6 or perf:6:3."),
            (":3", "The topic name is empty."),
            ("t:0", "The partition count must be a positive integer, not '0'."),
            ("t:x", "The partition count must be a positive integer, not 'x'."),
            ("t:100001", "The partition count must be a positive integer, not '100001'."),
            ("t:1:65", "The replication factor must be a positive integer, not '65'."),
            ("t:1:", "The replication factor must be a positive integer, not ''."),
        ])
    func malformed(argument: String, message: String) {
        #expect {
            try TopicSpec(parsing: argument, example: "perf", maxPartitions: 100_000, maxReplicationFactor: 64)
        } throws: { error in
            (error as? ValidationError)?.message == message
        }
    }
}
