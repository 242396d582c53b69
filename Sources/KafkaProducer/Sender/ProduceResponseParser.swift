package import KafkaNetwork
package import KafkaProtocol

/// One partition's outcome from a ``ProduceResponse``.
package struct PartitionProduceOutcome: Sendable, Hashable {
    /// A record the broker rejected, which made it drop the whole batch (Produce v8+).
    package struct RecordError: Sendable, Hashable {
        /// The index of the record within its batch.
        package var index: Int32
        /// Why the record was rejected, if the broker said.
        package var message: String?

        /// Creates a record error.
        package init(index: Int32, message: String?) {
            self.index = index
            self.message = message
        }
    }

    /// The partition's current leader as the broker knows it (KIP-951, Produce v10+), sent with
    /// `NOT_LEADER_OR_FOLLOWER` so the producer can redirect without a metadata refresh.
    package struct CurrentLeader: Sendable, Hashable {
        /// The leader's broker id.
        package var leaderID: Int32
        /// The leader epoch.
        package var leaderEpoch: Int32

        /// Creates a current-leader hint.
        package init(leaderID: Int32, leaderEpoch: Int32) {
            self.leaderID = leaderID
            self.leaderEpoch = leaderEpoch
        }
    }

    /// The partition.
    package var topicPartition: TopicPartitionKey
    /// The error, ``KafkaErrorCode/none`` on success.
    package var error: KafkaErrorCode
    /// The offset of the batch's first record (-1 when the broker did not append it).
    package var baseOffset: Int64
    /// The broker's append time when the topic uses `LogAppendTime`; `nil` for `CreateTime` (the broker sends -1).
    package var logAppendTime: Int64?
    /// The partition's log start offset (Produce v5+); `nil` when the broker did not send one.
    package var logStartOffset: Int64?
    /// The records that made the broker drop the batch (Produce v8+).
    package var recordErrors: [RecordError]
    /// The broker's message summarising the error (Produce v8+).
    package var errorMessage: String?
    /// The partition's current leader, when the broker sent a known one (Produce v10+).
    package var currentLeader: CurrentLeader?

    /// Creates an outcome.
    package init(
        topicPartition: TopicPartitionKey, error: KafkaErrorCode, baseOffset: Int64 = -1, logAppendTime: Int64? = nil,
        logStartOffset: Int64? = nil, recordErrors: [RecordError] = [], errorMessage: String? = nil,
        currentLeader: CurrentLeader? = nil
    ) {
        self.topicPartition = topicPartition
        self.error = error
        self.baseOffset = baseOffset
        self.logAppendTime = logAppendTime
        self.logStartOffset = logStartOffset
        self.recordErrors = recordErrors
        self.errorMessage = errorMessage
        self.currentLeader = currentLeader
    }
}

/// Turns a ``ProduceResponse`` into one outcome per partition that was sent.
package enum ProduceResponseParser {
    /// The message of the outcome synthesized for a partition the broker did not answer.
    package static let noAnswerMessage = "no answer for partition"

    /// Outcomes for every partition that was sent.
    ///
    /// A partition the broker did not answer gets a synthesized outcome with ``KafkaErrorCode/unknownServerError``
    /// and the message ``noAnswerMessage``, so no batch is ever left without an outcome. Answers for partitions that
    /// were not sent are ignored; when the broker answers a partition twice, the first answer wins.
    ///
    /// - Parameters:
    ///   - response: the decoded response.
    ///   - sent: the partitions of the request.
    package static func outcomes(
        _ response: ProduceResponse, sent: [TopicPartitionKey]
    ) -> [TopicPartitionKey: PartitionProduceOutcome] {
        let expected = Set(sent)
        var outcomes: [TopicPartitionKey: PartitionProduceOutcome] = [:]
        outcomes.reserveCapacity(expected.count)
        for topic in response.responses {
            for partition in topic.partitionResponses {
                let key = TopicPartitionKey(topic: topic.name, partition: partition.index)
                guard expected.contains(key), outcomes[key] == nil else { continue }
                outcomes[key] = outcome(key, partition)
            }
        }
        for key in expected where outcomes[key] == nil {
            outcomes[key] = PartitionProduceOutcome(
                topicPartition: key, error: .unknownServerError, errorMessage: noAnswerMessage)
        }
        return outcomes
    }

    static func outcome(
        _ key: TopicPartitionKey, _ partition: ProduceResponse.PartitionProduceResponse
    ) -> PartitionProduceOutcome {
        let leader = partition.currentLeader
        return PartitionProduceOutcome(
            topicPartition: key,
            error: KafkaErrorCode(rawValue: partition.errorCode),
            baseOffset: partition.baseOffset,
            logAppendTime: partition.logAppendTimeMs >= 0 ? partition.logAppendTimeMs : nil,
            logStartOffset: partition.logStartOffset >= 0 ? partition.logStartOffset : nil,
            recordErrors: partition.recordErrors.map {
                PartitionProduceOutcome.RecordError(index: $0.batchIndex, message: $0.batchIndexErrorMessage)
            },
            errorMessage: partition.errorMessage,
            currentLeader: leader.leaderId >= 0 && leader.leaderEpoch >= 0
                ? PartitionProduceOutcome.CurrentLeader(leaderID: leader.leaderId, leaderEpoch: leader.leaderEpoch)
                : nil)
    }
}
