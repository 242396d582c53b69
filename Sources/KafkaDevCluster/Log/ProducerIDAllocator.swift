/// PLACEHOLDER (helper A replaces): producer ids handed out by InitProducerId.
struct ProducerIDAllocator: Sendable {
    var next: Int64 = 1000
}
