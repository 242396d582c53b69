import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaConsumer

struct FetchedPartitionTests {
    let tp = fetchTestPartition

    func fetched(
        _ records: ByteBuffer, fetchOffset: Int64 = 0, isolation: IsolationLevel = .readUncommitted,
        lso: Int64 = -1, aborted: [FetchResponse.AbortedTransaction]? = nil, verify: Bool = true
    ) -> FetchedPartition {
        FetchedPartition(
            partition: tp, records: records, fetchOffset: fetchOffset, highWatermark: 1_000, lastStableOffset: lso,
            isolationLevel: isolation, abortedTransactions: aborted, verifyChecksums: verify)
    }

    @Test func readsRecordsAsSlicesWithMetadata() throws {
        var fetched = fetched(concat(try makeBatch(baseOffset: 0, count: 3), try makeBatch(baseOffset: 3, count: 2)))
        let records = try readAll(&fetched)
        #expect(records.map(\.offset) == [0, 1, 2, 3, 4])
        let first = try #require(records.first)
        #expect(first.topic == "orders" && first.partition == 3)
        #expect(first.key?.string == "k0" && first.value?.string == "v0")
        #expect(first.serializedKeySize == 2 && first.serializedValueSize == 2)
        #expect(first.timestamp == 1_000 && first.timestampType == .createTime)
        #expect(first.leaderEpoch == 7)
        #expect(try first.headers.decoded() == [RecordHeader(key: "h", value: ByteBuffer(string: "x"))])
        #expect(fetched.nextFetchOffset == 5)
        #expect(fetched.nextPosition == FetchPosition(offset: 5, leaderEpoch: 7))
        #expect(fetched.recordsRead == 5)
    }

    @Test func skipsRecordsBeforeTheFetchOffset() throws {
        var fetched = fetched(
            concat(try makeBatch(baseOffset: 0, count: 4), try makeBatch(baseOffset: 4, count: 4)), fetchOffset: 6)
        #expect(try readAll(&fetched).map(\.offset) == [6, 7])
        #expect(fetched.nextFetchOffset == 8)
    }

