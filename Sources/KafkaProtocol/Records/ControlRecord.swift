public import NIOCore

/// The key of a record in a control batch: version int16 and type int16.
///
/// Transaction markers (``ControlType/abort`` and ``ControlType/commit``) carry an
/// ``EndTransactionMarker`` in their value; the KRaft types are used in the metadata log.
public struct ControlRecord: Sendable, Hashable {
    /// The kind of control record.
    public enum ControlType: Sendable, Hashable {
        /// The transaction was aborted.
        case abort
        /// The transaction was committed.
        case commit
        /// KRaft: the leader changed.
        case leaderChange
        /// KRaft: start of a snapshot.
        case snapshotHeader
        /// KRaft: end of a snapshot.
        case snapshotFooter
        /// KRaft: the kraft.version feature.
        case kraftVersion
        /// KRaft: the voter set.
        case kraftVoters
        /// A type this client does not know.
        case unknown(Int16)

        /// The type from its wire value.
        public init(rawValue: Int16) {
            switch rawValue {
            case 0: self = .abort
            case 1: self = .commit
            case 2: self = .leaderChange
            case 3: self = .snapshotHeader
            case 4: self = .snapshotFooter
            case 5: self = .kraftVersion
            case 6: self = .kraftVoters
            default: self = .unknown(rawValue)
            }
        }

        /// The wire value.
        public var rawValue: Int16 {
            switch self {
            case .abort: 0
            case .commit: 1
            case .leaderChange: 2
            case .snapshotHeader: 3
            case .snapshotFooter: 4
            case .kraftVersion: 5
            case .kraftVoters: 6
            case .unknown(let value): value
            }
        }
    }

    /// The size of the encoded key.
    public static let keySize = 4

    /// The key version (0 today).
    public var version: Int16
    /// The kind of control record.
    public var type: ControlType

    /// Creates a control record key.
    public init(version: Int16 = 0, type: ControlType) {
        self.version = version
        self.type = type
    }

    /// Parses a control record key (extra bytes after the type, from future versions, are ignored).
    ///
    /// - Throws: ``KafkaProtocolError`` when the key is null, shorter than four bytes or has a
    ///   negative version.
    public init(key: ByteBuffer?) throws {
        guard var key else { throw KafkaProtocolError(.invalidValue, "control record with a null key") }
        guard key.readableBytes >= Self.keySize else {
            throw KafkaProtocolError(
                .truncated, "control record key of \(key.readableBytes) bytes, expected at least \(Self.keySize)")
        }
        let version = try key.readKafkaInt16()
        guard version >= 0 else { throw KafkaProtocolError(.invalidValue, "control record key version \(version)") }
        self.version = version
        self.type = ControlType(rawValue: try key.readKafkaInt16())
    }

    /// Parses the key of a record from a control batch.
    public init(record: Record) throws {
        try self.init(key: record.key)
    }

    /// The encoded key.
    public var encodedKey: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Self.keySize)
        buffer.writeKafkaInt16(version)
        buffer.writeKafkaInt16(type.rawValue)
        return buffer
    }
}

/// The value of a transaction marker control record: version int16 and coordinator epoch int32.
public struct EndTransactionMarker: Sendable, Hashable {
    /// The size of the encoded value (version 0).
    public static let valueSize = 6

    /// Whether the transaction committed (``ControlRecord/ControlType/commit``) or aborted.
    public var type: ControlRecord.ControlType
    /// The value version (0 today).
    public var version: Int16
    /// The epoch of the transaction coordinator that wrote the marker.
    public var coordinatorEpoch: Int32

    /// Creates a marker; `type` must be `.commit` or `.abort`.
    public init(type: ControlRecord.ControlType, coordinatorEpoch: Int32, version: Int16 = 0) {
        self.type = type
        self.version = version
        self.coordinatorEpoch = coordinatorEpoch
    }

    /// Parses a transaction marker from a control record.
    ///
    /// - Throws: ``KafkaProtocolError`` when the record is not an abort or commit marker, or its
    ///   value is null, short or has a negative version.
    public init(record: Record) throws {
        let control = try ControlRecord(record: record)
        guard control.type == .abort || control.type == .commit else {
            throw KafkaProtocolError(
                .invalidValue, "control record of type \(control.type.rawValue) is not a transaction marker")
        }
        guard var value = record.value else {
            throw KafkaProtocolError(.invalidValue, "transaction marker with a null value")
        }
        guard value.readableBytes >= Self.valueSize else {
            throw KafkaProtocolError(
                .truncated,
                "transaction marker value of \(value.readableBytes) bytes, expected at least \(Self.valueSize)")
        }
        let version = try value.readKafkaInt16()
        guard version >= 0 else { throw KafkaProtocolError(.invalidValue, "transaction marker version \(version)") }
        self.type = control.type
        self.version = version
        self.coordinatorEpoch = try value.readKafkaInt32()
    }

    /// The control record key of this marker.
    public var controlRecord: ControlRecord { ControlRecord(type: type) }

    /// The encoded value.
    public var encodedValue: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Self.valueSize)
        buffer.writeKafkaInt16(version)
        buffer.writeKafkaInt32(coordinatorEpoch)
        return buffer
    }
}
