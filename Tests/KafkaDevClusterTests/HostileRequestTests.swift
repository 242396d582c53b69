import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import KafkaDevCluster

/// Bad input never crashes the dev cluster: random and truncated bodies for every API at every
/// version are answered or close the connection; a valid request afterwards is still served.
@Suite(.timeLimit(.minutes(5))) struct HostileRequestTests {
    @Test func randomAndTruncatedBodiesForEveryApiAndVersion() throws {
        var configuration = DevClusterConfiguration()
        configuration.brokerCount = 2
        configuration.topics = ["t": 2]
        let core = try DevClusterCore(configuration: configuration, ports: [9092, 9093])
        var generator = SystemRandomNumberGenerator()
        let delivered = NIOLockedValueBox(0)
        let connection = DevClusterCore.Connection(
            brokerID: 1, clientHost: "/127.0.0.1", deliver: { _ in delivered.withLockedValue { $0 += 1 } })
        var answered = 0
        var closed = 0
        for (apiKey, handler) in DevAPIRegistry.handlers.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for version in handler.versions {
                // A valid default request, truncated at every length, and random bodies.
                var bodies: [ByteBuffer] = []
                if let type = KafkaMessageRegistry.requestType(for: apiKey),
                    let valid = try? type.init().encoded(version: version)
                {
                    for cut in 0..<valid.readableBytes {
                        bodies.append(valid.getSlice(at: 0, length: cut) ?? ByteBuffer())
                    }
                }
                for _ in 0..<20 {
                    let count = Int.random(in: 0...64, using: &generator)
                    bodies.append(
                        ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }))
                }
                for body in bodies {
                    let header = RequestHeader(
                        requestApiKey: apiKey.rawValue, requestApiVersion: version, correlationId: 1, clientId: "x")
                    switch core.process(header, body: body, connection: connection) {
                    case .close: closed += 1
                    case .send, .nothing, .pending: answered += 1
                    }
                }
            }
        }
        #expect(closed > 0)
        // The state is intact: metadata still answers with the topic.
        let header = RequestHeader(
            requestApiKey: KafkaAPIKey.metadata.rawValue, requestApiVersion: 12, correlationId: 2, clientId: "x")
        let request = try MetadataRequest(topics: [MetadataRequest.MetadataRequestTopic(name: "t")]).encoded(
            version: 12)
        guard case .send(var frame) = core.process(header, body: request, connection: connection) else {
            Issue.record("metadata was not answered")
            return
        }
        frame.moveReaderIndex(forwardBy: 4)
        let response = try KafkaFrame.decodeResponse(to: MetadataRequest.self, version: 12, frame: frame).response
        #expect(response.topics.first?.partitions.count == 2)
        #expect(answered + closed > 1000)
    }
}
