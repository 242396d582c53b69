import KafkaNetwork
import KafkaProtocol
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
    /// - Throws: ``AdminError``: for a broker's error or a broker that cannot be reached, the resource is the broker;
    ///   when the cluster's metadata cannot be had, the cluster (`NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`); when the
    ///   task is cancelled, ``AdminError/isCancellation`` is true.
    public func listConsumerGroups(states: Set<String>? = nil) async throws(AdminError) -> [ConsumerGroupListing] {
        try await reportingAdminError(api: .listGroups, resourceKind: .cluster, resourceName: "") {
            let metadata = try await cluster.metadata()
            let wanted = states.map { Set($0.map { $0.lowercased() }) }
            var listings: [String: ConsumerGroupListing] = [:]
            var unfiltered: [String] = []
            for nodeID in metadata.brokers.keys.sorted() {
                let (response, version): (ListGroupsResponse, Int16)
                do {
                    (response, version) = try await cluster.withRetries(timeout: configuration.requestTimeout) { _ in
                        let connection = try await cluster.connection(to: .broker(nodeID), kind: .admin)
                        let (response, version) = try await cluster.send(on: connection) { version in
                            ListGroupsRequest(
                                statesFilter: version >= 4 ? (states.map { Array($0).sorted() } ?? []) : [])
                        }
                        let code = KafkaErrorCode(rawValue: response.errorCode)
                        if code != .none { throw KafkaError(code: code, api: .listGroups) }
                        return (response, version)
                    }
                } catch {
                    throw AdminError.thrownByOperation(
                        error, api: .listGroups, resourceKind: .broker, resourceName: "\(nodeID)")
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
                    guard case .success(let description) = result, wanted.contains(description.state.lowercased())
                    else {
                        listings[groupId] = nil
                        continue
                    }
                    listings[groupId]?.state = description.state
                }
            }
            return listings.values.sorted { $0.groupId < $1.groupId }
        }
    }

    // MARK: Describing

    /// Describes consumer groups (Java's `describeConsumerGroups`): state, assignor, coordinator
    /// and members with their assigned partitions.
    ///
    /// Each group's coordinator is looked up (in one FindCoordinator request where the broker
    /// supports batching) and asked with DescribeGroups; coordinator moves are retried. A group that
    /// does not exist is described with the state `Dead` and no members, as the broker reports it.
    ///
    /// - Returns: a result per requested group: the description, or the ``AdminError`` for that group.
    /// - Throws: ``AdminError`` naming the groups, with `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`, when their
    ///   coordinators cannot be reached within the retries; when the task is cancelled, ``AdminError/isCancellation``
    ///   is true.
    public func describeConsumerGroups(
        _ groupIds: [String]
    ) async throws(AdminError) -> [String: Result<ConsumerGroupDescription, AdminError>] {
        try await reportingAdminError(
            api: .describeGroups, resourceKind: .group, resourceName: AdminError.resourceNames(groupIds)
        ) {
            try await forEachCoordinator(groupIds, api: .describeGroups) { coordinator, groups in
                let response = try await cluster.send(
                    DescribeGroupsRequest(groups: groups), to: .broker(coordinator.nodeID), kind: .admin)
                var results: [String: Result<ConsumerGroupDescription, AdminError>] = [:]
                for group in response.groups where groups.contains(group.groupId) {
                    let code = KafkaErrorCode(rawValue: group.errorCode)
                    guard code == .none else {
                        results[group.groupId] = .failure(
                            AdminError(
                                code: code, api: .describeGroups, resourceKind: .group, resourceName: group.groupId))
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
    }

    // MARK: Deleting

    /// Deletes consumer groups with their committed offsets (Java's `deleteConsumerGroups`).
    ///
    /// Only groups without members can be deleted: a group with members fails with
    /// `NON_EMPTY_GROUP`, an unknown one with `GROUP_ID_NOT_FOUND`; the other groups are deleted
    /// all the same.
    ///
    /// - Returns: a result per requested group.
    /// - Throws: ``AdminError`` naming the groups, with `NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`, when their
    ///   coordinators cannot be reached within the retries; when the task is cancelled, ``AdminError/isCancellation``
    ///   is true.
    public func deleteConsumerGroups(_ groupIds: [String]) async throws(AdminError) -> [String: Result<
        Void, AdminError
    >] {
        try await reportingAdminError(
            api: .deleteGroups, resourceKind: .group, resourceName: AdminError.resourceNames(groupIds)
        ) {
            try await forEachCoordinator(groupIds, api: .deleteGroups) { coordinator, groups in
                let response = try await cluster.send(
                    DeleteGroupsRequest(groupsNames: groups), to: .broker(coordinator.nodeID), kind: .admin)
                var results: [String: Result<Void, AdminError>] = [:]
                for result in response.results where groups.contains(result.groupId) {
                    results[result.groupId] = AdminError.outcome(
                        result.errorCode, api: .deleteGroups, resourceKind: .group, resourceName: result.groupId)
                }
                return results
            }
        }
    }

    // MARK: Coordinator plumbing

    /// Runs `send` once per coordinator with the groups it coordinates, and collects a result per
    /// group. Coordinator lookups that fail with a retriable error, groups whose answer is a
    /// coordinator or retriable error, groups the answer leaves out and network failures are tried
    /// again (the coordinator looked up afresh) until `request.timeout.ms` or `retries` run out.
    /// `api` is the API `send` uses, named by the errors of groups it never reached.
    private func forEachCoordinator<Value: Sendable>(
        _ groupIds: [String], api: KafkaAPIKey,
        _ send: (BrokerMetadata, [String]) async throws -> [String: Result<Value, AdminError>]
    ) async throws -> [String: Result<Value, AdminError>] {
        var results: [String: Result<Value, AdminError>] = [:]
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
                        results[group] = .failure(AdminError(error, api: .findCoordinator, group: group))
                    }
                case nil:
                    retry.append(group)
                }
            }
            for nodeID in byCoordinator.keys.sorted() {
                guard let (broker, groups) = byCoordinator[nodeID] else { continue }
                let answers: [String: Result<Value, AdminError>]
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
                                AdminError(
                                    code: .unknownServerError, api: api, resourceKind: .group, resourceName: group,
                                    message: "the coordinator did not answer for group '\(group)'"))
                        }
                    }
                }
            }
            if retry.isEmpty { break }
            if !canRetry {
                if let lastNetworkError { throw lastNetworkError }
                for group in retry where results[group] == nil {
                    results[group] = .failure(
                        AdminError(
                            code: .coordinatorNotAvailable, api: .findCoordinator, resourceKind: .group,
                            resourceName: group))
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
    /// - Throws: the first non-retriable error `check` (or `build`) reports, as an ``AdminError``
    ///   for the group (`api` when the `KafkaError` names none); network errors.
    func sendToCoordinator<R: KafkaRequest>(
        groupId: String, api: KafkaAPIKey, build: (Int16) throws -> R, check: (R.Response) -> KafkaError?
    ) async throws -> (R.Response, Int16) where R.Response: Sendable {
        do {
            return try await cluster.withRetries(timeout: configuration.requestTimeout) { attempt in
                do {
                    let connection = try await cluster.connection(to: .groupCoordinator(groupId), kind: .group)
                    let (response, version) = try await cluster.send(on: connection, build)
                    if let error = check(response) { throw error }
                    return (response, version)
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
        } catch let error as KafkaError {
            throw AdminError(error, api: api, group: groupId)
        }
    }
}
