package import KafkaNetwork
import KafkaProtocol
import NIOCore

extension RecordAccumulator {
    /// Which leaders have sendable data, as Java's `RecordAccumulator.ready`.
    ///
    /// A partition is sendable when its first batch is full (or more batches are queued behind it), has lingered
    /// `linger` since creation, a flush is in progress, the accumulator is closing, or memory is exhausted (tasks
    /// wait in the pool). A re-enqueued batch is sendable only once its retry backoff passed since its last attempt
    /// (`retry.backoff.ms`, doubling per attempt up to `retry.backoff.max.ms`).
    ///
    /// - Parameters:
    ///   - now: the current instant.
    ///   - leaderOf: the leader node of a partition, `nil` when unknown.
    package func ready(now: ContinuousClock.Instant, leaderOf: (TopicPartitionKey) -> Int32?) -> ReadyCheck {
        let exhausted = pool.queuedWaiters > 0
        let configuration = configuration
        return state.withLockedValue { state in
            var check = ReadyCheck(
                readyNodes: [], nextCheckDelay: nil, unknownLeaderTopics: [], hasIncomplete: !state.incomplete.isEmpty)
            let forceReady = exhausted || state.closed || state.flushesInProgress > 0
            for (partition, queue) in state.queues.entries {
                guard let first = queue.first else { continue }
                check.oldestQueuedBatchCreatedAt = min(
                    check.oldestQueuedBatchCreatedAt ?? first.createdAt, first.createdAt)
                guard let leader = leaderOf(partition) else {
                    check.unknownLeaderTopics.insert(partition.topic)
                    continue
                }
                guard !check.readyNodes.contains(leader) else { continue }
                let backingOff = first.isBackingOff(now: now, configuration: configuration)
                let since = first.attempts > 0 ? (first.lastAttemptAt ?? first.createdAt) : first.createdAt
                let waited = now - since
                let timeToWait =
                    first.attempts > 0
                    ? configuration.retryBackoff(afterAttempts: first.attempts) : configuration.linger
                let full = queue.count > 1 || first.isFull
                let sendable = full || waited >= timeToWait || forceReady
                if sendable && !backingOff {
                    check.readyNodes.insert(leader)
                } else {
                    let left = max(timeToWait - waited, .zero)
                    check.nextCheckDelay = min(check.nextCheckDelay ?? left, left)
                }
            }
            return check
        }
    }

    /// Takes ready batches for `nodes`: per node, up to `maxRequestSize` bytes (at least one batch), at most one
    /// batch per partition, visiting the node's partitions round-robin from where the previous drain stopped.
    ///
    /// Batches waiting for their retry backoff are skipped. `admit` is asked, under the accumulator's lock and in
    /// drain order, about each partition's first batch with its current sequence (`nil` before its first drain) and
    /// record count; the idempotent sender assigns sequences there. Drained batches are closed, encoded (compressed)
    /// and stamped with their sequence outside the lock.
    package func drain(
        nodes: Set<Int32>, leaderOf: (TopicPartitionKey) -> Int32?, maxRequestSize: Int, now: ContinuousClock.Instant,
        admit: (TopicPartitionKey, IdempotentProducerState.BatchSequence?, Int) -> DrainDecision = { _, _, _ in
            .take(sequence: nil)
        }
    ) -> [Int32: [DrainedBatch<Completion>]] {
        let configuration = configuration
        let taken: [Int32: [ProducerBatch<Completion>]] = state.withLockedValue { state in
            var byNode: [Int32: [TopicPartitionKey]] = [:]
            for (partition, queue) in state.queues.entries where !queue.isEmpty {
                guard let leader = leaderOf(partition), nodes.contains(leader) else { continue }
                byNode[leader, default: []].append(partition)
            }
            var taken: [Int32: [ProducerBatch<Completion>]] = [:]
            for (node, unsorted) in byNode {
                let partitions = unsorted.sorted()
                // Resume at the partition the previous drain stopped at (or the next one, if it has gone).
                let resume = state.drainStart[node]
                let start = resume.flatMap { key in partitions.firstIndex(where: { $0 >= key }) } ?? 0
                var next = (start + 1) % partitions.count
                var size = 0
                var batches: [ProducerBatch<Completion>] = []
                for step in 0..<partitions.count {
                    let index = (start + step) % partitions.count
                    let partition = partitions[index]
                    guard let queue = state.queues.entries[partition], let first = queue.first,
                        !first.isBackingOff(now: now, configuration: configuration)
                    else { continue }
                    if size + first.estimatedSize > maxRequestSize && !batches.isEmpty {
                        next = index
                        break
                    }
                    guard case .take(let sequence) = admit(partition, first.sequence, first.recordCount) else {
                        continue
                    }
                    queue.fields.batches.removeFirst()
                    size += first.estimatedSize
                    first.fields.sequence = sequence
                    batches.append(first)
                }
                state.drainStart[node] = partitions[next]
                if !batches.isEmpty { taken[node] = batches }
            }
            return taken
        }
        // Encode outside the lock: the batches left their queues, nothing else reaches them.
        return taken.mapValues { batches in
            batches.map { batch in
                batch.drained(
                    compression: configuration.compression, level: configuration.compressionLevel,
                    compressor: codecs, isTransactional: configuration.isTransactional)
            }
        }
    }

