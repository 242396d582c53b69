import KafkaNetwork
public import KafkaProtocol
import Logging

extension KafkaAdminClient {
    // MARK: Listing

    /// Lists the consumer groups of the cluster (Java's `listConsumerGroups`): groups with the
    /// `consumer` protocol type and simple groups that only store offsets.
    ///
    /// Every broker lists the groups it coordinates, so ListGroups goes to each broker and the
    /// answers are merged.
    ///
    /// - Parameter states: only groups in these states (`Stable`, `Empty`, …; case-insensitive);
    ///   `nil` for every state. Brokers that support ListGroups v4 filter themselves; for older
    ///   ones the groups are described and filtered here.
    /// - Returns: the groups, sorted by id.
    /// - Throws: `KafkaError` when a broker reports an error; network errors.
    public func listConsumerGroups(states: Set<String>? = nil) async throws -> [ConsumerGroupListing] {
        let metadata = try await cluster.metadata()
        let wanted = states.map { Set($0.map { $0.lowercased() }) }
        var listings: [String: ConsumerGroupListing] = [:]
        var unfiltered: [String] = []
        for nodeID in metadata.brokers.keys.sorted() {
            let (response, version) = try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                try await sendVersioned(to: .broker(nodeID), kind: .admin) { (version: Int16) in
                    ListGroupsRequest(statesFilter: version >= 4 ? (states.map { Array($0).sorted() } ?? []) : [])
                } check: { (response: ListGroupsResponse) in
                    let code = KafkaErrorCode(rawValue: response.errorCode)
                    return code == .none ? nil : KafkaError(code: code, api: .listGroups)
                }
            }
            for group in response.groups where group.protocolType == "consumer" || group.protocolType.isEmpty {
                let state = version >= 4 ? group.groupState : nil
                if let wanted, let state, !wanted.contains(state.lowercased()) { continue }
                if wanted != nil && state == nil { unfiltered.append(group.groupId) }
                listings[group.groupId] = ConsumerGroupListing(
                    groupId: group.groupId, protocolType: group.protocolType, state: state)
            }
        }
        if let wanted, !unfiltered.isEmpty {
            for (groupId, result) in try await describeConsumerGroups(unfiltered) {
                guard case .success(let description) = result, wanted.contains(description.state.lowercased()) else {
                    listings[groupId] = nil
                    continue
                }
                listings[groupId]?.state = description.state
            }
        }
        return listings.values.sorted { $0.groupId < $1.groupId }
    }

    // MARK: Describing

    /// Describes consumer groups (Java's `describeConsumerGroups`): state, assignor, coordinator
    /// and members with their assigned partitions.
    ///
    /// Each group's coordinator is looked up (in one FindCoordinator request where the broker
    /// supports batching) and asked with DescribeGroups; coordinator moves are retried. A group that
    /// does not exist is described with the state `Dead` and no members, as the broker reports it.
    ///
    /// - Returns: a result per requested group: the description, or the `KafkaError` for that group.
    /// - Throws: network errors that outlast the retries.
    public func describeConsumerGroups(
        _ groupIds: [String]
    ) async throws -> [String: Result<ConsumerGroupDescription, KafkaError>] {
        try await forEachCoordinator(groupIds) { coordinator, groups in
            let response = try await cluster.send(
                DescribeGroupsRequest(groups: groups), to: .broker(coordinator.nodeID), kind: .admin)
            var results: [String: Result<ConsumerGroupDescription, KafkaError>] = [:]
            for group in response.groups where groups.contains(group.groupId) {
                let code = KafkaErrorCode(rawValue: group.errorCode)
                guard code == .none else {
                    results[group.groupId] = .failure(KafkaError(code: code, api: .describeGroups))
                    continue
                }
                let isConsumer = group.protocolType == "consumer"
                results[group.groupId] = .success(
                    ConsumerGroupDescription(
                        groupId: group.groupId, state: group.groupState, protocolType: group.protocolType,
                        partitionAssignor: group.protocolData, coordinator: coordinator,
                        members: group.members.map { member in
                            ConsumerGroupMemberDescription(
                                memberId: member.memberId, groupInstanceId: member.groupInstanceId,
                                clientId: member.clientId, clientHost: member.clientHost,
                                assignment: isConsumer
                                    ? ConsumerAssignmentDecoder.partitions(from: member.memberAssignment) : [])
                        }))
            }
            return results
        }
    }

    // MARK: Deleting

    /// Deletes consumer groups with their committed offsets (Java's `deleteConsumerGroups`).
    ///
    /// Only groups without members can be deleted: a group with members fails with
    /// `NON_EMPTY_GROUP`, an unknown one with `GROUP_ID_NOT_FOUND`; the other groups are deleted
    /// all the same.
    ///
    /// - Returns: a result per requested group.
    /// - Throws: network errors that outlast the retries.
    public func deleteConsumerGroups(_ groupIds: [String]) async throws -> [String: Result<Void, KafkaError>] {
        try await forEachCoordinator(groupIds) { coordinator, groups in
            let response = try await cluster.send(
                DeleteGroupsRequest(groupsNames: groups), to: .broker(coordinator.nodeID), kind: .admin)
            var results: [String: Result<Void, KafkaError>] = [:]
            for result in response.results where groups.contains(result.groupId) {
                let code = KafkaErrorCode(rawValue: result.errorCode)
                results[result.groupId] =
                    code == .none ? .success(()) : .failure(KafkaError(code: code, api: .deleteGroups))
            }
            return results
        }
    }

    // MARK: Coordinator plumbing

    /// Runs `send` once per coordinator with the groups it coordinates, and collects a result per
    /// group. Coordinator lookups that fail with a retriable error, groups whose answer is a
    /// coordinator or retriable error, groups the answer leaves out and network failures are tried
    /// again (the coordinator looked up afresh) until `request.timeout.ms` or `retries` run out.
    private func forEachCoordinator<Value: Sendable>(
        _ groupIds: [String],
        _ send: (BrokerMetadata, [String]) async throws -> [String: Result<Value, KafkaError>]
    ) async throws -> [String: Result<Value, KafkaError>] {
        var results: [String: Result<Value, KafkaError>] = [:]
        var pending = Array(Set(groupIds)).sorted()
        let deadline = ContinuousClock.now.advanced(by: configuration.requestTimeout)
        var attempt = 0
        while !pending.isEmpty {
            let canRetry = attempt < cluster.retryPolicy.retries && ContinuousClock.now < deadline
            var retry: [String] = []
            var lastNetworkError: (any Error)?
            let coordinators: [String: Result<BrokerMetadata, KafkaError>]
            do {
                coordinators = try await cluster.lookUpCoordinators(for: pending, type: .group)
            } catch {
                guard canRetry, RetryPolicy.isRetriable(error) else { throw error }
                coordinators = [:]
                lastNetworkError = error
            }
            var byCoordinator: [Int32: (broker: BrokerMetadata, groups: [String])] = [:]
            for group in pending {
                switch coordinators[group] {
                case .success(let broker)?:
                    byCoordinator[broker.nodeID, default: (broker, [])].groups.append(group)
                case .failure(let error)?:
                    if canRetry && RetryPolicy.isRetriable(error) {
                        retry.append(group)
                    } else {
                        results[group] = .failure(error)
                    }
                case nil:
                    retry.append(group)
                }
            }
            for nodeID in byCoordinator.keys.sorted() {
                guard let (broker, groups) = byCoordinator[nodeID] else { continue }
                let answers: [String: Result<Value, KafkaError>]
                do {
                    answers = try await send(broker, groups)
                } catch {
                    guard canRetry, RetryPolicy.isRetriable(error) else { throw error }
                    logger.debug(
                        "group coordinator request failed",
                        metadata: ["coordinator": "\(nodeID)", "error": "\(error)"])
                    for group in groups { cluster.invalidateCoordinator(for: group, type: .group) }
                    retry += groups
                    lastNetworkError = error
                    continue
                }
                for group in groups {
                    switch answers[group] {
                    case .failure(let error)? where error.code.isCoordinatorError:
                        cluster.invalidateCoordinator(for: group, type: .group)
                        if canRetry { retry.append(group) } else { results[group] = .failure(error) }
                    case .failure(let error)? where error.isRetriable && canRetry:
                        retry.append(group)
                    case let answer?:
                        results[group] = answer
                    case nil:
                        if canRetry {
                            retry.append(group)
                        } else {
                            results[group] = .failure(
                                KafkaError(
                                    code: .unknownServerError,
                                    brokerMessage: "the coordinator did not answer for group '\(group)'"))
                        }
                    }
                }
            }
            if retry.isEmpty { break }
            if !canRetry {
                if let lastNetworkError { throw lastNetworkError }
                for group in retry where results[group] == nil {
                    results[group] = .failure(KafkaError(code: .coordinatorNotAvailable, api: .findCoordinator))
                }
                break
            }
            attempt += 1
            try await Task.sleep(
                for: cluster.retryPolicy.delay(beforeRetry: attempt, random: Double.random(in: 0..<1)))
            pending = retry
        }
        return results
    }

    /// Sends a request built for the negotiated version to the coordinator of `groupId`, with
    /// retries: network errors and coordinator errors (the coordinator is looked up again) and
    /// other retriable errors reported by `check` are retried for up to `request.timeout.ms`.
    ///
    /// - Returns: the response and the version it was sent with.
    /// - Throws: the first non-retriable error `check` reports, as `KafkaError`.
    func sendToCoordinator<R: KafkaRequest>(
        groupId: String, build: (Int16) throws -> R, check: (R.Response) -> KafkaError?
    ) async throws -> (R.Response, Int16) where R.Response: Sendable {
        try await cluster.withRetries(timeout: configuration.requestTimeout) { attempt in
            do {
                let answer = try await sendVersioned(to: .groupCoordinator(groupId), kind: .group, build, check: check)
                return answer
            } catch let error as KafkaError where error.code.isCoordinatorError {
                cluster.invalidateCoordinator(for: groupId, type: .group)
                logger.debug(
                    "group coordinator moved", metadata: ["group": "\(groupId)", "attempt": "\(attempt)"])
                throw error
            } catch let error as KafkaNetworkError {
                cluster.invalidateCoordinator(for: groupId, type: .group)
                throw error
            }
        }
    }

    /// Sends once a request built for the version negotiated with `destination`; a connection that
    /// fails is dropped so that the next attempt reconnects.
    ///
    /// - Throws: what `check` reports on the response, network errors.
    func sendVersioned<R: KafkaRequest>(
        to destination: RequestDestination, kind: ConnectionKind, _ build: (Int16) throws -> R,
        check: (R.Response) -> KafkaError? = { _ in nil }
    ) async throws -> (R.Response, Int16) where R.Response: Sendable {
        let connection = try await cluster.connection(to: destination, kind: kind)
        let version = try connection.versions.version(for: R.self)
        let response: R.Response
        do {
            response = try await connection.send(build(version), version: version)
        } catch let error as KafkaNetworkError {
            if error.kind != .unsupportedVersion && error.kind != .undecodableResponse {
                await cluster.discard(connection)
            }
            throw error
        }
        if let error = check(response) { throw error }
        return (response, version)
    }
}
