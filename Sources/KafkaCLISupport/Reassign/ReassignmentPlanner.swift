package import KafkaAdmin
package import KafkaNetwork

/// The computations of `kafka-reassign-partitions` that need no cluster: the proposed assignment of `--generate`
/// (Kafka's replica placement, rack-aware or not) and the replication throttles of `--execute --throttle`.
package enum ReassignmentPlanner {
    /// A broker that may receive replicas, with its rack (nil when it has none or racks are ignored).
    package struct Broker: Equatable, Sendable {
        package var id: Int32
        package var rack: String?

        package init(id: Int32, rack: String? = nil) {
            self.id = id
            self.rack = rack
        }
    }

    /// Kafka's proposal for `current` (the partitions of the topics to move): each topic placed anew on `brokers`
    /// with its replication factor, by Kafka's placement (round-robin from a random start with increasing shifts of
    /// the followers; rack-alternated when every broker has a rack).
    ///
    /// - Throws: ``ToolError`` when a topic's replication factor is larger than the number of brokers, or when some
    ///   brokers have a rack and others do not.
    package static func propose<Generator: RandomNumberGenerator>(
        current: [TopicPartitionKey: [Int32]], brokers: [Broker], using generator: inout Generator
    ) throws -> [TopicPartitionKey: [Int32]] {
        let racked = brokers.filter { $0.rack != nil }.count
        if racked != 0 && racked != brokers.count {
            throw ToolError(
                "Not all brokers have rack information. Add --disable-rack-aware in command line to make replica "
                    + "assignment without rack information.")
        }
        var proposal: [TopicPartitionKey: [Int32]] = [:]
        let byTopic = Dictionary(grouping: current.keys, by: \.topic)
        for topic in byTopic.keys.sorted() {
            let partitions = (byTopic[topic] ?? []).sorted()
            guard let first = partitions.first else { continue }
            let replicationFactor = current[first]?.count ?? 0
            guard replicationFactor > 0 else { continue }
            guard replicationFactor <= brokers.count else {
                throw ToolError(
                    "Replication factor: \(replicationFactor) larger than available brokers: \(brokers.count).")
            }
            let start = Int.random(in: 0..<brokers.count, using: &generator)
            let shift = Int.random(in: 0..<brokers.count, using: &generator)
            let placement =
                racked == 0
                ? place(
                    partitions: partitions.count, replicationFactor: replicationFactor, brokers: brokers.map(\.id),
                    startIndex: start, shift: shift)
                : placeRackAware(
                    partitions: partitions.count, replicationFactor: replicationFactor, brokers: brokers,
                    startIndex: start, shift: shift)
            for (index, replicas) in placement.enumerated() {
                proposal[TopicPartitionKey(topic: topic, partition: Int32(index))] = replicas
            }
        }
        return proposal
    }

    /// Kafka's placement without racks: the first replica of partition p on broker `(p + startIndex) % n`, the
    /// others after it with a shift that grows by one every n partitions.
    package static func place(
        partitions: Int, replicationFactor: Int, brokers: [Int32], startIndex: Int, shift: Int
    ) -> [[Int32]] {
        let count = brokers.count
        guard count > 0 else { return [] }
        var nextShift = shift
        return (0..<partitions).map { partition in
            if partition > 0 && partition % count == 0 { nextShift += 1 }
            let first = (partition + startIndex) % count
            return [brokers[first]]
                + (0..<max(replicationFactor - 1, 0)).map {
                    brokers[replicaIndex(first: first, shift: nextShift, replica: $0, brokers: count)]
                }
        }
    }

    /// Kafka's placement with racks: round-robin over the brokers alternated by rack, the followers preferring racks
    /// and brokers that hold no replica of the partition yet.
    package static func placeRackAware(
        partitions: Int, replicationFactor: Int, brokers: [Broker], startIndex: Int, shift: Int
    ) -> [[Int32]] {
        var rackOf: [Int32: String] = [:]
        for broker in brokers { rackOf[broker.id] = broker.rack ?? "" }
        let racks = Set(rackOf.values).count
        let arranged = rackAlternated(rackOf)
        let count = arranged.count
        guard count > 0 else { return [] }
        var nextShift = shift
        return (0..<partitions).map { partition in
            if partition > 0 && partition % count == 0 { nextShift += 1 }
            let first = (partition + startIndex) % count
            let leader = arranged[first]
            var replicas = [leader]
            var racksUsed: Set<String> = [rackOf[leader] ?? ""]
            var brokersUsed: Set<Int32> = [leader]
            var k = 0
            for _ in 0..<max(replicationFactor - 1, 0) {
                while k < count * count * 4 {
                    let broker = arranged[
                        replicaIndex(first: first, shift: nextShift * racks, replica: k, brokers: count)]
                    let rack = rackOf[broker] ?? ""
                    k += 1
                    if (!racksUsed.contains(rack) || racksUsed.count == racks)
                        && (!brokersUsed.contains(broker) || brokersUsed.count == count)
                    {
                        replicas.append(broker)
                        racksUsed.insert(rack)
                        brokersUsed.insert(broker)
                        break
                    }
                }
            }
            return replicas
        }
    }

    /// The brokers alternated by rack (racks in name order, brokers of a rack by id): rack1 0,1; rack2 3,4 → 0,3,1,4.
    package static func rackAlternated(_ rackOf: [Int32: String]) -> [Int32] {
        let byRack = Dictionary(grouping: rackOf.keys, by: { rackOf[$0] ?? "" }).mapValues { $0.sorted() }
        let racks = byRack.keys.sorted()
        var result: [Int32] = []
        var position: [String: Int] = [:]
        var rack = 0
        while result.count < rackOf.count {
            let name = racks[rack]
            let index = position[name, default: 0]
            if let brokers = byRack[name], index < brokers.count {
                result.append(brokers[index])
                position[name] = index + 1
            }
            rack = (rack + 1) % racks.count
        }
        return result
    }

    static func replicaIndex(first: Int, shift: Int, replica: Int, brokers: Int) -> Int {
        guard brokers > 1 else { return first }
        return (first + 1 + (shift + replica) % (brokers - 1)) % brokers
    }

    // MARK: - Throttles

    /// The brokers a partition's data moves from (its replicas before the move) and to (the replicas it gains).
    package struct Move: Equatable, Sendable {
        package var sources: Set<Int32>
        package var destinations: Set<Int32>

        package init(sources: Set<Int32>, destinations: Set<Int32>) {
            self.sources = sources
            self.destinations = destinations
        }
    }

    /// Every partition that moves, by topic and partition: the reassignments in progress (their sources are the
    /// replicas not being added) and then the proposed ones (sources from the move in progress, else the current
    /// replicas; destinations the proposed replicas that are not sources).
    package static func moves(
        ongoing: [TopicPartitionKey: PartitionReassignment], proposed: [TopicPartitionKey: [Int32]],
        current: [TopicPartitionKey: [Int32]]
    ) -> [String: [Int32: Move]] {
        var moves: [String: [Int32: Move]] = [:]
        for (key, reassignment) in ongoing {
            let adding = Set(reassignment.addingReplicas)
            moves[key.topic, default: [:]][key.partition] = Move(
                sources: Set(reassignment.replicas).subtracting(adding), destinations: adding)
        }
        for (key, replicas) in proposed {
            let sources = moves[key.topic]?[key.partition]?.sources ?? Set(current[key] ?? [])
            moves[key.topic, default: [:]][key.partition] = Move(
                sources: sources, destinations: Set(replicas).subtracting(sources))
        }
        return moves
    }

    /// `leader.replication.throttled.replicas` per topic: `partition:source` for every source, sorted as strings and
    /// joined with ",".
    package static func leaderThrottles(_ moves: [String: [Int32: Move]]) -> [String: String] {
        moves.mapValues { partitions in
            Set(partitions.flatMap { partition, move in move.sources.map { "\(partition):\($0)" } }).sorted()
                .joined(separator: ",")
        }
    }

    /// `follower.replication.throttled.replicas` per topic: `partition:destination` for every destination that is
    /// not also a source, sorted as strings and joined with ",".
    package static func followerThrottles(_ moves: [String: [Int32: Move]]) -> [String: String] {
        moves.mapValues { partitions in
            Set(
                partitions.flatMap { partition, move in
                    move.destinations.subtracting(move.sources).map { "\(partition):\($0)" }
                }
            ).sorted().joined(separator: ",")
        }
    }

    /// Every broker a move reads from or writes to, in id order.
    package static func reassigningBrokers(_ moves: [String: [Int32: Move]]) -> [Int32] {
        Set(moves.values.flatMap { $0.values.flatMap { $0.sources.union($0.destinations) } }).sorted()
    }
}
