import KafkaNetwork
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import Tracing

/// The producer's tracing, present only with ``KafkaProducerConfiguration/enableTracing``: a `send <topic>` span
/// (kind `producer`) per record, a child of the sending task's `ServiceContext`, whose context goes into the
/// record's headers through the tracer's propagation (W3C `traceparent`/`tracestate` with swift-otel) and which ends
/// when the record is acknowledged or fails.
struct ProducerTracing: Sendable {
    /// Where spans start, and whose `inject` writes their context into headers.
    let tracer: any Tracer
    /// `client.id`, the spans' `messaging.client.id`.
    let clientID: String

    /// Starts the span of one record's send and writes its context into the record's headers (replacing headers of
    /// the same names, so that a forwarded record carries the new span and not its former one).
    func startSend(of record: inout ProducerRecord) -> RecordSendSpan {
        let span = tracer.startSpan(
            "send \(record.topic)", context: ServiceContext.current ?? .topLevel, ofKind: .producer)
        span.updateAttributes { attributes in
            attributes[MessagingAttributes.system] = MessagingAttributes.kafka
            attributes[MessagingAttributes.destinationName] = record.topic
            attributes[MessagingAttributes.operationType] = "send"
            attributes[MessagingAttributes.operationName] = "send"
            attributes[MessagingAttributes.clientID] = clientID
            if let partition = record.partition {
                attributes[MessagingAttributes.partitionID] = String(partition)
            }
            if let key = record.key, let text = MessagingAttributes.keyText(key.readableBytesView) {
                attributes[MessagingAttributes.messageKey] = text
            }
            if let value = record.value {
                attributes[MessagingAttributes.bodySize] = value.readableBytes
            } else {
                attributes[MessagingAttributes.tombstone] = true
            }
        }
        tracer.inject(span.context, into: &record.headers, using: ProducerRecordHeadersInjector())
        return RecordSendSpan(span)
    }
}

/// Writes a propagated value into a record's headers: one UTF-8 header per key, replacing earlier ones of that key.
struct ProducerRecordHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout [RecordHeader]) {
        headers.removeAll { $0.key == key }
        headers.append(RecordHeader(key: key, value: ByteBuffer(string: value)))
    }
}

/// One record's send span, ended once: by the record's outcome, or by the send's error when the record was never
/// handed over.
final class RecordSendSpan: Sendable {
    private let span: NIOLockedValueBox<(any Span)?>

    init(_ span: any Span) {
        self.span = NIOLockedValueBox(span)
    }

    /// Ends the span with the record's outcome: where it was written, or the error (recorded, and the status set).
    func end(_ result: Result<RecordMetadata, KafkaProducerError>) {
        guard
            let span = span.withLockedValue({ span in
                defer { span = nil }; return span
            })
        else { return }
        switch result {
        case .success(let metadata):
            span.updateAttributes { attributes in
                attributes[MessagingAttributes.partitionID] = String(metadata.partition)
                if metadata.offset >= 0 { attributes[MessagingAttributes.offset] = metadata.offset }
            }
        case .failure(let error):
            span.updateAttributes { attributes in
                if let partition = error.partition { attributes[MessagingAttributes.partitionID] = String(partition) }
                attributes[MessagingAttributes.errorType] = Self.errorType(error)
            }
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: error.message))
        }
        span.end()
    }

    /// A low-cardinality name of the error's class: a broker error code's name, otherwise the client error's kind.
    static func errorType(_ error: KafkaProducerError) -> String {
        if case .broker(let code) = error.kind { return code.name }
        return "\(error.kind)"
    }

    /// The target that ends this span and then reports the outcome to `target`.
    func wrapping(_ target: RecordCompletionTarget) -> RecordCompletionTarget {
        .callback { [self] result in
            end(result)
            switch target {
            case .promise(let promise): promise.complete(result)
            case .callback(let callback): callback(result)
            }
        }
    }
}
