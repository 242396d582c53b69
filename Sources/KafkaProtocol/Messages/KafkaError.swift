/// An error a Kafka broker returned, with the context it concerns.
///
/// The rest of the SDK reports broker errors as this type, so that users never see a bare error
/// code: the API, topic and partition travel with it.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The protocol error code.
    public var code: KafkaErrorCode
    /// The API whose response carried the error.
    public var api: KafkaAPIKey?
    /// The topic the error concerns, if any.
    public var topic: String?
    /// The partition the error concerns, if any.
    public var partition: Int32?
    /// The broker's own error message, when the response carries one.
    public var brokerMessage: String?

    /// Creates an error.
    public init(
        code: KafkaErrorCode, api: KafkaAPIKey? = nil, topic: String? = nil, partition: Int32? = nil,
        brokerMessage: String? = nil
    ) {
        self.code = code
        self.api = api
        self.topic = topic
        self.partition = partition
        self.brokerMessage = brokerMessage
    }

    /// Whether retrying the request may succeed.
    public var isRetriable: Bool { code.isRetriable }

    public var description: String {
        var parts: [String] = []
        if let api { parts.append(api.name) }
        if let topic { parts.append(partition.map { "\(topic)-\($0)" } ?? topic) }
        let place = parts.isEmpty ? "" : "[\(parts.joined(separator: " "))] "
        let text = brokerMessage.flatMap { $0.isEmpty ? nil : $0 } ?? code.message
        return "\(place)\(code.name) (\(code.rawValue))\(text.isEmpty ? "" : ": \(text)")"
    }
}
