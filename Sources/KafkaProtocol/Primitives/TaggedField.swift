public import NIOCore

/// A tagged field this version of the package does not know, kept verbatim so that re-encoding a
/// decoded message reproduces it.
public struct UnknownTaggedField: Sendable, Hashable {
    /// The tag number.
    public var tag: UInt32
    /// The raw field bytes (without tag and size).
    public var data: ByteBuffer

    /// Creates an unknown tagged field.
    public init(tag: UInt32, data: ByteBuffer) {
        self.tag = tag
        self.data = data
    }
}
