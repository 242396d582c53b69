import KafkaProtocol
import Testing

@testable import KafkaDevCluster

@Suite(.timeLimit(.minutes(5))) struct InitProducerIdTests {
    static func harness() -> HandlerHarness {
        var harness = HandlerHarness(brokers: 3)
        harness.state.coordinatorOverrides[ClusterState.CoordinatorKey(type: 1, key: "tx")] = 1
        return harness
    }

    static func request(
        _ transactionalID: String?, timeout: Int32 = 60_000, producerID: Int64 = -1, epoch: Int16 = -1
    ) -> InitProducerIdRequest {
        InitProducerIdRequest(
            transactionalId: transactionalID, transactionTimeoutMs: timeout, producerId: producerID,
            producerEpoch: epoch)
    }

    static func initialize(
        _ harness: inout HandlerHarness, _ request: InitProducerIdRequest, version: Int16 = 5, broker: Int32 = 1
    ) throws -> InitProducerIdResponse {
        try harness.respond(InitProducerIdHandler.self, request, version: version, broker: broker)
    }

    @Test(arguments: [Int16(0), 5])
    func idempotentProducersGetNewIDs(version: Int16) throws {
        var harness = Self.harness()
        let first = try Self.initialize(&harness, Self.request(nil), version: version, broker: 2)
        #expect(first.errorCode == 0)
        #expect(first.producerId == 1000)
        #expect(first.producerEpoch == 0)
        let second = try Self.initialize(&harness, Self.request(nil, timeout: -5), version: version, broker: 3)
        #expect(second.producerId == 1001)
        #expect(second.producerEpoch == 0)
    }

    @Test func idempotentEpochBumpGetsAFreshID() throws {
        // Kafka's coordinator answers a null transactional id with a new id whatever id and epoch
        // the producer sends (KIP-360 bumps for idempotent producers resolve to a new id).
        var harness = Self.harness()
        let first = try Self.initialize(&harness, Self.request(nil))
        let bumped = try Self.initialize(&harness, Self.request(nil, producerID: first.producerId, epoch: 0))
        #expect(bumped.errorCode == 0)
        #expect(bumped.producerId == first.producerId + 1)
        #expect(bumped.producerEpoch == 0)
    }

    @Test(arguments: [Int16(3), 5])
    func halfGivenProducerIsInvalid(version: Int16) throws {
        var harness = Self.harness()
        for request in [Self.request(nil, producerID: 5, epoch: -1), Self.request("tx", producerID: -1, epoch: 2)] {
            let answer = try Self.initialize(&harness, request, version: version)
            #expect(answer.errorCode == KafkaErrorCode.invalidRequest.rawValue)
            #expect(answer.producerId == -1)
            #expect(answer.producerEpoch == -1)
        }
    }

    @Test(arguments: [Int16(0), 5])
    func transactionalIDsBumpTheEpoch(version: Int16) throws {
        var harness = Self.harness()
        let first = try Self.initialize(&harness, Self.request("tx"), version: version)
        #expect(first.errorCode == 0)
        #expect(first.producerId == 1000)
        #expect(first.producerEpoch == 0)
        let second = try Self.initialize(&harness, Self.request("tx"), version: version)
        #expect(second.producerId == 1000)
        #expect(second.producerEpoch == 1)
        harness.state.coordinatorOverrides[ClusterState.CoordinatorKey(type: 1, key: "other")] = 1
        let other = try Self.initialize(&harness, Self.request("other"), version: version)
        #expect(other.producerId == 1001)
        #expect(other.producerEpoch == 0)
    }

    @Test(arguments: [Int16(0), 5])
    func transactionalErrors(version: Int16) throws {
        var harness = Self.harness()
        let wrong = try Self.initialize(&harness, Self.request("tx"), version: version, broker: 2)
        #expect(wrong.errorCode == KafkaErrorCode.notCoordinator.rawValue)
        #expect(wrong.producerId == -1)
        for timeout in [Int32(0), -1, 900_001] {
            let answer = try Self.initialize(&harness, Self.request("tx", timeout: timeout), version: version)
            #expect(answer.errorCode == KafkaErrorCode.invalidTransactionTimeout.rawValue)
        }
        #expect(try Self.initialize(&harness, Self.request("tx", timeout: 900_000), version: version).errorCode == 0)
        let empty = try Self.initialize(&harness, Self.request(""), version: version)
        #expect(empty.errorCode == KafkaErrorCode.invalidRequest.rawValue)
    }

    @Test func expectedEpochRules() throws {
        var harness = Self.harness()
        let first = try Self.initialize(&harness, Self.request("tx"))
        // The current epoch bumps.
        let bumped = try Self.initialize(&harness, Self.request("tx", producerID: first.producerId, epoch: 0))
        #expect(bumped.producerEpoch == 1)
        // A retry with the previous epoch gets the current one again.
        let retried = try Self.initialize(&harness, Self.request("tx", producerID: first.producerId, epoch: 0))
        #expect(retried.errorCode == 0)
        #expect(retried.producerEpoch == 1)
        // Anything else is fenced: PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before.
        let stale = Self.request("tx", producerID: first.producerId, epoch: 7)
        #expect(try Self.initialize(&harness, stale, version: 5).errorCode == KafkaErrorCode.producerFenced.rawValue)
        #expect(
            try Self.initialize(&harness, stale, version: 3).errorCode == KafkaErrorCode.invalidProducerEpoch.rawValue)
        let otherID = Self.request("tx", producerID: 4242, epoch: 1)
        #expect(try Self.initialize(&harness, otherID).errorCode == KafkaErrorCode.producerFenced.rawValue)
        #expect(harness.state.producerIDs.transactional["tx"]?.epoch == 1)
    }

    @Test func exhaustedEpochRotatesTheID() throws {
        var harness = Self.harness()
        let first = try Self.initialize(&harness, Self.request("tx"))
        harness.state.producerIDs.transactional["tx"]?.epoch = Int16.max - 1
        let rotated = try Self.initialize(
            &harness, Self.request("tx", producerID: first.producerId, epoch: Int16.max - 1))
        #expect(rotated.errorCode == 0)
        #expect(rotated.producerId == first.producerId + 1)
        #expect(rotated.producerEpoch == 0)
        // A retry with the old id and epoch gets the new id again.
        let retried = try Self.initialize(
            &harness, Self.request("tx", producerID: first.producerId, epoch: Int16.max - 1))
        #expect(retried.producerId == rotated.producerId)
        #expect(retried.producerEpoch == 0)
        // Without an expected epoch, exhaustion rotates too.
        harness.state.producerIDs.transactional["tx"]?.epoch = Int16.max - 1
        let plain = try Self.initialize(&harness, Self.request("tx"), version: 0)
        #expect(plain.producerId == rotated.producerId + 1)
        #expect(plain.producerEpoch == 0)
    }

    @Test(arguments: [Int16(0), 5])
    func errorResponse(version: Int16) throws {
        let harness = Self.harness()
        let response = InitProducerIdHandler.errorResponse(
            to: Self.request("tx"), error: .coordinatorLoadInProgress, context: harness.context(version: version))
        let decoded = try HandlerHarness.roundTrip(response, version: version)
        #expect(decoded.errorCode == KafkaErrorCode.coordinatorLoadInProgress.rawValue)
        #expect(decoded.producerId == -1)
        #expect(decoded.producerEpoch == -1)
    }
}
