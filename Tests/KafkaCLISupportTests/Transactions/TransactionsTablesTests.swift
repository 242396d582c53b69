import Foundation
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import Testing

/// The tables of `kafka-transactions` as Kafka prints them, and their JSON.
@Suite struct TransactionsTablesTests {
    @Test("cells are padded to the widest value of their column and each is followed by a tab")
    func prettyTable() {
        let text = TransactionsTables.render(headers: ["A", "Longer"], rows: [["value", "x"], ["v", "yy"]])
        #expect(text == "A    \tLonger\t\nvalue\tx     \t\nv    \tyy    \t\n")
        #expect(TransactionsTables.render(headers: ["Only"], rows: []) == "Only\t\n")
    }

    @Test("list: one row per transactional id, by coordinator then id")
    func listRows() {
        let rows = TransactionsTables.listRows([
            2: [TransactionListing(transactionalID: "b", producerID: 9, state: .ongoing)],
            1: [
                TransactionListing(transactionalID: "z", producerID: 3, state: .empty),
                TransactionListing(transactionalID: "a", producerID: 4, state: .completeCommit),
            ],
        ])
        #expect(rows == [["a", "1", "4", "CompleteCommit"], ["z", "1", "3", "Empty"], ["b", "2", "9", "Ongoing"]])
        let text = TransactionsTables.render(headers: TransactionsTables.listHeaders, rows: rows)
        #expect(text.split(separator: "\n").first == "TransactionalId\tCoordinator\tProducerId\tTransactionState\t")
        #expect(
            text.split(separator: "\n").dropFirst().first
                == "a              \t1          \t4         \tCompleteCommit  \t")
    }

    @Test("describe: the duration from the start time, None without a transaction, partitions in Kafka's order")
    func describeRow() {
        let open = TransactionDescription(
            coordinatorID: 1, state: .ongoing, producerID: 5, producerEpoch: 2, transactionTimeoutMs: 60_000,
            transactionStartTimeMs: 1_000,
            topicPartitions: [
                TopicPartitionKey(topic: "t", partition: 10), TopicPartitionKey(topic: "t", partition: 2),
                TopicPartitionKey(topic: "a", partition: 0),
            ])
        #expect(
            TransactionsTables.describeRow("tx", open, nowMs: 4_500)
                == ["1", "tx", "5", "2", "Ongoing", "60000", "1000", "3500", "a-0,t-10,t-2"])
        var empty = open
        empty.state = .empty
        empty.transactionStartTimeMs = nil
        empty.topicPartitions = []
        #expect(
            TransactionsTables.describeRow("tx", empty, nowMs: 4_500)
                == ["1", "tx", "5", "2", "Empty", "60000", "None", "None", ""])
        let json = TransactionsJSON.describe("tx", empty, nowMs: 4_500)
        let document = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        #expect(document?.first?["currentTransactionStartTimeMs"] is NSNull)
        #expect(document?.first?["transactionState"] as? String == "Empty")
    }

    @Test("describe-producers: -1 for no coordinator epoch, None for no open transaction")
    func producerRows() {
        let rows = TransactionsTables.producerRows([
            ProducerState(
                producerID: 7, producerEpoch: 0, lastSequence: 4, lastTimestamp: 1_700, coordinatorEpoch: nil,
                currentTransactionStartOffset: 12),
            ProducerState(
                producerID: 8, producerEpoch: 3, lastSequence: -1, lastTimestamp: 1_800, coordinatorEpoch: 2,
                currentTransactionStartOffset: nil),
        ])
        #expect(rows == [["7", "0", "-1", "4", "1700", "12"], ["8", "3", "2", "-1", "1800", "None"]])
    }

    @Test("find-hanging: the duration in whole minutes since the last timestamp")
    func hangingRows() throws {
        let transaction = OpenTransaction(
            partition: TopicPartitionKey(topic: "t", partition: 1),
            producer: ProducerState(
                producerID: 7, producerEpoch: 0, lastSequence: 4, lastTimestamp: 0, coordinatorEpoch: nil,
                currentTransactionStartOffset: 12))
        #expect(
            TransactionsTables.hangingRows([transaction], nowMs: 20 * 60_000 + 59_999)
                == [["t", "1", "7", "0", "-1", "12", "0", "20"]])
        let json = TransactionsJSON.hanging([transaction], nowMs: 20 * 60_000)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(document.first?["topic"] as? String == "t")
        #expect(document.first?["currentTransactionStartOffset"] as? Int == 12)
        #expect(document.first?["durationMinutes"] as? Int == 20)
    }
}
