import KafkaNetwork
import KafkaProtocol
import KafkaTestSupport
import Logging
import NIOCore
import ServiceLifecycle
import Testing

@testable import KafkaProducer

/// Where the producer's sender loop runs (in `run()`, or in a task of its own from the first use) and the delivery
/// reports read as an asynchronous sequence.
@Suite("Producer lifecycle and delivery reports", .serialized, .timeLimit(.minutes(3)))
struct ProducerLifecycleTests {
    private enum SenderPlace: Equatable {
        case notStarted, inRun, ownTask
    }

    private func senderPlace(_ producer: KafkaProducer) -> SenderPlace {
        switch producer.lifecycle.withLockedValue({ $0.sender }) {
        case .notStarted: .notStarted
        case .inRun: .inRun
        case .ownTask: .ownTask
        }
    }

    @Test func aNewProducerStartsNoTaskAndItsFirstSendStartsTheSender() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer()
        try await Task.sleep(for: .milliseconds(50))
        #expect(senderPlace(producer) == .notStarted)
        let started = producer.senderStarted.load(ordering: .relaxed)
        #expect(!started)
        let metadata = try await producer.send(test.record(0, keyed: false))
        #expect(metadata.offset >= 0)
        #expect(senderPlace(producer) == .ownTask)
        await producer.close()
        #expect(producer.senderFinished.isFired)
    }

    @Test func runHostsTheSenderLoopAndReturnsOnClose() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await producer.run() }
            let deadline = ContinuousClock.now + .seconds(10)
            while senderPlace(producer) == .notStarted && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(senderPlace(producer) == .inRun)
            for index in 0..<20 { try await producer.send(test.record(index, keyed: true)) }
            #expect(senderPlace(producer) == .inRun, "a send must not start a second loop")
            await producer.close()
            try await tasks.waitForAll()  // run() returned
        }
        #expect(producer.senderFinished.isFired)
        await #expect(try test.readBack().count == 20)
    }

    @Test func runAfterTheFirstSendWaitsForThatSender() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer()
        try await producer.send(test.record(0, keyed: false))
        #expect(senderPlace(producer) == .ownTask)
        let group = ServiceGroup(services: [producer], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await producer.send(test.record(1, keyed: false))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(senderPlace(producer) == .ownTask)
        #expect(producer.senderFinished.isFired)
        await #expect(try test.readBack().count == 2)
    }

    @Test func deliveryReportsCarryEachRecordsIDAndEndWhenTheProducerCloses() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["max.request.size": "2000"])
        var ids: [DeliveryReport.ID] = []
        for index in 0..<50 { ids.append(try await producer.sendReporting(test.record(index, keyed: true))) }
        #expect(ids == (0..<50).map { DeliveryReport.ID(rawValue: UInt64($0)) })
        // A record refused before it was handed over throws and is not reported.
        await #expect(throws: KafkaProducerError.self) {
            try await producer.sendReporting(
                ProducerRecord(topic: test.topic, value: ByteBuffer(repeating: 1, count: 5000)))
        }
        await producer.close()
        var reports: [DeliveryReport.ID: DeliveryReport] = [:]
        for await report in producer.deliveryReports {  // ends: the producer is closed
            #expect(reports[report.id] == nil, "record \(report.id) reported twice")
            reports[report.id] = report
        }
        #expect(reports.count == 50)
        #expect(Set(reports.keys) == Set(ids))
        for report in reports.values {
            let metadata = try report.result.get()
            #expect(report.topic == test.topic && metadata.topic == test.topic && metadata.offset >= 0)
        }
    }

    @Test func aFailedRecordIsReportedWithItsError() async throws {
        let test = try ProducerTestCluster()
        let producer = try test.makeProducer(["acks": "all", "retries": "0", "enable.idempotence": "false"])
        test.cluster.pushRequestErrors(.produce, [.topicAuthorizationFailed])
        let id = try await producer.sendReporting(test.record(0, keyed: false))
        var iterator = producer.deliveryReports.makeAsyncIterator()
        let report = await iterator.next()
        #expect(report?.id == id)
        #expect(throws: KafkaProducerError.self) { try report?.result.get() }
        await producer.close()
        #expect(await iterator.next() == nil)
    }
}
