import KafkaNetwork
import KafkaProtocol
import NIOCore
import Tracing

/// The consumer's tracing, present only with ``KafkaConsumerConfiguration/enableTracing``: each polled record's
/// context is extracted from its headers through the tracer's propagation (W3C `traceparent`/`tracestate` with
/// swift-otel), and ``KafkaConsumer/records`` and ``KafkaConsumer/batches`` run a `process <topic>` span (kind
/// `consumer`) per record, a child of that context, while the application holds the record.
struct ConsumerTracing: Sendable {
    /// Where spans start, and whose `extract` reads contexts from headers.
    let tracer: any Tracer
    /// `client.id`, the spans' `messaging.client.id`.
    let clientID: String
    /// `group.id`, the spans' `messaging.consumer.group.name`.
    let groupID: String?

    /// Sets each record's ``ConsumerRecord/serviceContext`` to the context its headers carry, on top of the polling
    /// task's context (which a record without a propagated context keeps).
    func extractContexts(_ records: inout [ConsumerRecord]) {
        let base = ServiceContext.current ?? .topLevel
        for index in records.indices {
            var context = base
            tracer.extract(records[index].headers, into: &context, using: ConsumerRecordHeadersExtractor())
            records[index].serviceContext = context
        }
    }

    /// Starts the record's `process` span as a child of its extracted context, and makes the span's context the
    /// record's ``ConsumerRecord/serviceContext``.
    func startProcessing(_ record: inout ConsumerRecord) -> any Span {
        let parent = record.serviceContext ?? ServiceContext.current ?? .topLevel
        let span = tracer.startSpan("process \(record.topic)", context: parent, ofKind: .consumer)
        span.updateAttributes { attributes in
            attributes[MessagingAttributes.system] = MessagingAttributes.kafka
            attributes[MessagingAttributes.destinationName] = record.topic
            attributes[MessagingAttributes.partitionID] = String(record.partition)
            attributes[MessagingAttributes.offset] = record.offset
            attributes[MessagingAttributes.operationType] = "process"
            attributes[MessagingAttributes.operationName] = "process"
            attributes[MessagingAttributes.clientID] = clientID
            if let groupID { attributes[MessagingAttributes.consumerGroup] = groupID }
            if let key = record.key, let text = MessagingAttributes.keyText(key.readableBytesView) {
                attributes[MessagingAttributes.messageKey] = text
            }
            if let value = record.value {
                attributes[MessagingAttributes.bodySize] = value.readableBytes
            } else {
                attributes[MessagingAttributes.tombstone] = true
            }
        }
        record.serviceContext = span.context
        return span
    }
}

/// Reads a propagated value from a record's headers: the last header of the key, as UTF-8 text (a null, malformed
/// or non-UTF-8 header reads as absent).
struct ConsumerRecordHeadersExtractor: Extractor {
    func extract(key: String, from headers: RecordHeaders) -> String? {
        guard !headers.isEmpty, case .some(.some(let value)) = try? headers.last(key) else { return nil }
        return MessagingAttributes.keyText(value.readableBytesView)
    }
}

/// The `process` spans of the records a sequence's iterator handed out last: ended when the iterator moves on, when
/// the iteration ends, or when the iterator is released (a loop left with `break`).
final class OpenProcessSpans {
    private var spans: [any Span] = []

    /// Ends the open spans, then starts one for each record (setting its ``ConsumerRecord/serviceContext``).
    func replace(with records: inout [ConsumerRecord], tracing: ConsumerTracing) {
        endAll()
        spans.reserveCapacity(records.count)
        for index in records.indices { spans.append(tracing.startProcessing(&records[index])) }
    }

    /// Ends the open spans, then starts the record's.
    func replace(with record: inout ConsumerRecord, tracing: ConsumerTracing) {
        endAll()
        spans.append(tracing.startProcessing(&record))
    }

    /// Ends the open spans.
    func endAll() {
        for span in spans { span.end() }
        spans.removeAll(keepingCapacity: true)
    }

    deinit {
        for span in spans { span.end() }
    }
}

extension KafkaConsumer {
    /// The polled records, with tracing on each with the context its headers carry.
    @inline(__always)
    func withContexts(_ records: [ConsumerRecord]) -> [ConsumerRecord] {
        guard let tracing, !records.isEmpty else { return records }
        var records = records
        tracing.extractContexts(&records)
        return records
    }
}
