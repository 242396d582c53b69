// Distributed tracing with swift-distributed-tracing: turning it on, a send in the caller's span, and a consumer
// that continues the producer's trace in the application's own spans.

// snippet.hide
import Kafka
import Tracing

func bill(orderID: String) async throws {}
// snippet.show

// snippet.enable
var producerSettings = try KafkaProducerConfiguration(properties: [
    "bootstrap.servers": "broker1:9092",
    "tracing.enable": "true",  // this package's property: a span per record sent
])
// `tracer` nil (the default) is the global `InstrumentationSystem.tracer`; a test passes its own, e.g. an
// `InMemoryTracer`, here the global one explicitly:
producerSettings.tracer = InstrumentationSystem.tracer
let producer = try KafkaProducer(configuration: producerSettings)

let consumerSettings = try KafkaConsumerConfiguration(properties: [
    "bootstrap.servers": "broker1:9092",
    "group.id": "billing",
    "tracing.enable": "true",
])
let consumer = try KafkaConsumer(configuration: consumerSettings)
// snippet.send
// The record's `send orders` span is a child of the caller's span ("checkout"), and its context travels in the
// record's headers.
try await withSpan("checkout") { _ in
    try await producer.send(ProducerRecord(topic: "orders", key: "order-42", value: #"{"id":"order-42","total":12}"#))
}
// snippet.consume
try consumer.subscribe(topics: ["orders"])
for try await record in consumer.records {
    // The record arrives in its `process orders` span, a child of the producer's `send orders` span;
    // `serviceContext` is that span's context: the application's spans continue the same trace.
    try await withSpan("bill", context: record.serviceContext ?? .topLevel) { span in
        let orderID = record.keyString ?? ""
        span.attributes["order.id"] = orderID
        try await bill(orderID: orderID)
    }
}
// snippet.end
