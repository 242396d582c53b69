import KafkaProtocol

/// DescribeLogDirs: each broker has one log directory holding a replica of every partition it is a replica of.
///
/// A replica's size is the partition log's size in bytes (the dev cluster keeps one log per partition, which every
/// replica shares), its offset lag 0 and it is never a future replica. A null topic list asks for every partition;
/// a listed partition the broker has no replica of is left out, as Kafka does. Total and usable bytes (v4) are
/// unknown (-1).
enum DescribeLogDirsHandler: DevAPIHandler {
    static func handle(_ request: DescribeLogDirsRequest, in state: inout ClusterState, context: RequestContext)
        -> DevReply<DescribeLogDirsResponse>
    {
        var wanted: [String: Set<Int32>]?
        if let topics = request.topics {
            var byTopic: [String: Set<Int32>] = [:]
            for topic in topics { byTopic[topic.topic, default: []].formUnion(topic.partitions) }
            wanted = byTopic
        }
        var result = DescribeLogDirsResponse.DescribeLogDirsResult(
            logDir: "\(state.logDirectoryRoot)/broker-\(context.brokerID)")
        for name in state.topics.keys.sorted() {
            guard let topic = state.topics[name] else { continue }
            let partitions = topic.partitions.filter { partition in
                partition.replicas.contains(context.brokerID)
                    && (wanted.map { $0[name]?.contains(partition.index) ?? false } ?? true)
            }
            guard !partitions.isEmpty else { continue }
            result.topics.append(
                DescribeLogDirsResponse.DescribeLogDirsTopic(
                    name: name,
                    partitions: partitions.map { partition in
                        let copy = partition.replicaCopy(on: context.brokerID)
                        return DescribeLogDirsResponse.DescribeLogDirsPartition(
                            partitionIndex: partition.index, partitionSize: copy.size, offsetLag: copy.offsetLag,
                            isFutureKey: false)
                    }))
        }
        return .respond(DescribeLogDirsResponse(results: [result]))
    }

    static func errorResponse(to request: DescribeLogDirsRequest, error: KafkaErrorCode, context: RequestContext)
        -> DescribeLogDirsResponse
    {
        DescribeLogDirsResponse(errorCode: error.rawValue)
    }
}
