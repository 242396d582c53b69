import ArgumentParser
import KafkaDevCluster

/// PLACEHOLDER: the `kafka-dev-cluster` executable.
@main
struct KafkaDevClusterTool: AsyncParsableCommand {
    func run() async throws {}
}
