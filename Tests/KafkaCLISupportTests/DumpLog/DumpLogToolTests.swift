import Foundation
import KafkaCLISupport
import KafkaProtocol
import NIOCore
import Testing

@Suite struct DumpLogToolTests {
    /// A folder holding `files` (name → bytes), removed after `body`.
    static func withFolder(_ files: [String: [UInt8]], _ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dumplog-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, bytes) in files { try Data(bytes).write(to: folder.appendingPathComponent(name)) }
        try body(folder.path)
    }

    static func run(_ arguments: [String]) throws -> (out: [String], err: [String], error: (any Error)?) {
        let options = try DumpLogOptions.parse(arguments)
        var out: [String] = []
        var err: [String] = []
        do {
            try DumpLogTool(options: options).run(emit: { out.append($0) }, report: { err.append($0) })
            return (out, err, nil)
        } catch {
            return (out, err, error)
        }
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// A version 1 producer snapshot with one producer.
    static func snapshot(corruptCRC: Bool = false) -> [UInt8] {
        var entries = bigEndian(Int32(1))
        entries += bigEndian(Int64(7)) + bigEndian(Int16(2)) + bigEndian(Int32(9)) + bigEndian(Int64(40))
        entries +=
            bigEndian(Int32(3)) + bigEndian(Int64(1_700_000_000_000)) + bigEndian(Int32(1)) + bigEndian(Int64(-1))
        var crc = CRC32C.checksum(ByteBuffer(bytes: entries))
        if corruptCRC { crc ^= 1 }
        return bigEndian(Int16(1)) + bigEndian(crc) + entries
    }

    @Test("producer snapshots: Kafka's line per producer; a wrong checksum is one clear error naming the file")
    func snapshots() throws {
        try Self.withFolder([
            "00000000000000000040.snapshot": Self.snapshot(),
            "00000000000000000050.snapshot": Self.snapshot(corruptCRC: true),
        ]) { folder in
            let good = try Self.run(["--files", "\(folder)/00000000000000000040.snapshot"])
            #expect(good.error == nil)
            #expect(
                good.out.last
                    == "producerId: 7 producerEpoch: 2 coordinatorEpoch: 1 currentTxnFirstOffset: None firstSequence: 6 "
                    + "lastSequence: 9 lastOffset: 40 offsetDelta: 3 timestamp: 1700000000000")
            let bad = try Self.run(["--files", "\(folder)/00000000000000000050.snapshot"])
            #expect(
                bad.err == [
                    "\(folder)/00000000000000000050.snapshot: the snapshot's checksum does not match its contents"
                ])
            #expect(bad.error != nil)
        }
    }

    @Test("a preallocated offset index stops at the first zero entry; the sanity check names a torn index")
    func offsetIndex() throws {
        let entries =
            Self.bigEndian(Int32(0)) + Self.bigEndian(Int32(0)) + Self.bigEndian(Int32(5)) + Self.bigEndian(Int32(300))
        try Self.withFolder([
            "00000000000000000100.index": entries + [UInt8](repeating: 0, count: 64),
            "00000000000000000200.index": entries + [1, 2, 3],
        ]) { folder in
            let listed = try Self.run(["--files", "\(folder)/00000000000000000100.index"])
            #expect(
                listed.out == [
                    "Dumping \(folder)/00000000000000000100.index", "offset: 100 position: 0",
                    "offset: 105 position: 300",
                ])
            let sane = try Self.run(["--files", "\(folder)/00000000000000000100.index", "--index-sanity-check"])
            #expect(sane.out.last == "\(folder)/00000000000000000100.index passed sanity check.")
            let torn = try Self.run(["--files", "\(folder)/00000000000000000200.index", "--index-sanity-check"])
            #expect(torn.out.last?.contains("failed sanity check: its size 19 is not a multiple of 8") == true)
            #expect(torn.error != nil)
        }
    }

    @Test("unknown files are skipped with Kafka's message; missing files are one clear error; decoders print as named")
    func filesAndDecoders() throws {
        let missing = try Self.run(["--files", "/nonexistent/00000000000000000000.log,/tmp/notes.txt"])
        #expect(missing.err.contains("/nonexistent/00000000000000000000.log: cannot open the file"))
        #expect(missing.err.contains("Ignoring unknown file /tmp/notes.txt"))
        #expect(missing.error != nil)
        let four = ByteBuffer(bytes: [0, 0, 1, 0])
        #expect(try RecordDecoder("kafka.serializer.StringDecoder") == .string)
        #expect(try RecordDecoder("org.apache.kafka.tools.api.IntegerDecoder").text(four) == "256")
        #expect(try RecordDecoder("hex").text(four) == "00000100")
        #expect(try RecordDecoder("long").text(four) == "<not 8 bytes: 00000100>")
        #expect(throws: (any Error).self) { try RecordDecoder("com.example.MyDecoder") }
    }
}
