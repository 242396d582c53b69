import NIOCore
import Testing

@testable import KafkaConsumer

@Suite(.timeLimit(.minutes(5))) struct ConsumerProtocolCodingTests {
    let full = Subscription(
        topics: ["orders", "payments"], userData: ByteBuffer(bytes: [1, 2, 3]),
        ownedPartitions: [tp("orders", 0), tp("orders", 2), tp("payments", 1)], generationId: 12, rackId: "rack-a")

    @Test(arguments: Int16(0)...3)
    func subscriptionRoundTrip(version: Int16) throws {
        let bytes = try full.encoded(version: version)
        #expect(bytes.getInteger(at: bytes.readerIndex, as: Int16.self) == version)
        let decoded = try Subscription(decoding: bytes, groupInstanceId: "static-1")
        var expected = full
        expected.groupInstanceId = "static-1"
        if version < 1 { expected.ownedPartitions = [] }
        if version < 2 { expected.generationId = nil }
        if version < 3 { expected.rackId = nil }
        #expect(decoded == expected)
    }

    @Test(arguments: Int16(0)...3)
    func assignmentRoundTrip(version: Int16) throws {
        let assignment = MemberAssignment(
            partitions: [tp("a", 0), tp("a", 1), tp("b", 7)], userData: ByteBuffer(bytes: [9]))
        let decoded = try MemberAssignment(decoding: try assignment.encoded(version: version))
        #expect(decoded == assignment)
        let group = try GroupAssignment(["m1": assignment.partitions, "m2": []]).encoded(version: version)
        #expect(try MemberAssignment(decoding: group["m2"]!) == MemberAssignment(partitions: []))
    }

    @Test func emptyAssignmentBytesMeanNoPartitions() throws {
        #expect(try MemberAssignment(decoding: ByteBuffer()) == MemberAssignment(partitions: []))
    }

    @Test func laterVersionsReadAsTheLatestWithTrailingBytes() throws {
        var bytes = try full.encoded(version: 3)
        bytes.setInteger(Int16(4), at: bytes.readerIndex)
        bytes.writeBytes([0xAA, 0xBB])
        var expected = full
        expected.groupInstanceId = nil
        #expect(try Subscription(decoding: bytes) == expected)
    }

    @Test func unsupportedVersionsRejected() {
        #expect(throws: ConsumerPartitionAssignorError.unsupportedVersion(4)) { try full.encoded(version: 4) }
        #expect(throws: ConsumerPartitionAssignorError.unsupportedVersion(-1)) {
            try MemberAssignment(partitions: []).encoded(version: -1)
        }
        var negative = ByteBuffer()
        negative.writeInteger(Int16(-1))
        #expect(throws: ConsumerPartitionAssignorError.self) { try Subscription(decoding: negative) }
        #expect(throws: ConsumerPartitionAssignorError.self) { try MemberAssignment(decoding: negative) }
    }

    /// Every truncation of a valid encoding throws (or decodes a shorter valid prefix); random
    /// bytes never trap.
    @Test func malformedBytesThrow() throws {
        for version in Int16(0)...3 {
            let bytes = try full.encoded(version: version)
            for length in 0..<bytes.readableBytes {
                let prefix = bytes.getSlice(at: bytes.readerIndex, length: length)!
                #expect(throws: ConsumerPartitionAssignorError.self) { try Subscription(decoding: prefix) }
            }
            let assignment = try MemberAssignment(partitions: [tp("a", 1)], userData: ByteBuffer(bytes: [1])).encoded(
                version: version)
            for length in 1..<assignment.readableBytes {
                let prefix = assignment.getSlice(at: assignment.readerIndex, length: length)!
                #expect(throws: ConsumerPartitionAssignorError.self) { try MemberAssignment(decoding: prefix) }
            }
        }
        var huge = ByteBuffer()
        huge.writeInteger(Int16(0))
        huge.writeInteger(Int32.max)  // topic count far beyond the bytes present
        #expect(throws: ConsumerPartitionAssignorError.self) { try Subscription(decoding: huge) }
        var rng = SeededGenerator(seed: 51)
        for _ in 0..<2000 {
            let random = ByteBuffer(
                bytes: (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            _ = try? Subscription(decoding: random)
            _ = try? MemberAssignment(decoding: random)
            _ = try? StickyAssignor.decodeUserData(random)
        }
    }

    @Test func errorsDescribeThemselves() {
        let error = ConsumerPartitionAssignorError.malformedSubscription("truncated")
        #expect(error.description.contains("malformed consumer subscription"))
    }
}
