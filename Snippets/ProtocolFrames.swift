// The wire protocol without a client: encode a request frame, decode the broker's answer, and build a record batch.

// snippet.hide
import KafkaProtocol
import NIOCore

func exchange(_ frame: ByteBuffer) async throws -> ByteBuffer { frame }
// snippet.show

// snippet.frames
// Encode a request frame: the size prefix, request header v2 and the body, at version 12.
var frame = ByteBuffer()
let request = MetadataRequest(topics: [.init(name: "orders")], allowAutoTopicCreation: false)
try KafkaFrame.encodeRequest(request, version: 12, correlationID: 1, clientID: "my-service", into: &frame)

// Decode the broker's answer: the response frame without its size prefix.
let responseBytes = try await exchange(frame)
let (_, metadata) = try KafkaFrame.decodeResponse(to: MetadataRequest.self, version: 12, frame: responseBytes)
for topic in metadata.topics { print(topic.name ?? "?", topic.partitions.count) }
// snippet.batch
// A record batch (magic 2) as the producer writes it: CRC32C, varints and timestamp deltas.
var builder = RecordBatchBuilder()
try builder.append(key: ByteBuffer(string: "order-42"), value: ByteBuffer(string: "{}"), timestamp: 1_700_000_000_000)
let batch = try builder.finish()
print(batch.readableBytes)
// snippet.end
