import Foundation
import KafkaProtocol
import NIOCore
import Testing

/// Conformance against kio, an independent Kafka codec generated from the same schemas by a
/// different team: kio's bytes → our decode → the same field values → our encode → the same bytes.
/// The vectors are produced by `Tools/kio-vectors/generate_vectors.py` and committed.
struct ConformanceTests {
    struct VectorFile: Decodable {
        struct Vector: Decodable {
            var version: Int16
            var hex: String
            var fields: FieldValue
        }
        var message: String
        var vectors: [Vector]
    }

    static let vectorURLs: [URL] = {
        guard let dir = Bundle.module.url(forResource: "Vectors", withExtension: nil),
            let files = try? FileManager.default.contentsOfDirectory(
                at: dir.resolvingSymlinksInPath(), includingPropertiesForKeys: nil)
        else { return [] }
        return files.filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }()

    static let messageTypes: [String: any KafkaMessage.Type] = {
        var types: [String: any KafkaMessage.Type] = [:]
        for t in KafkaMessageRegistry.requestTypes { types[t.messageName] = t }
        for t in KafkaMessageRegistry.responseTypes { types[t.messageName] = t }
        for t: any KafkaMessage.Type in [
            RequestHeader.self, ResponseHeader.self, ConsumerProtocolSubscription.self,
            ConsumerProtocolAssignment.self,
        ] {
            types[t.messageName] = t
        }
        return types
    }()

    @Test func vectorsCoverEveryGeneratedAPI() throws {
        let names = Set(Self.vectorURLs.map { $0.deletingPathExtension().lastPathComponent })
        #expect(names.count >= 100, "expected vectors for (nearly) every generated message, found \(names.count)")
        for key in [KafkaAPIKey.produce, .fetch, .metadata, .joinGroup, .apiVersions] {
            let request = try #require(KafkaMessageRegistry.requestType(for: key))
            #expect(names.contains(request.messageName), "no vectors for \(request.messageName)")
        }
    }

    @Test(arguments: vectorURLs)
    func kioVectorsRoundTrip(_ url: URL) throws {
        let file = try JSONDecoder().decode(VectorFile.self, from: Data(contentsOf: url))
        let type = try #require(Self.messageTypes[file.message], "no generated type for \(file.message)")
        #expect(!file.vectors.isEmpty)
        for (index, vector) in file.vectors.enumerated() {
            try Self.check(type, vector, label: "\(file.message) v\(vector.version) #\(index)")
        }
    }

    static func check<T: KafkaMessage>(_: T.Type, _ vector: VectorFile.Vector, label: String) throws {
        let bytes = try #require(ByteBuffer(hex: vector.hex), "\(label): bad hex")
        let decoded = try T.decode(from: bytes, version: vector.version)
        let convertible = try #require(decoded as? any FieldValueConvertible)
        let ours = convertible.fieldValues(version: vector.version)
        let difference = ours.firstDifference(from: vector.fields)
        #expect(difference == nil, "\(label): \(difference ?? "")")
        let reencoded = try decoded.encoded(version: vector.version)
        #expect(
            reencoded.readableBytesView.elementsEqual(bytes.readableBytesView),
            "\(label): re-encoding differs (\(reencoded.readableBytes) vs \(bytes.readableBytes) bytes)")
    }
}

extension ByteBuffer {
    init?(hex: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                bytes.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        guard high == nil else { return nil }
        self.init(bytes: bytes)
    }
}
