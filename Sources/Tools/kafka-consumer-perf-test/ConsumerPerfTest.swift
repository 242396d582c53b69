// Placeholder replaced by the consumer perf-test implementation.
@main
struct ConsumerPerfTestPlaceholder {
    static func main() {}
}
