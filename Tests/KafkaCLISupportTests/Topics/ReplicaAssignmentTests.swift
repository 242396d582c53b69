import ArgumentParser
import KafkaCLISupport
import Testing

@Suite struct ReplicaAssignmentTests {
    @Test("partitions separated by ',', their brokers by ':', the preferred leader first")
    func parses() throws {
        #expect(try ReplicaAssignment.parse("1:2,2:3,3:1") == [[1, 2], [2, 3], [3, 1]])
        #expect(try ReplicaAssignment.parse("1") == [[1]])
        #expect(try ReplicaAssignment.parse("1,1,1,1,3") == [[1], [1], [1], [1], [3]])
        #expect(try ReplicaAssignment.parse(" 1 : 2 , 3 : 4 ") == [[1, 2], [3, 4]])
    }

    @Test(
        "malformed input gives one line naming what is wrong",
        arguments: [
            ("1:x", "--replica-assignment: 'x' is not a broker id (expected for example 1:2,2:3)"),
            ("", "--replica-assignment: '' is not a broker id (expected for example 1:2,2:3)"),
            ("1:2,", "--replica-assignment: '' is not a broker id (expected for example 1:2,2:3)"),
            ("1::2", "--replica-assignment: '' is not a broker id (expected for example 1:2,2:3)"),
            ("99999999999", "--replica-assignment: '99999999999' is not a broker id (expected for example 1:2,2:3)"),
            ("1:1", "Partition replica lists may not contain duplicate entries: 1"),
            ("1:2:1:2:3", "Partition replica lists may not contain duplicate entries: 1,2"),
            ("1:2,3", "Partition 1 has different replication factor: [3]"),
            ("1:2,3:4,5:6:7", "Partition 2 has different replication factor: [5, 6, 7]"),
        ])
    func malformed(input: String, message: String) {
        #expect {
            try ReplicaAssignment.parse(input)
        } throws: { error in
            (error as? ValidationError)?.message == message
        }
    }
}
