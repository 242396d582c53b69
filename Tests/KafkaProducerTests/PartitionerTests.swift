import Foundation
import KafkaProducer
import Testing

/// The producer's partitioners. This file: Java-compatible murmur2. The sticky, round-robin and front-door tests
/// are extensions of this suite in the other `*Partition*Tests.swift` files.
@Suite(.timeLimit(.minutes(5))) struct PartitionerTests {
    // MARK: - murmur2 against the Java client

    /// Kafka's `UtilsTest.testMurmur2` expectations (signed Java ints).
    static let javaKnownValues: [(key: [UInt8], hash: Int32)] = [
        (Array("21".utf8), -973_932_308),
        (Array("foobar".utf8), -790_332_482),
        (Array("a-little-bit-long-string".utf8), -985_981_536),
        (Array("a-little-bit-longer-string".utf8), -1_486_304_829),
        (Array("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8".utf8), -58_897_971),
        ([97, 98, 99], 479_470_107),
    ]

    @Test(arguments: 0..<javaKnownValues.count)
    func murmur2MatchesJavaUtilsTest(index: Int) {
        let (key, expected) = Self.javaKnownValues[index]
        #expect(Murmur2.hash(key) == expected)
    }

    @Test func murmur2IsIndependentOfTheCollectionType() throws {
        let key = Array("a-little-bit-longer-string".utf8)
        let expected: Int32 = -1_486_304_829
        // A slice whose indices do not start at 0.
        let padded = [0xAA, 0xBB] + key + [0xCC]
        let slice = padded[2..<(2 + key.count)]
        #expect(slice.startIndex == 2)
        #expect(Murmur2.hash(slice) == expected)
        // Collections without contiguous storage.
        #expect(Murmur2.hash(key.lazy.map { $0 }) == expected)
        #expect(Murmur2.hash(AnyCollection(key)) == expected)
        #expect(Murmur2.hash("a-little-bit-longer-string".utf8) == expected)
        #expect(Murmur2.hash(Data(key)) == expected)
    }

    @Test func toPositiveClearsOnlyTheSignBit() {
        #expect(Murmur2.toPositive(0) == 0)
        #expect(Murmur2.toPositive(5) == 5)
        #expect(Murmur2.toPositive(Int32.max) == Int32.max)
        #expect(Murmur2.toPositive(-1) == Int32.max)
        #expect(Murmur2.toPositive(Int32.min) == 0)
        #expect(Murmur2.toPositive(-973_932_308) == 1_173_551_340)
    }

    @Test func partitionForKeyIsToPositiveHashModuloCount() {
        // "21" hashes to -973932308; toPositive gives 1173551340.
        let key = Array("21".utf8)
        #expect(Murmur2.partition(forKey: key, partitionCount: 1) == 0)
        #expect(Murmur2.partition(forKey: key, partitionCount: 7) == 1_173_551_340 % 7)
        #expect(Murmur2.partition(forKey: key, partitionCount: 100) == 40)
        // No valid answer without partitions, but no trap either.
        #expect(Murmur2.partition(forKey: key, partitionCount: 0) == 0)
        #expect(Murmur2.partition(forKey: key, partitionCount: -3) == 0)
    }

    @Test func murmur2OfLongInputsDoesNotTrap() {
        let long = [UInt8](repeating: 0xFF, count: 1 << 20)
        let once = Murmur2.hash(long)
        #expect(Murmur2.hash(long) == once)
        #expect(Murmur2.hash(long.dropLast()) != once)
    }

    // MARK: - Cross-check against kafka-python (Fixtures/murmur2-vectors.json)

    struct VectorFile: Decodable {
        var source: String
        var partitionCounts: [Int]
        var vectors: [Vector]
    }

    struct Vector: Decodable {
        var name: String
        var keyHex: String
        var hash: Int32
        var unsignedHash: UInt32
        var partitions: [Int]
    }

    static func loadVectors() throws -> VectorFile {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/murmur2-vectors", withExtension: "json"))
        return try JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: url))
    }

    static func bytes(fromHex hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        try #require(digits.count % 2 == 0, "odd hex length in \(hex)")
        var result: [UInt8] = []
        var index = 0
        while index < digits.count {
            let pair = String(decoding: digits[index..<(index + 2)], as: UTF8.self)
            result.append(try #require(UInt8(pair, radix: 16), "bad hex \(pair)"))
            index += 2
        }
        return result
    }

    @Test func murmur2MatchesKafkaPythonVectors() throws {
        let file = try Self.loadVectors()
        #expect(file.partitionCounts == [1, 3, 7, 12, 100])
        #expect(file.vectors.count >= 190)
        var tailLengths = Set<Int>()
        var keyLengths = Set<Int>()
        for vector in file.vectors {
            let key = try Self.bytes(fromHex: vector.keyHex)
            tailLengths.insert(key.count % 4)
            keyLengths.insert(key.count)
            let hash = Murmur2.hash(key)
            #expect(hash == vector.hash, "hash of \(vector.name) (\(vector.keyHex))")
            #expect(UInt32(bitPattern: hash) == vector.unsignedHash, "unsigned hash of \(vector.name)")
            try #require(vector.partitions.count == file.partitionCounts.count)
            for (count, expected) in zip(file.partitionCounts, vector.partitions) {
                #expect(
                    Murmur2.partition(forKey: key, partitionCount: count) == expected,
                    "partition of \(vector.name) over \(count) partitions"
                )
            }
        }
        // The fixture really covers what it claims: every tail length, and every length 0...50.
        #expect(tailLengths == [0, 1, 2, 3])
        #expect(Set(0...50).isSubset(of: keyLengths))
    }

    @Test func fixtureIncludesTheJavaKnownValues() throws {
        let file = try Self.loadVectors()
        for (key, hash) in Self.javaKnownValues {
            let hex = key.map { String(format: "%02x", $0) }.joined()
            let vector = try #require(file.vectors.first { $0.keyHex == hex }, "missing \(hex)")
            #expect(vector.hash == hash)
        }
    }
}

