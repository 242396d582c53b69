import Foundation
import KafkaConsumer
import KafkaDevCluster
import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Consumer interceptors and the deserializing consumer against the in-process dev cluster; data
/// is written by kcat.
@Suite("Consumer interceptors and deserializing consumer on the dev cluster", .serialized, .timeLimit(.minutes(5)))
struct ConsumerInterceptorTests {
    static let topic = ConsumerTests.topic
    static let allPartitions = ConsumerTests.allPartitions
    static let clientID = "typed-test"

    /// Drops records whose value is `drop`; records commits and closes.
    final class Dropping: ConsumerInterceptor {
        let commits = NIOLockedValueBox<[[TopicPartition: OffsetAndMetadata]]>([])
        let closes = NIOLockedValueBox(0)

        func onConsume(_ records: [ConsumerRecord]) -> [ConsumerRecord] {
            records.filter { $0.value.map { String(buffer: $0) } != "drop" }
        }

        func onCommit(_ offsets: [TopicPartition: OffsetAndMetadata]) {
            commits.withLockedValue { $0.append(offsets) }
        }

        func close() {
            closes.withLockedValue { $0 += 1 }
        }
    }

    struct BadValue: Error {}

    @Test func interceptorDropsRecordsAndSeesCommits() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<60).map { "k\($0):\($0 % 3 == 0 ? "drop" : "keep")" })
            let interceptor = Dropping()
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["group.id": "g-interceptor", "auto.offset.reset": "earliest"], clientID: "interceptor-test",
                interceptors: [interceptor])
            try consumer.assign(Self.allPartitions)
            var records: [ConsumerRecord] = []
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            var positions: Int64 = 0
            while positions < 60, ContinuousClock.now < deadline {
                records += try await consumer.poll(timeout: .seconds(1))
                positions = 0
                for partition in Self.allPartitions { positions += try await consumer.position(partition) }
            }
            #expect(records.count == 40)
            #expect(records.allSatisfy { $0.value.map { String(buffer: $0) } == "keep" })
            let offsets = [Self.allPartitions[0]: OffsetAndMetadata(offset: 1)]
            try await consumer.commit(offsets)
            #expect(interceptor.commits.withLockedValue { $0 } == [offsets])
            await consumer.close()
            await consumer.close()
            #expect(interceptor.closes.withLockedValue { $0 } == 1)
        }
    }

    @Test func typedConsumerWithStrings() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, (0..<30).map { "k\($0):v\($0)" })
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID
            ).deserializing(
                keys: { $0.map { String(buffer: $0) } ?? "" }, values: { $0.map { String(buffer: $0) } ?? "" })
            try consumer.consumer.assign(Self.allPartitions)
            var records: [TypedConsumerRecord<String, String>] = []
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while records.count < 30, ContinuousClock.now < deadline {
                records += try await consumer.poll(timeout: .seconds(1))
            }
            await consumer.close()
            #expect(Set(records.map { "\($0.key):\($0.value)" }) == Set((0..<30).map { "k\($0):v\($0)" }))
            #expect(records.allSatisfy { $0.topic == Self.topic && $0.timestamp > 0 })
        }
    }

    @Test func failingValueDeserializerNamesTheRecord() async throws {
        try await ConsumerTests.withCluster { cluster in
            try await ConsumerTests.produce(cluster, ["a:ok", "b:bad", "c:ok"])
            let consumer = try ConsumerTests.makeConsumer(
                cluster, ["auto.offset.reset": "earliest"], clientID: Self.clientID
            ).deserializing(
                keys: { $0.map { String(buffer: $0) } },
                values: { (buffer: ByteBuffer?) throws -> String in
                    let value = buffer.map { String(buffer: $0) } ?? ""
                    if value == "bad" { throw BadValue() }
                    return value
                })
            try consumer.consumer.assign(Self.allPartitions)
            var failure: RecordDeserializationError?
            var delivered: [String] = []
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            // Nothing is skipped: good records arrive, the bad one fails until the application seeks past it.
            var sought = false
            while delivered.count < 2 || !sought, ContinuousClock.now < deadline {
                do throws(KafkaConsumerError) {
                    delivered += try await consumer.poll(timeout: .milliseconds(300)).map(\.value)
                } catch {
                    guard case .deserialization(let partition, let offset) = error.kind,
                        let error = error.underlying as? RecordDeserializationError
                    else {
                        Issue.record("expected a deserialization error, got \(error)")
                        break
                    }
                    #expect(partition == TopicPartition(topic: error.topic, partition: error.partition))
                    #expect(offset == error.offset)
                    if let first = failure {
                        #expect(error.partition == first.partition && error.offset == first.offset)
                    }
                    if failure != nil {
                        try consumer.consumer.seek(
                            TopicPartition(topic: error.topic, partition: error.partition), to: error.offset + 1)
                        sought = true
                    }
                    failure = error
                }
            }
            await consumer.close()
            #expect(sought, "the bad record should fail again until the application seeks past it")
            #expect(delivered.sorted() == ["ok", "ok"])
            let error = try #require(failure)
            #expect(error.topic == Self.topic)
            #expect(error.part == .value)
            #expect(error.underlying is BadValue)
            #expect((0..<3).contains(error.partition))
            #expect(error.offset >= 0)
            #expect(error.description.contains("\(Self.topic)-\(error.partition) offset \(error.offset)"))
        }
    }

}
