import Foundation
import NIOCore

/// A file of a partition's log directory read from disk: its name's base offset, and its bytes read on demand, so
/// that a segment of a gigabyte is never held whole.
struct SegmentFile {
    let path: String
    private let handle: FileHandle
    /// The file's size in bytes.
    let size: Int

    /// Opens `path`.
    ///
    /// - Throws: ``ToolError`` naming the file when it cannot be opened.
    init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ToolError("\(path): cannot open the file")
        }
        self.handle = handle
        do {
            size = Int(try handle.seekToEnd())
        } catch {
            throw ToolError("\(path): cannot read the file (\(error))")
        }
    }

    func close() { try? handle.close() }

    /// Up to `count` bytes from `position` (fewer at the end of the file).
    func read(at position: Int, count: Int) throws -> ByteBuffer {
        // A position read from an index file may be anything: outside the file there is nothing to read.
        guard position >= 0, position < size, count > 0 else { return ByteBuffer() }
        do {
            try handle.seek(toOffset: UInt64(position))
            let data = try handle.read(upToCount: min(count, size - position)) ?? Data()
            return ByteBuffer(bytes: data)
        } catch {
            throw ToolError("\(path): read error at byte \(position) (\(error))")
        }
    }

    /// The whole file (index files, snapshots: small).
    func readAll() throws -> ByteBuffer { try read(at: 0, count: size) }

    /// The base offset in the file's name (`00000000000000000019.log` → 19), as Kafka names segment files.
    ///
    /// - Throws: ``ToolError`` when the name does not start with an offset.
    static func baseOffset(ofFileAt path: String) throws -> Int64 {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard let stem = name.split(separator: ".").first, let offset = Int64(stem) else {
            throw ToolError("\(path): the file name does not start with a base offset (as 00000000000000000000.log)")
        }
        return offset
    }

    /// The path of the file of the same segment with `suffix` (`.log`, `.index`).
    static func sibling(of path: String, suffix: String) -> String {
        let url = URL(fileURLWithPath: path)
        let stem = url.lastPathComponent.split(separator: ".").first.map(String.init) ?? ""
        return url.deletingLastPathComponent().appendingPathComponent(stem + suffix).path
    }
}

/// The entries of a log segment, one at a time: each entry's position and bytes (its 12-byte offset and size
/// prefix included), ending at the end of the file or at bytes that do not form a whole entry.
struct SegmentEntries {
    let file: SegmentFile
    /// The position of the next entry; after the last whole entry, where the trailing bytes (if any) start.
    private(set) var position = 0

    init(file: SegmentFile) { self.file = file }

    /// The next entry's position and bytes, or `nil` at the end of the whole entries.
    mutating func next() throws -> (position: Int, bytes: ByteBuffer)? {
        guard file.size - position >= 12 else { return nil }
        let head = try file.read(at: position, count: 12)
        guard let size = head.getInteger(at: 8, endianness: .big, as: Int32.self), size >= 14,
            Int(size) + 12 <= file.size - position
        else { return nil }
        let bytes = try file.read(at: position, count: Int(size) + 12)
        let start = position
        position += bytes.readableBytes
        return (start, bytes)
    }
}