    /// Puts a drained batch that failed with a retriable error back at the front of its partition's queue (before
    /// every later batch, so the order is kept), with one more attempt, last attempted at `now`.
    package func reenqueue(_ batch: DrainedBatch<Completion>, now: ContinuousClock.Instant) {
        let retried = ProducerBatch(drained: batch, now: now)
        state.withLockedValue { state in
            let queue = state.queue(for: batch.topicPartition)
            let index = queue.fields.batches.firstIndex(where: { $0.id > batch.id }) ?? queue.fields.batches.endIndex
            queue.fields.batches.insert(retried, at: index)
            state.incomplete.insert(batch.id)
        }
    }

    /// Releases a completed batch's memory back to the pool. Releasing a batch twice (or one returned by
    /// ``expireBatches(now:)`` or ``abortAll()``, whose memory is already released) does nothing.
    package func deallocate(_ batch: DrainedBatch<Completion>) {
        deallocate(CollectionOfOne(batch))
    }

    /// Releases the memory of several completed batches in one pass (one acquisition of each lock); as
    /// ``deallocate(_:)`` for each.
    package func deallocate(_ batches: some Sequence<DrainedBatch<Completion>>) {
        let released = state.withLockedValue { state in
            var bytes = 0
            for batch in batches where state.incomplete.remove(batch.id) != nil { bytes += batch.reservedBytes }
            return bytes
        }
        pool.release(released)
    }

    /// Gives the memory of finished batches (deallocated, expired or aborted; not those re-enqueued for a retry), their
    /// buffers and completion slots, to the pool's free list, for the next batches to write into.
    ///
    /// Call when done with the batches, handing over the last copy of the array (`recycle(consume batches)`): the
    /// batches are dropped here, so that each buffer and slot array is referenced once and is reused in place. (Memory
    /// still referenced elsewhere is safe too: reusing it then allocates anew.)
    package func recycle(_ batches: consuming [DrainedBatch<Completion>]) {
        var finished: [(records: ByteBuffer, completions: [Completion])] = state.withLockedValue { state in
            batches.compactMap { state.incomplete.contains($0.id) ? nil : ($0.records, $0.completions) }
        }
        batches = []
        // Unshared now: emptied in place (the tokens were reported, only the storage is kept).
        for index in finished.indices { finished[index].completions.removeAll(keepingCapacity: true) }
        let stride = MemoryLayout<Completion>.stride
        let entries = finished.map {
            FreeBatchMemory(
                buffer: $0.records, slots: $0.completions, bytes: $0.records.capacity + $0.completions.capacity * stride
            )
        }
        finished = []
        pool.recycle(entries)
    }

    /// Removes the queued batches (not those in flight) older than `delivery.timeout.ms`, from the front of each
    /// partition's queue, and returns them so the caller fails their records with a timeout. Their memory is
    /// released already.
    package func expireBatches(now: ContinuousClock.Instant) -> [DrainedBatch<Completion>] {
        let timeout = configuration.deliveryTimeout
        let expired: [ProducerBatch<Completion>] = state.withLockedValue { state in
            // A queue's first batch is its oldest (retries keep their creation time): most passes find none expired,
            // and then neither sort nor copy anything.
            guard
                state.queues.entries.values.contains(where: { queue in
                    guard let first = queue.first else { return false }
                    return now - first.createdAt >= timeout
                })
            else {
                return []
            }
            var expired: [ProducerBatch<Completion>] = []
            for partition in state.queues.entries.keys.sorted() {
                guard let queue = state.queues.entries[partition] else { continue }
                while let first = queue.first, now - first.createdAt >= timeout {
                    expired.append(queue.fields.batches.removeFirst())
                }
            }
            return expired
        }
        return release(expired)
    }

    /// Starts a flush: every batch becomes sendable until ``endFlush()``. Flushes nest.
    package func beginFlush() {
        state.withLockedValue { $0.flushesInProgress += 1 }
    }

    /// Ends a flush started by ``beginFlush()``.
    package func endFlush() {
        state.withLockedValue { $0.flushesInProgress = max(0, $0.flushesInProgress - 1) }
    }

    /// The largest id the batches created so far, or the pieces they may be split into, have (0 before the first);
    /// ids grow with every batch.
    package var lastBatchID: UInt64 {
        state.withLockedValue { $0.nextBatchID == 0 ? 0 : $0.nextBatchID + Self.batchIDStride - 1 }
    }

    /// The id of the oldest batch not yet deallocated, expired or aborted (queued or in flight), `nil` when none is.
    package var oldestIncompleteBatchID: UInt64? {
        state.withLockedValue { $0.incomplete.min() }
    }

    /// Whether batches exist that were not deallocated, expired or aborted (queued or in flight).
    package var hasIncomplete: Bool {
        state.withLockedValue { !$0.incomplete.isEmpty }
    }

    /// Closes the accumulator: later appends throw ``ProducerBufferError/closed`` and every queued batch is ready.
    package func close() {
        state.withLockedValue { $0.closed = true }
    }

    /// Removes and returns every queued batch (not those in flight) so the caller fails their records. Their memory
    /// is released already.
    package func abortAll() -> [DrainedBatch<Completion>] {
        let aborted: [ProducerBatch<Completion>] = state.withLockedValue { state in
            var aborted: [ProducerBatch<Completion>] = []
            for partition in state.queues.entries.keys.sorted() {
                aborted.append(contentsOf: state.queues.entries[partition]?.fields.batches ?? [])
            }
            state.queues.removeAll()
            for route in state.routes.entries.values { route.forgetQueues() }
            return aborted
        }
        return release(aborted)
    }

    /// Encodes removed batches (uncompressed) and releases their memory.
    private func release(_ batches: [ProducerBatch<Completion>]) -> [DrainedBatch<Completion>] {
        let drained = batches.map { $0.drained(compression: .none, compressor: codecs) }
        for batch in drained { deallocate(batch) }
        return drained
    }
}
