import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import NIOCore
import Testing

extension ProduceRequestTests {
    typealias PartitionResponse = ProduceResponse.PartitionProduceResponse

    func response(_ topics: [String: [PartitionResponse]]) -> ProduceResponse {
        ProduceResponse(
            responses: topics.sorted { $0.key < $1.key }.map {
                ProduceResponse.TopicProduceResponse(name: $0.key, partitionResponses: $0.value)
            })
    }

    @Test func parseSuccess() throws {
        let a0 = TopicPartitionKey(topic: "a", partition: 0)
        let b3 = TopicPartitionKey(topic: "b", partition: 3)
        let outcomes = ProduceResponseParser.outcomes(
            response([
                "a": [PartitionResponse(index: 0, baseOffset: 100, logAppendTimeMs: -1, logStartOffset: 7)],
                "b": [
                    PartitionResponse(index: 3, baseOffset: 5, logAppendTimeMs: 1_700_000_000_123, logStartOffset: 0)
                ],
            ]), sent: [a0, b3])
        #expect(
            outcomes[a0]
                == PartitionProduceOutcome(topicPartition: a0, error: .none, baseOffset: 100, logStartOffset: 7))
        let b = try #require(outcomes[b3])
        #expect(b.error == .none)
        #expect(b.baseOffset == 5)
        #expect(b.logAppendTime == 1_700_000_000_123)
        #expect(b.logStartOffset == 0)
        #expect(b.recordErrors.isEmpty && b.errorMessage == nil && b.currentLeader == nil)
        #expect(outcomes.count == 2)
    }

    @Test func parsePartitionErrorsRecordErrorsAndLeaderHints() throws {
        let t0 = TopicPartitionKey(topic: "t", partition: 0)
        let t1 = TopicPartitionKey(topic: "t", partition: 1)
        let outcomes = ProduceResponseParser.outcomes(
            response([
                "t": [
                    PartitionResponse(
                        index: 0, errorCode: KafkaErrorCode.notLeaderOrFollower.rawValue, baseOffset: -1,
                        currentLeader: ProduceResponse.LeaderIdAndEpoch(leaderId: 4, leaderEpoch: 12)),
                    PartitionResponse(
                        index: 1, errorCode: KafkaErrorCode.invalidRecord.rawValue, baseOffset: -1,
                        recordErrors: [
                            ProduceResponse.BatchIndexAndErrorMessage(batchIndex: 2, batchIndexErrorMessage: "bad key"),
                            ProduceResponse.BatchIndexAndErrorMessage(batchIndex: 5, batchIndexErrorMessage: nil),
                        ],
                        errorMessage: "compacted topic needs keys"),
                ]
            ]), sent: [t0, t1])
        let notLeader = try #require(outcomes[t0])
        #expect(notLeader.error == .notLeaderOrFollower)
        #expect(notLeader.error.isRetriable)
        #expect(notLeader.baseOffset == -1)
        #expect(notLeader.currentLeader == PartitionProduceOutcome.CurrentLeader(leaderID: 4, leaderEpoch: 12))
        let invalid = try #require(outcomes[t1])
        #expect(invalid.error == .invalidRecord)
        #expect(
            invalid.recordErrors == [
                PartitionProduceOutcome.RecordError(index: 2, message: "bad key"),
                PartitionProduceOutcome.RecordError(index: 5, message: nil),
            ])
        #expect(invalid.errorMessage == "compacted topic needs keys")
        #expect(invalid.currentLeader == nil)
    }

    @Test func parseUnknownLeaderIsNoHint() {
        let t0 = TopicPartitionKey(topic: "t", partition: 0)
        let outcomes = ProduceResponseParser.outcomes(
            response([
                "t": [
                    PartitionResponse(
                        index: 0, errorCode: KafkaErrorCode.notLeaderOrFollower.rawValue,
                        currentLeader: ProduceResponse.LeaderIdAndEpoch(leaderId: -1, leaderEpoch: 3))
                ]
            ]), sent: [t0])
        #expect(outcomes[t0]?.currentLeader == nil)
        #expect(outcomes[t0]?.error == .notLeaderOrFollower)
    }

    @Test func parseSynthesizesMissingAndIgnoresExtraPartitions() throws {
        let sent = [
            TopicPartitionKey(topic: "t", partition: 0), TopicPartitionKey(topic: "t", partition: 1),
            TopicPartitionKey(topic: "gone", partition: 0),
        ]
        let outcomes = ProduceResponseParser.outcomes(
            response([
                "t": [
                    PartitionResponse(index: 0, baseOffset: 10),
                    PartitionResponse(index: 0, errorCode: KafkaErrorCode.corruptMessage.rawValue),  // duplicate
                    PartitionResponse(index: 9, baseOffset: 99),  // not sent
                ],
                "other": [PartitionResponse(index: 0, baseOffset: 1)],  // not sent
            ]), sent: sent)
        #expect(Set(outcomes.keys) == Set(sent))
        #expect(outcomes[sent[0]]?.error == KafkaErrorCode.none)
        #expect(outcomes[sent[0]]?.baseOffset == 10)
        for key in sent.dropFirst() {
            let missing = try #require(outcomes[key])
            #expect(missing.error == .unknownServerError)
            #expect(missing.errorMessage == "no answer for partition")
            #expect(missing.errorMessage == ProduceResponseParser.noAnswerMessage)
            #expect(missing.baseOffset == -1)
        }
    }

    @Test func parseEmptyResponseAndDecodedWireResponse() throws {
        let key = TopicPartitionKey(topic: "t", partition: 0)
        #expect(ProduceResponseParser.outcomes(ProduceResponse(), sent: [key])[key]?.error == .unknownServerError)
        #expect(ProduceResponseParser.outcomes(response(["t": [PartitionResponse(index: 0)]]), sent: []).isEmpty)
        // A v7 response (no record errors, no leader) decoded from the wire: log append time -1 becomes nil.
        var buffer = ByteBuffer()
        try response(["t": [PartitionResponse(index: 0, baseOffset: 42, logAppendTimeMs: -1, logStartOffset: 3)]])
            .encode(into: &buffer, version: 7)
        let decoded = try ProduceResponse(from: &buffer, version: 7)
        let outcome = try #require(ProduceResponseParser.outcomes(decoded, sent: [key])[key])
        #expect(
            outcome == PartitionProduceOutcome(topicPartition: key, error: .none, baseOffset: 42, logStartOffset: 3))
        #expect(outcome.logAppendTime == nil)
    }
}