// MARK: - Test doubles shared by the partitioner tests

/// A seeded SplitMix64 generator: deterministic, so statistical expectations never flake.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Returns the given values in order, then repeats them, so a test can say exactly which partition comes next.
struct ScriptedRandom: RandomNumberGenerator, Sendable {
    private let values: [UInt64]
    private var index = 0

    init(_ values: [UInt64]) { self.values = values.isEmpty ? [0] : values }

    mutating func next() -> UInt64 {
        defer { index = (index + 1) % values.count }
        return values[index]
    }
}

/// A custom partitioner that records its calls and returns a configured partition.
final class RecordingPartitioner: KafkaPartitioner, @unchecked Sendable {
    struct Call: Equatable {
        var topic: String
        var key: [UInt8]?
        var value: [UInt8]?
    }

    private let lock = NSLock()
    private var _calls: [Call] = []
    private var _newBatches: [(topic: String, previousPartition: Int32)] = []
    private let answer: Int32

    init(answer: Int32) { self.answer = answer }

    var calls: [Call] { lock.withLock { _calls } }
    var newBatches: [(topic: String, previousPartition: Int32)] { lock.withLock { _newBatches } }

    func partition(topic: String, key: [UInt8]?, value: [UInt8]?, cluster: PartitionerTopicInfo) -> Int32 {
        lock.withLock { _calls.append(Call(topic: topic, key: key, value: value)) }
        return answer
    }

    func onNewBatch(topic: String, cluster: PartitionerTopicInfo, previousPartition: Int32) {
        lock.withLock { _newBatches.append((topic, previousPartition)) }
    }
}

/// A custom partitioner relying on the protocol's default `onNewBatch`.
struct ConstantPartitioner: KafkaPartitioner {
    var answer: Int32
    func partition(topic: String, key: [UInt8]?, value: [UInt8]?, cluster: PartitionerTopicInfo) -> Int32 {
        answer
    }
}

extension PartitionerTopicInfo {
    /// A topic whose partitions are all available.
    static func allAvailable(_ topic: String, count: Int) -> PartitionerTopicInfo {
        PartitionerTopicInfo(topic: topic, partitionCount: count, availablePartitions: (0..<count).map { Int32($0) })
    }
}