    @Test func controlBatchesAreHiddenButPassed() throws {
        var fetched = fetched(
            concat(
                try makeBatch(baseOffset: 0, count: 2, producerId: 9, transactional: true),
                try makeMarker(at: 2, producerId: 9, abort: false)))
        #expect(try readAll(&fetched).map(\.offset) == [0, 1])
        #expect(fetched.nextFetchOffset == 3)
        // Only a marker: no records, but the position moves past it.
        var onlyMarker = self.fetched(try makeMarker(at: 10, producerId: 9, abort: false), fetchOffset: 10)
        #expect(try readAll(&onlyMarker).isEmpty)
        #expect(onlyMarker.nextFetchOffset == 11)
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4, .zstd])
    func compressedBatches(codec: CompressionCodec) throws {
        var fetched = fetched(
            concat(
                try makeBatch(baseOffset: 0, count: 5, compression: codec),
                try makeBatch(baseOffset: 5, count: 5, compression: codec)), fetchOffset: 2)
        let records = try readAll(&fetched)
        #expect(records.map(\.offset) == Array(2..<10))
        #expect(records.map { $0.value?.string } == (2..<10).map { "v\($0)" })
    }

    @Test func decompressionIsBounded() throws {
        var fetched = FetchedPartition(
            partition: tp, records: try makeBatch(baseOffset: 0, count: 50, compression: .zstd), fetchOffset: 0,
            maxDecompressedSize: 64)
        #expect {
            _ = try fetched.nextRecords(max: 10)
        } throws: { error in
            guard let error = error as? ConsumerFetchError, case .corruptRecord(let cause) = error.kind else {
                return false
            }
            return cause.kind == .compression
        }
    }

    @Test func legacyMessageSets() throws {
        let v0 = makeLegacyMessage(offset: 0, magic: 0, key: nil, value: ByteBuffer(string: "zero"))
        let v1 = makeLegacyMessage(
            offset: 1, magic: 1, attributes: 0x08, timestamp: 777, key: ByteBuffer(string: "k"),
            value: ByteBuffer(string: "one"))
        // A gzip wrapper (v1) holding offsets 2...4 with relative inner offsets 0...2.
        var inner = ByteBuffer()
        for i in 0..<3 {
            var message = makeLegacyMessage(
                offset: Int64(i), magic: 1, timestamp: 900 + Int64(i), key: nil, value: ByteBuffer(string: "in\(i)"))
            inner.writeBuffer(&message)
        }
        let compressed = try FetchedPartition.standardCodecs.compress(inner, codec: .gzip, level: nil)
        let wrapper = makeLegacyMessage(offset: 4, magic: 1, attributes: 1, timestamp: 900, key: nil, value: compressed)
        var fetched = fetched(concat(v0, v1, wrapper, try makeBatch(baseOffset: 5, count: 1)), fetchOffset: 0)
        let records = try readAll(&fetched, chunk: 2)
        #expect(records.map(\.offset) == [0, 1, 2, 3, 4, 5])
        #expect(records[0].timestampType == nil && records[0].timestamp == -1 && records[0].key == nil)
        #expect(records[0].serializedKeySize == -1)
        #expect(records[1].timestampType == .logAppendTime && records[1].timestamp == 777)
        #expect(records[1].leaderEpoch == nil)
        #expect(records.map { $0.value?.string } == ["zero", "one", "in0", "in1", "in2", "v5"])
        #expect(fetched.nextFetchOffset == 6)

        // Starting inside the compressed wrapper skips its earlier messages.
        var middle = self.fetched(concat(v0, v1, wrapper), fetchOffset: 3)
        #expect(try readAll(&middle).map(\.offset) == [3, 4])
    }

    @Test func trailingPartialBatchEndsTheData() throws {
        let second = try makeBatch(baseOffset: 3, count: 3)
        var partial = concat(try makeBatch(baseOffset: 0, count: 3), second)
        partial.moveWriterIndex(to: partial.writerIndex - 5)
        var fetched = fetched(partial)
        #expect(try readAll(&fetched).map(\.offset) == [0, 1, 2])
        #expect(fetched.nextFetchOffset == 3)
    }

    @Test func recordTooLargeWhenNoBatchFits() throws {
        var batch = try makeBatch(baseOffset: 10, count: 3)
        let size = batch.readableBytes
        batch.moveWriterIndex(to: batch.writerIndex - 1)
        var fetched = fetched(batch, fetchOffset: 10)
        #expect(
            throws: ConsumerFetchError(.recordTooLarge(requiredBytes: size), topic: "orders", partition: 3, offset: 10)
        ) {
            _ = try fetched.nextRecords(max: 10)
        }
        #expect(fetched.isDrained && fetched.nextFetchOffset == 10)
        // Empty records are not an error.
        var empty = self.fetched(ByteBuffer())
        #expect(try empty.nextRecords(max: 10).isEmpty && empty.isDrained)
    }

    /// Producer 1 aborts (offsets 0-1, 4), producer 2 commits (2-3, 5), markers at 6 and 7; then
    /// producer 1 starts a new committed transaction at 8.
    func interleavedTransactions() throws -> ByteBuffer {
        concat(
            try makeBatch(baseOffset: 0, count: 2, producerId: 1, transactional: true),
            try makeBatch(baseOffset: 2, count: 2, producerId: 2, transactional: true),
            try makeBatch(baseOffset: 4, count: 1, producerId: 1, transactional: true),
            try makeBatch(baseOffset: 5, count: 1, producerId: 2, transactional: true),
            try makeMarker(at: 6, producerId: 1, abort: true),
            try makeMarker(at: 7, producerId: 2, abort: false),
            try makeBatch(baseOffset: 8, count: 2, producerId: 1, transactional: true),
            try makeMarker(at: 10, producerId: 1, abort: false),
            try makeBatch(baseOffset: 11, count: 1))
    }

    @Test func readCommittedDropsAbortedTransactions() throws {
        let aborted = [FetchResponse.AbortedTransaction(producerId: 1, firstOffset: 0)]
        var committed = fetched(try interleavedTransactions(), isolation: .readCommitted, lso: 12, aborted: aborted)
        #expect(try readAll(&committed, chunk: 3).map(\.offset) == [2, 3, 5, 8, 9, 11])
        #expect(committed.nextFetchOffset == 12)

        // read_uncommitted shows everything but the markers.
        var uncommitted = fetched(try interleavedTransactions(), aborted: aborted)
        #expect(try readAll(&uncommitted).map(\.offset) == [0, 1, 2, 3, 4, 5, 8, 9, 11])
    }

    @Test func lastStableOffsetCutsOff() throws {
        let records = concat(
            try makeBatch(baseOffset: 0, count: 3),
            try makeBatch(baseOffset: 3, count: 2, producerId: 4, transactional: true),
            try makeBatch(baseOffset: 5, count: 2))
        var committed = fetched(records, isolation: .readCommitted, lso: 3)
        #expect(try readAll(&committed).map(\.offset) == [0, 1, 2])
        #expect(committed.nextFetchOffset == 3)
        // Within a batch too (defensive: brokers cut at batch boundaries).
        var inside = fetched(try makeBatch(baseOffset: 0, count: 5), isolation: .readCommitted, lso: 2)
        #expect(try readAll(&inside).map(\.offset) == [0, 1])
        #expect(inside.nextFetchOffset == 2)
        // read_uncommitted ignores it.
        var uncommitted = fetched(records, lso: 3)
        #expect(try readAll(&uncommitted).count == 7)
    }

    @Test func corruptBatchIsAnErrorAfterEarlierRecords() throws {
        var second = try makeBatch(baseOffset: 3, count: 2)
        second.setInteger(UInt8(ascii: "Z"), at: second.writerIndex - 2)  // the last value: "v4" becomes "vZ"
        var fetched = fetched(concat(try makeBatch(baseOffset: 0, count: 3), second))
        #expect(try fetched.nextRecords(max: 10).map(\.offset) == [0, 1, 2])
        #expect {
            _ = try fetched.nextRecords(max: 10)
        } throws: { error in
            guard let error = error as? ConsumerFetchError, case .corruptRecord(let cause) = error.kind else {
                return false
            }
            return cause.kind == .checksumMismatch && error.topic == "orders" && error.partition == 3
                && error.offset == 3 && error.description.contains("orders-3 at offset 3")
        }
        #expect(fetched.isDrained && fetched.nextFetchOffset == 3)
        #expect(try fetched.nextRecords(max: 10).isEmpty)

        // With check.crcs off, the flipped value byte is read as is.
        var unchecked = self.fetched(concat(try makeBatch(baseOffset: 0, count: 3), second), verify: false)
        #expect(try readAll(&unchecked).map { $0.value?.string }.last == "vZ")
    }

    @Test func maxPollRecordsChunks() throws {
        var fetched = fetched(
            concat(try makeBatch(baseOffset: 0, count: 4), try makeBatch(baseOffset: 4, count: 3, compression: .lz4)),
            fetchOffset: 1)
        var chunks: [[Int64]] = []
        var positions: [Int64] = []
        while !fetched.isDrained {
            let chunk = try fetched.nextRecords(max: 2)
            chunks.append(chunk.map(\.offset))
            positions.append(fetched.nextFetchOffset)
        }
        #expect(chunks == [[1, 2], [3, 4], [5, 6], []])
        #expect(positions == [3, 5, 7, 7])
        #expect(try fetched.nextRecords(max: 0).isEmpty)
    }

    @Test func drainDropsTheRest() throws {
        var fetched = fetched(try makeBatch(baseOffset: 0, count: 5))
        _ = try fetched.nextRecords(max: 2)
        fetched.drain()
        #expect(fetched.isDrained && fetched.nextFetchOffset == 2)
        #expect(try fetched.nextRecords(max: 2).isEmpty)
    }

    @Test func randomAndTruncatedBytesNeverTrap() throws {
        var rng = SeededGenerator(seed: 0x6b61_666b_61)
        let valid = concat(
            try makeBatch(baseOffset: 0, count: 3),
            try makeBatch(baseOffset: 3, count: 4, compression: .gzip),
            try makeBatch(baseOffset: 7, count: 2, producerId: 1, transactional: true),
            try makeMarker(at: 9, producerId: 1, abort: true),
            makeLegacyMessage(offset: 10, magic: 1, key: nil, value: ByteBuffer(string: "x")))
        let bytes = Array(valid.readableBytesView)
        for iteration in 0..<3_000 {
            var mutated = bytes
            switch iteration % 3 {
            case 0:  // truncate
                mutated = Array(mutated.prefix(Int.random(in: 0...mutated.count, using: &rng)))
            case 1:  // flip bytes
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    mutated[Int.random(in: 0..<mutated.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            default:  // random bytes
                mutated = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            for verify in [true, false] {
                var fetched = FetchedPartition(
                    partition: tp, records: ByteBuffer(bytes: mutated),
                    fetchOffset: Int64.random(in: 0...5, using: &rng),
                    lastStableOffset: 11, isolationLevel: iteration % 2 == 0 ? .readCommitted : .readUncommitted,
                    abortedTransactions: [.init(producerId: 1, firstOffset: 7)], verifyChecksums: verify,
                    maxDecompressedSize: 1 << 16)
                var rounds = 0
                while !fetched.isDrained && rounds < 1_000 {
                    rounds += 1
                    do {
                        for record in try fetched.nextRecords(max: 3) { _ = try? record.headers.decoded() }
                    } catch {
                        #expect(error.partition == 3)
                    }
                }
                #expect(fetched.isDrained)
            }
        }
    }
}

struct FetchErrorActionTests {
    let tp = fetchTestPartition

    @Test func classification() {
        #expect(FetchErrorAction.classify(.none, partition: tp, fetchOffset: 1) == .none)
        #expect(FetchErrorAction.classify(.offsetOutOfRange, partition: tp, fetchOffset: 1) == .resetPosition)
        for code in [
            KafkaErrorCode.notLeaderOrFollower, .fencedLeaderEpoch, .unknownLeaderEpoch, .unknownTopicOrPartition,
        ] {
            #expect(FetchErrorAction.classify(code, partition: tp, fetchOffset: 1) == .refreshMetadata(code))
        }
        #expect(
            FetchErrorAction.classify(.unknownServerError, partition: tp, fetchOffset: 1) == .retry(.unknownServerError)
        )
        guard case .fail(let corrupt) = FetchErrorAction.classify(.corruptMessage, partition: tp, fetchOffset: 8),
            case .corruptRecord = corrupt.kind
        else {
            Issue.record("CORRUPT_MESSAGE should fail")
            return
        }
        #expect(corrupt.offset == 8 && corrupt.topic == "orders")
        guard
            case .fail(let denied) = FetchErrorAction.classify(.topicAuthorizationFailed, partition: tp, fetchOffset: 8),
            case .broker(let error) = denied.kind
        else {
            Issue.record("TOPIC_AUTHORIZATION_FAILED should fail")
            return
        }
        #expect(error.code == .topicAuthorizationFailed && error.partition == 3)
    }
}
