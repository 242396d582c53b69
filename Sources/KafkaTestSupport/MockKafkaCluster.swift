import CRdKafka
import Foundation
public import KafkaProtocol

/// librdkafka's mock cluster, in-process: N brokers on loopback ports speaking the real Kafka
/// protocol, with fault injection. The independent protocol peer for integration tests.
///
/// Test support only; never a broker for production. Requires `librdkafka-dev` (the README's test
/// command installs it).
///
/// librdkafka's mock API posts every operation to the cluster's own thread, so the methods may be
/// called from any task; the type is therefore `@unchecked Sendable`.
public final class MockKafkaCluster: @unchecked Sendable {
    /// A failure reported by librdkafka.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// What kind of coordinator ``setCoordinator(_:key:broker:)`` moves.
    public enum CoordinatorType: String, Sendable {
        case group
        case transaction
    }

    private let handle: OpaquePointer
    private let cluster: OpaquePointer

    /// The number of brokers (ids 1 through `brokerCount`).
    public let brokerCount: Int

    /// Starts a cluster of `brokers` brokers.
    public init(brokers: Int = 1) throws {
        guard brokers > 0, brokers <= 64 else { throw Failure(description: "broker count \(brokers) out of range") }
        let conf = rd_kafka_conf_new()
        var errstr = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_conf_set(conf, "log_level", "3", &errstr, errstr.count)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            throw Failure(
                description:
                    "rd_kafka_new failed: \(String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
            )
        }
        guard let cluster = rd_kafka_mock_cluster_new(handle, Int32(brokers)) else {
            rd_kafka_destroy(handle)
            throw Failure(description: "rd_kafka_mock_cluster_new failed")
        }
        self.handle = handle
        self.cluster = cluster
        self.brokerCount = brokers
    }

    deinit {
        // rd_kafka_mock_cluster_destroy joins the cluster's thread, which takes seconds on a loaded machine: done on
        // a thread of its own, so that the test task releasing the cluster does not hold one of Swift's cooperative
        // threads (two on a CI runner) and stall every other test meanwhile.
        let remains = Remains(handle: handle, cluster: cluster)
        Thread.detachNewThread { remains.destroy() }
    }

    /// The librdkafka objects a released cluster leaves to be destroyed.
    private struct Remains: @unchecked Sendable {
        let handle: OpaquePointer
        let cluster: OpaquePointer

        func destroy() {
            rd_kafka_mock_cluster_destroy(cluster)
            rd_kafka_destroy(handle)
        }
    }

    /// The `bootstrap.servers` list (`127.0.0.1:port,…`).
    public var bootstrapServers: String {
        guard let c = rd_kafka_mock_cluster_bootstraps(cluster) else { return "" }
        return String(cString: c)
    }

    /// The brokers' host and port, in broker-id order.
    public var brokerAddresses: [(host: String, port: Int)] {
        bootstrapServers.split(separator: ",").compactMap { entry in
            guard let colon = entry.lastIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...]) else {
                return nil
            }
            return (String(entry[..<colon]), port)
        }
    }

    private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws {
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw Failure(description: "\(what): \(String(cString: rd_kafka_err2str(err)))")
        }
    }

    /// Creates a topic.
    public func createTopic(_ name: String, partitions: Int = 1, replicationFactor: Int = 1) throws {
        try check(
            rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor)),
            "create topic \(name)")
    }

    /// Makes the next requests of `api` fail with `errors`, one error per request, in order.
    public func pushRequestErrors(_ api: KafkaAPIKey, _ errors: [KafkaErrorCode]) {
        let raw = errors.map { rd_kafka_resp_err_t(rawValue: Int32($0.rawValue)) }
        raw.withUnsafeBufferPointer { p in
            rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, p.count, p.baseAddress)
        }
    }

    /// Takes broker `id` down: its connections are closed and new ones refused.
    public func setBrokerDown(_ id: Int32) throws {
        try check(rd_kafka_mock_broker_set_down(cluster, id), "broker \(id) down")
    }

    /// Brings broker `id` back up. (librdkafka aborts the process when it cannot bind the broker's listener again;
    /// `Tools/test.sh` runs the suites that do this in a process of their own.)
    public func setBrokerUp(_ id: Int32) throws {
        try check(rd_kafka_mock_broker_set_up(cluster, id), "broker \(id) up")
    }

    /// Adds `milliseconds` of round-trip delay to broker `id`'s responses.
    public func setRoundTripDelay(broker id: Int32, milliseconds: Int) throws {
        try check(rd_kafka_mock_broker_set_rtt(cluster, id, Int32(milliseconds)), "broker \(id) rtt")
    }

    /// Moves the leader of `topic`-`partition` to broker `id` (-1 for no leader).
    public func setLeader(topic: String, partition: Int32, broker id: Int32) throws {
        try check(rd_kafka_mock_partition_set_leader(cluster, topic, partition, id), "leader of \(topic)-\(partition)")
    }

    /// Moves the group or transaction coordinator for `key` to broker `id`.
    public func setCoordinator(_ type: CoordinatorType, key: String, broker id: Int32) throws {
        try check(rd_kafka_mock_coordinator_set(cluster, type.rawValue, key, id), "\(type) coordinator of \(key)")
    }

    /// Limits the versions the cluster advertises for `api` (-1, -1 disables the API).
    public func setSupportedVersions(_ api: KafkaAPIKey, min: Int16, max: Int16) throws {
        try check(rd_kafka_mock_set_apiversion(cluster, api.rawValue, min, max), "versions of \(api)")
    }
}
