import KafkaNetwork
import KafkaProducer
import KafkaProtocol
import Testing

/// Builds ``TransactionStateMachine`` values in every state through the public API only.
enum TxnFixture {
    typealias Machine = TransactionStateMachine
    typealias State = TransactionStateMachine.State

    static let transactionalID = "txn-app-1"
    static let identity = ProducerIdentity(producerID: 4242, epoch: 7)
    static let bumped = ProducerIdentity(producerID: 4242, epoch: 8)
    /// Added to the transaction by every fixture from `inTransaction` on.
    static let p0 = TopicPartitionKey(topic: "orders", partition: 0)
    /// Written to (pending, or in flight with `inFlight`) by every fixture from `inTransaction` on.
    static let p1 = TopicPartitionKey(topic: "orders", partition: 1)
    /// Never written to by a fixture.
    static let p2 = TopicPartitionKey(topic: "audit", partition: 3)
    static let p3 = TopicPartitionKey(topic: "audit", partition: 0)

    static let allStates: [State] = [
        .uninitialized, .initializing, .ready, .inTransaction, .committing, .aborting, .abortableError, .fatalError,
    ]
    /// The states in which a transaction is open (partitions may be in flight).
    static let transactionStates: Set<State> = [.inTransaction, .committing, .aborting, .abortableError, .fatalError]

    /// The batch failure that moves the fixtures to `abortableError`.
    static let batchError = KafkaProducerError(
        .broker(.messageTooLarge), topic: "orders", partition: 1, "the batch is too large")
    /// The error that moves the fixtures to `fatalError`.
    static let fatalCause = KafkaProducerError(
        .broker(.transactionalIdAuthorizationFailed), "TRANSACTIONAL_ID_AUTHORIZATION_FAILED")

    /// A machine in `state`. From `inTransaction` on: `p0` is added, `p1` pending — or, with `inFlight`, in the
    /// AddPartitionsToTxn request in flight (taken before the state changed).
    static func machine(in state: State, inFlight: Bool = false) throws -> Machine {
        var machine = Machine(transactionalID: transactionalID)
        if state == .uninitialized { return machine }
        try machine.startInitialization()
        if state == .initializing { return machine }
        machine.initializationSucceeded(identity)
        if state == .ready { return machine }
        try machine.beginTransaction()
        guard try machine.recordSend(to: p0), machine.takePartitionsToAdd() == [p0],
            machine.partitionsAdded([p0: .none]) == nil, try machine.recordSend(to: p1)
        else { throw FixtureError(message: "could not add \(p0) and note \(p1)") }
        if inFlight, machine.takePartitionsToAdd() != [p1] {
            throw FixtureError(message: "could not take \(p1)")
        }
        switch state {
        case .inTransaction: break
        case .committing: try machine.beginCommit()
        case .aborting: try machine.beginAbort()
        case .abortableError: machine.batchFailed(batchError)
        case .fatalError: machine.fail(.fatal, fatalCause)
        case .uninitialized, .initializing, .ready: break
        }
        guard machine.state == state else { throw FixtureError(message: "reached \(machine.state), not \(state)") }
        return machine
    }

    struct FixtureError: Error { var message: String }

    /// Everything the machine exposes, to check that a refused call changes nothing.
    struct Snapshot: Equatable, CustomStringConvertible {
        var state: State
        var lastError: KafkaProducerError?
        var added: Set<TopicPartitionKey>
        var pending: Set<TopicPartitionKey>
        var beingAdded: Set<TopicPartitionKey>
        var started: Bool
        var identity: ProducerIdentity

        init(_ machine: Machine) {
            state = machine.state
            lastError = machine.lastError
            added = machine.addedPartitions
            pending = machine.pendingPartitions
            beingAdded = machine.partitionsBeingAdded
            started = machine.transactionStarted
            identity = machine.identity
        }

        var description: String {
            "\(state) added=\(added.sorted()) pending=\(pending.sorted()) beingAdded=\(beingAdded.sorted()) "
                + "started=\(started) \(identity) lastError=\(lastError.map { "\($0.kind)" } ?? "nil")"
        }
    }

    /// What a throwing call should do.
    enum Outcome: Sendable, Equatable {
        case moves(to: State)
        case refused(KafkaProducerError.Kind)
    }

    /// Runs `call` on a machine in `state`; checks the resulting state, or the error's kind and that nothing changed.
    /// Returns the machine before and after, and the error thrown.
    @discardableResult
    static func run(
        _ state: State, inFlight: Bool = false, expecting outcome: Outcome,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ call: (inout Machine) throws(KafkaProducerError) -> Void
    ) throws -> (before: Machine, after: Machine, error: KafkaProducerError?) {
        var machine = try machine(in: state, inFlight: inFlight)
        let before = machine
        do throws(KafkaProducerError) {
            try call(&machine)
            if case .moves(let target) = outcome {
                #expect(machine.state == target, sourceLocation: sourceLocation)
            } else {
                Issue.record("expected \(outcome) in \(state), the call succeeded", sourceLocation: sourceLocation)
            }
            return (before, machine, nil)
        } catch {
            if case .refused(let kind) = outcome {
                #expect(error.kind == kind, "in \(state): \(error)", sourceLocation: sourceLocation)
                #expect(
                    Snapshot(machine) == Snapshot(before), "a refused call changed the machine",
                    sourceLocation: sourceLocation)
            } else {
                Issue.record("expected \(outcome) in \(state), got \(error)", sourceLocation: sourceLocation)
            }
            return (before, machine, error)
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct TransactionStateMachineTests {
    typealias Machine = TransactionStateMachine
    typealias State = TransactionStateMachine.State
    typealias Snapshot = TxnFixture.Snapshot
    let p0 = TxnFixture.p0
    let p1 = TxnFixture.p1
    let p2 = TxnFixture.p2
    let p3 = TxnFixture.p3

    // MARK: fixtures

    @Test func newMachineIsUninitializedAndEmpty() {
        let machine = Machine(transactionalID: "x")
        #expect(machine.transactionalID == "x")
        #expect(machine.state == .uninitialized)
        #expect(machine.lastError == nil)
        #expect(machine.addedPartitions.isEmpty)
        #expect(machine.pendingPartitions.isEmpty)
        #expect(machine.partitionsBeingAdded.isEmpty)
        #expect(!machine.transactionStarted)
        #expect(machine.identity == .none)
        #expect(!machine.shouldFailUndrainedBatches)
    }

    @Test(arguments: TxnFixture.allStates)
    func fixtureReachesState(_ state: State) throws {
        let machine = try TxnFixture.machine(in: state)
        #expect(machine.state == state)
        #expect(machine.identity == (state == .uninitialized || state == .initializing ? .none : TxnFixture.identity))
        if TxnFixture.transactionStates.contains(state) {
            #expect(machine.addedPartitions == [p0])
            #expect(machine.pendingPartitions == [p1])
            #expect(machine.partitionsBeingAdded.isEmpty)
            #expect(machine.transactionStarted)
            let inFlight = try TxnFixture.machine(in: state, inFlight: true)
            #expect(inFlight.pendingPartitions.isEmpty)
            #expect(inFlight.partitionsBeingAdded == [p1])
        } else {
            #expect(Snapshot(machine).added.isEmpty && machine.pendingPartitions.isEmpty)
            #expect(!machine.transactionStarted)
        }
        switch state {
        case .abortableError:
            #expect(machine.lastError?.kind == .transactionAbortable)
            #expect(machine.lastError?.topic == "orders")
            #expect(machine.lastError?.partition == 1)
            #expect(machine.lastError?.message == TxnFixture.batchError.message)
        case .fatalError:
            #expect(machine.lastError?.kind == .fatal)
            #expect(machine.lastError?.message == TxnFixture.fatalCause.message)
        default:
            #expect(machine.lastError == nil)
        }
    }

    // MARK: startInitialization

    @Test(arguments: TxnFixture.allStates)
    func startInitialization(_ state: State) throws {
        let outcome: TxnFixture.Outcome =
            switch state {
            case .uninitialized, .initializing: .moves(to: .initializing)
            case .ready, .inTransaction, .committing, .aborting, .abortableError: .refused(.invalidTransactionState)
            case .fatalError: .refused(.fatal)
            }
        let (before, after, error) = try TxnFixture.run(state, expecting: outcome) {
            machine throws(KafkaProducerError) in
            try machine.startInitialization()
        }
        if state == .fatalError { #expect(error == before.lastError) }
        if error == nil { #expect(after.identity == .none) }
        if case .refused(.invalidTransactionState) = outcome {
            #expect(error?.message.contains(TxnFixture.transactionalID) == true)
        }
    }

    // MARK: initializationSucceeded

    @Test(arguments: TxnFixture.allStates)
    func initializationSucceeded(_ state: State) throws {
        var machine = try TxnFixture.machine(in: state)
        let before = Snapshot(machine)
        machine.initializationSucceeded(TxnFixture.bumped)
        var expected = before
        switch state {
        case .initializing:
            expected.state = .ready
            expected.identity = TxnFixture.bumped
        case .aborting:
            // KIP-360 bump during an abort: the identity changes, the abort continues until transactionEnded().
            expected.identity = TxnFixture.bumped
        case .uninitialized, .ready, .inTransaction, .committing, .abortableError, .fatalError:
            break
        }
        #expect(Snapshot(machine) == expected)
    }

    // MARK: beginTransaction

    @Test(arguments: TxnFixture.allStates)
    func beginTransaction(_ state: State) throws {
        let outcome: TxnFixture.Outcome =
            switch state {
            case .ready: .moves(to: .inTransaction)
            case .uninitialized, .initializing, .inTransaction, .committing, .aborting, .abortableError:
                .refused(.invalidTransactionState)
            case .fatalError: .refused(.fatal)
            }
        let (before, after, error) = try TxnFixture.run(state, expecting: outcome) {
            machine throws(KafkaProducerError) in
            try machine.beginTransaction()
        }
        if state == .fatalError { #expect(error == before.lastError) }
        if error == nil {
            #expect(after.addedPartitions.isEmpty && after.pendingPartitions.isEmpty)
            #expect(!after.transactionStarted, "beginTransaction is local: nothing is sent")
            #expect(after.identity == TxnFixture.identity)
        }
    }

    // MARK: recordSend / checkCanSendOffsets

    static func sendOutcome(_ state: State) -> TxnFixture.Outcome {
        switch state {
        case .inTransaction: .moves(to: .inTransaction)
        case .abortableError: .refused(.transactionAbortable)
        case .fatalError: .refused(.fatal)
        case .uninitialized, .initializing, .ready, .committing, .aborting: .refused(.invalidTransactionState)
        }
    }

    @Test(arguments: TxnFixture.allStates)
    func recordSendOfANewPartition(_ state: State) throws {
        var isNew: Bool?
        let (before, after, error) = try TxnFixture.run(state, expecting: Self.sendOutcome(state)) {
            machine throws(KafkaProducerError) in
            isNew = try machine.recordSend(to: TxnFixture.p2)
        }
        if state == .abortableError || state == .fatalError {
            #expect(error == before.lastError, "send fails with the error that broke the transaction")
        }
        if error == nil {
            #expect(isNew == true)
            #expect(after.pendingPartitions == [p1, p2])
            #expect(after.addedPartitions == [p0])
            #expect(!after.mayDrain(p2))
        }
    }

    @Test(arguments: TxnFixture.allStates)
    func checkCanSendOffsets(_ state: State) throws {
        let (before, after, error) = try TxnFixture.run(state, expecting: Self.sendOutcome(state)) {
            machine throws(KafkaProducerError) in
            try machine.checkCanSendOffsets()
        }
        if state == .abortableError || state == .fatalError { #expect(error == before.lastError) }
        #expect(Snapshot(after) == Snapshot(before), "checking changes nothing")
    }

    @Test func recordSendOfAKnownPartitionIsNotNew() throws {
        var machine = try TxnFixture.machine(in: .inTransaction)
        #expect(try machine.recordSend(to: p0) == false, "added")
        #expect(try machine.recordSend(to: p1) == false, "pending")
        _ = machine.takePartitionsToAdd()
        #expect(try machine.recordSend(to: p1) == false, "being added")
        #expect(machine.pendingPartitions.isEmpty)
        #expect(machine.partitionsBeingAdded == [p1])
        #expect(try machine.recordSend(to: p2) == true)
        #expect(try machine.recordSend(to: p2) == false)
        #expect(machine.pendingPartitions == [p2])
    }

    @Test func sendErrorsNameTheCall() throws {
        for state in [State.uninitialized, .ready, .committing, .aborting] {
            var machine = try TxnFixture.machine(in: state)
            let sendError = #expect(throws: KafkaProducerError.self) { _ = try machine.recordSend(to: p0) }
            #expect(sendError?.message.contains("send") == true)
            let offsetsError = #expect(throws: KafkaProducerError.self) { try machine.checkCanSendOffsets() }
            #expect(offsetsError?.message.contains("sendOffsetsToTransaction") == true)
        }
    }

    // MARK: beginCommit

    @Test(arguments: TxnFixture.allStates)
    func beginCommit(_ state: State) throws {
        let outcome: TxnFixture.Outcome =
            switch state {
            case .inTransaction, .committing: .moves(to: .committing)
            case .abortableError: .refused(.transactionAbortable)
            case .fatalError: .refused(.fatal)
            case .uninitialized, .initializing, .ready, .aborting: .refused(.invalidTransactionState)
            }
        let (before, after, error) = try TxnFixture.run(state, expecting: outcome) {
            machine throws(KafkaProducerError) in
            try machine.beginCommit()
        }
        switch state {
        case .abortableError:
            #expect(
                error?.message.contains(TxnFixture.batchError.message) == true,
                "names the error: \(String(describing: error))")
        case .fatalError:
            #expect(error == before.lastError)
        case .inTransaction, .committing:
            var expected = Snapshot(before)
            expected.state = .committing
            #expect(Snapshot(after) == expected, "the partitions stay for the flush")
        default:
            break
        }
    }

    // MARK: beginAbort

    @Test(arguments: TxnFixture.allStates)
    func beginAbort(_ state: State) throws {
        let outcome: TxnFixture.Outcome =
            switch state {
            case .inTransaction, .abortableError, .aborting: .moves(to: .aborting)
            case .fatalError: .refused(.fatal)
            case .uninitialized, .initializing, .ready, .committing: .refused(.invalidTransactionState)
            }
        let (before, after, error) = try TxnFixture.run(state, expecting: outcome) {
            machine throws(KafkaProducerError) in
            try machine.beginAbort()
        }
        if state == .fatalError { #expect(error == before.lastError) }
        if error == nil {
            var expected = Snapshot(before)
            expected.state = .aborting
            #expect(Snapshot(after) == expected, "the abort keeps what EndTxn needs to know")
            #expect(after.shouldFailUndrainedBatches)
        }
    }

    // MARK: transactionEnded

    @Test(arguments: TxnFixture.allStates)
    func transactionEnded(_ state: State) throws {
        for inFlight in [false, true] where inFlight == false || TxnFixture.transactionStates.contains(state) {
            var machine = try TxnFixture.machine(in: state, inFlight: inFlight)
            let before = Snapshot(machine)
            machine.transactionEnded()
            switch state {
            case .committing, .aborting:
                #expect(machine.state == .ready)
                #expect(machine.addedPartitions.isEmpty)
                #expect(machine.pendingPartitions.isEmpty)
                #expect(machine.partitionsBeingAdded.isEmpty)
                #expect(!machine.transactionStarted)
                #expect(machine.lastError == nil)
                #expect(machine.identity == TxnFixture.identity)
                #expect(!machine.mayDrain(p0))
            case .uninitialized, .initializing, .ready, .inTransaction, .abortableError, .fatalError:
                #expect(Snapshot(machine) == before)
            }
        }
    }

    @Test func abortAfterAnAbortableErrorClearsTheErrorAndAllowsANewTransaction() throws {
        var machine = try TxnFixture.machine(in: .abortableError)
        try machine.beginAbort()
        #expect(machine.lastError != nil, "kept until the abort completes")
        machine.transactionEnded()
        #expect(machine.state == .ready)
        #expect(machine.lastError == nil)
        try machine.beginTransaction()
        #expect(try machine.recordSend(to: p0) == true, "a new transaction starts with no partition")
        #expect(!machine.transactionStarted)
    }

    @Test func aFatalErrorSurvivesTransactionEnded() throws {
        for state in [State.committing, .aborting] {
            var machine = try TxnFixture.machine(in: state)
            machine.fail(.fenced, KafkaProducerError(.broker(.producerFenced), "PRODUCER_FENCED"))
            let before = Snapshot(machine)
            machine.transactionEnded()
            #expect(Snapshot(machine) == before)
            #expect(machine.state == .fatalError)
            #expect(machine.lastError?.kind == .fenced)
            #expect(throws: KafkaProducerError.self) { try machine.beginTransaction() }
        }
    }

    // MARK: takePartitionsToAdd

    @Test(arguments: TxnFixture.allStates)
    func takePartitionsToAdd(_ state: State) throws {
        var machine = try TxnFixture.machine(in: state)
        let before = Snapshot(machine)
        let taken = machine.takePartitionsToAdd()
        switch state {
        case .inTransaction, .committing:
            #expect(taken == [p1])
            #expect(machine.partitionsBeingAdded == [p1])
            #expect(machine.pendingPartitions.isEmpty)
            #expect(machine.state == state)
            #expect(!machine.mayDrain(p1))
        case .uninitialized, .initializing, .ready, .aborting, .abortableError, .fatalError:
            #expect(taken.isEmpty)
            #expect(Snapshot(machine) == before)
        }
    }

    @Test(arguments: TxnFixture.allStates)
    func takePartitionsToAddWhileARequestIsInFlight(_ state: State) throws {
        guard TxnFixture.transactionStates.contains(state) else { return }
        var machine = try TxnFixture.machine(in: state, inFlight: true)
        if state == .inTransaction { _ = try machine.recordSend(to: p2) }
        let before = Snapshot(machine)
        #expect(machine.takePartitionsToAdd().isEmpty, "one AddPartitionsToTxn at a time")
        #expect(Snapshot(machine) == before)
    }

    // MARK: partitionsAdded

    @Test(arguments: TxnFixture.allStates)
    func partitionsAddedSuccessfully(_ state: State) throws {
        let inFlight = TxnFixture.transactionStates.contains(state)
        var machine = try TxnFixture.machine(in: state, inFlight: inFlight)
        let before = Snapshot(machine)
        #expect(machine.partitionsAdded([p1: .none]) == nil)
        var expected = before
        if inFlight {
            // Whatever the state, the coordinator now has the partition in the transaction.
            expected.beingAdded = []
            expected.added = [p0, p1]
            expected.started = true
        }
        #expect(Snapshot(machine) == expected)
        #expect(machine.mayDrain(p1) == inFlight)
    }

    @Test(arguments: TxnFixture.allStates)
    func partitionsAddedWithAnAbortableError(_ state: State) throws {
        let inFlight = TxnFixture.transactionStates.contains(state)
        var machine = try TxnFixture.machine(in: state, inFlight: inFlight)
        let before = Snapshot(machine)
        let result = machine.partitionsAdded([p1: .topicAuthorizationFailed])
        #expect(result == (inFlight ? .abortable : nil))
        var expected = before
        expected.beingAdded = []
        if state == .inTransaction || state == .committing {
            expected.state = .abortableError
            #expect(machine.lastError?.kind == .transactionAbortable)
            #expect(machine.lastError?.message.contains("TOPIC_AUTHORIZATION_FAILED") == true)
            #expect(machine.lastError?.message.contains("orders-1") == true)
            expected.lastError = machine.lastError
            #expect(machine.shouldFailUndrainedBatches)
        }
        #expect(Snapshot(machine) == expected, "the refused partition is neither added nor pending")
    }

    @Test(arguments: TxnFixture.allStates)
    func partitionsAddedWithARetriableError(_ state: State) throws {
        let inFlight = TxnFixture.transactionStates.contains(state)
        var machine = try TxnFixture.machine(in: state, inFlight: inFlight)
        let before = Snapshot(machine)
        let result = machine.partitionsAdded([p1: .concurrentTransactions])
        #expect(result == (inFlight ? .retry(findCoordinator: false) : nil))
        var expected = before
        if inFlight {
            expected.beingAdded = []
            expected.pending = [p1]
        }
        #expect(Snapshot(machine) == expected, "the partition is pending again; the state does not change")
    }

    @Test(arguments: TxnFixture.allStates)
    func partitionsAddedWhileFenced(_ state: State) throws {
        let inFlight = TxnFixture.transactionStates.contains(state)
        var machine = try TxnFixture.machine(in: state, inFlight: inFlight)
        let before = Snapshot(machine)
        let result = machine.partitionsAdded([p1: .producerFenced])
        if inFlight {
            #expect(result == .fenced)
            #expect(machine.state == .fatalError)
            #expect(machine.lastError?.kind == .fenced)
            #expect(machine.lastError?.message.contains(TxnFixture.transactionalID) == true)
            #expect(machine.partitionsBeingAdded.isEmpty && machine.pendingPartitions.isEmpty)
        } else {
            #expect(result == nil, "nothing was in flight")
            #expect(Snapshot(machine) == before)
        }
    }

    @Test(arguments: TxnFixture.allStates)
    func partitionsAddedWithAFatalError(_ state: State) throws {
        let inFlight = TxnFixture.transactionStates.contains(state)
        var machine = try TxnFixture.machine(in: state, inFlight: inFlight)
        let before = Snapshot(machine)
        let result = machine.partitionsAdded([p1: .invalidTxnState])
        #expect(result == (inFlight ? .fatal : nil))
        if inFlight {
            #expect(machine.state == .fatalError)
            #expect(machine.lastError?.kind == .fatal)
            if state == .fatalError {
                #expect(machine.lastError == before.lastError, "the first fatal error is kept")
            } else {
                #expect(machine.lastError?.message.contains("INVALID_TXN_STATE") == true)
            }
        } else {
            #expect(Snapshot(machine) == before)
        }
    }

    // MARK: addPartitionsRequestFailed

    @Test(arguments: TxnFixture.allStates)
    func addPartitionsRequestFailed(_ state: State) throws {
        let inFlight = TxnFixture.transactionStates.contains(state)
        var machine = try TxnFixture.machine(in: state, inFlight: inFlight)
        let before = Snapshot(machine)
        machine.addPartitionsRequestFailed()
        var expected = before
        if inFlight {
            expected.beingAdded = []
            expected.pending = [p1]
        }
        #expect(Snapshot(machine) == expected)
        // Without a request in flight it changes nothing.
        let settled = Snapshot(machine)
        machine.addPartitionsRequestFailed()
        #expect(Snapshot(machine) == settled)
    }

    // MARK: offsetsAdded

    @Test(arguments: TxnFixture.allStates)
    func offsetsAdded(_ state: State) throws {
        var machine = try TxnFixture.machine(in: state)
        let before = Snapshot(machine)
        machine.offsetsAdded()
        var expected = before
        // Only while the transaction is open (or failing, still to be aborted): a late answer after it ended must
        // not mark the next transaction as started.
        switch state {
        case .inTransaction, .committing, .abortableError, .aborting: expected.started = true
        case .uninitialized, .initializing, .ready, .fatalError: break
        }
        #expect(Snapshot(machine) == expected, "only transactionStarted changes")
    }

    @Test func offsetsAloneStartTheTransaction() throws {
        var machine = try TxnFixture.machine(in: .ready)
        try machine.beginTransaction()
        try machine.checkCanSendOffsets()
        #expect(!machine.transactionStarted)
        machine.offsetsAdded()
        #expect(machine.transactionStarted)
        #expect(machine.addedPartitions.isEmpty)
        try machine.beginCommit()
        #expect(machine.transactionStarted, "EndTxn must be sent")
        machine.transactionEnded()
        #expect(!machine.transactionStarted)
    }

    // MARK: batchFailed / fail

    @Test(arguments: TxnFixture.allStates)
    func batchFailedWithAnAbortableError(_ state: State) throws {
        for cause in [
            KafkaProducerError(.broker(.notEnoughReplicas), topic: "audit", partition: 3, "retries exhausted"),
            KafkaProducerError(.deliveryTimedOut, topic: "audit", partition: 3, "delivery.timeout.ms"),
            KafkaProducerError(.network, topic: "audit", partition: 3, "connection reset"),
        ] {
            var machine = try TxnFixture.machine(in: state)
            let before = Snapshot(machine)
            machine.batchFailed(cause)
            switch state {
            case .inTransaction, .committing:
                var expected = before
                expected.state = .abortableError
                expected.lastError = KafkaProducerError(
                    .transactionAbortable, topic: "audit", partition: 3, cause.message)
                #expect(Snapshot(machine) == expected)
            case .uninitialized, .initializing, .ready, .aborting, .abortableError, .fatalError:
                #expect(Snapshot(machine) == before, "\(cause.kind)")
            }
        }
    }

    @Test(arguments: TxnFixture.allStates)
    func batchFailedFenced(_ state: State) throws {
        var machine = try TxnFixture.machine(in: state)
        let before = Snapshot(machine)
        machine.batchFailed(KafkaProducerError(.fenced, "INVALID_PRODUCER_EPOCH"))
        var expected = before
        expected.state = .fatalError
        expected.lastError = machine.lastError
        #expect(Snapshot(machine) == expected, "fencing wins from any state, over an earlier fatal error too")
        #expect(machine.lastError?.kind == .fenced)
        #expect(machine.lastError?.message.contains("INVALID_PRODUCER_EPOCH") == true)
        #expect(machine.lastError?.message.contains("'\(TxnFixture.transactionalID)'") == true)
        #expect(machine.shouldFailUndrainedBatches)
    }

    @Test(arguments: TxnFixture.allStates)
    func batchFailedFatally(_ state: State) throws {
        var machine = try TxnFixture.machine(in: state)
        let before = Snapshot(machine)
        let cause = KafkaProducerError(.fatal, topic: "audit", partition: 3, "CLUSTER_AUTHORIZATION_FAILED")
        machine.batchFailed(cause)
        var expected = before
        if state != .fatalError {
            expected.state = .fatalError
            expected.lastError = KafkaProducerError(.fatal, topic: "audit", partition: 3, cause.message)
        }
        #expect(Snapshot(machine) == expected, "a second fatal error keeps the first")
    }

    static let failClasses: [TransactionStateMachine.ErrorClass] = [
        .retry(findCoordinator: false), .retry(findCoordinator: true), .abortable, .fenced, .fatal,
    ]

    @Test(arguments: TxnFixture.allStates, failClasses)
    func fail(_ state: State, _ errorClass: TransactionStateMachine.ErrorClass) throws {
        var machine = try TxnFixture.machine(in: state)
        let before = Snapshot(machine)
        let cause = KafkaProducerError(.broker(.unknownServerError), topic: "t", partition: 9, "cause")
        machine.fail(errorClass, cause)
        var expected = before
        switch errorClass {
        case .retry:
            break
        case .abortable:
            if state == .inTransaction || state == .committing {
                expected.state = .abortableError
                expected.lastError = KafkaProducerError(.transactionAbortable, topic: "t", partition: 9, "cause")
            }
        case .fenced:
            expected.state = .fatalError
            expected.lastError = machine.lastError
            #expect(machine.lastError?.kind == .fenced)
        case .fatal:
            if state != .fatalError {
                expected.state = .fatalError
                expected.lastError = KafkaProducerError(.fatal, topic: "t", partition: 9, "cause")
            }
        }
        #expect(Snapshot(machine) == expected)
    }

    @Test func anAbortableErrorKeepsTheFirstError() throws {
        var machine = try TxnFixture.machine(in: .inTransaction)
        machine.batchFailed(KafkaProducerError(.broker(.messageTooLarge), "first"))
        machine.batchFailed(KafkaProducerError(.broker(.recordListTooLarge), "second"))
        machine.fail(.abortable, KafkaProducerError(.broker(.groupAuthorizationFailed), "third"))
        #expect(machine.lastError?.message == "first")
        #expect(throws: KafkaProducerError(.transactionAbortable, "first")) { _ = try machine.recordSend(to: p2) }
    }

    // MARK: partition bookkeeping

    @Test func partitionMovesFromPendingToBeingAddedToAdded() throws {
        var machine = try TxnFixture.machine(in: .ready)
        try machine.beginTransaction()
        #expect(try machine.recordSend(to: p2) == true)
        #expect(try machine.recordSend(to: p3) == true)
        #expect(machine.pendingPartitions == [p2, p3])
        #expect(!machine.mayDrain(p2) && !machine.mayDrain(p3))
        #expect(!machine.transactionStarted)

        #expect(machine.takePartitionsToAdd() == [p3, p2], "sorted: audit-0 before audit-3")
        #expect(machine.pendingPartitions.isEmpty)
        #expect(machine.partitionsBeingAdded == [p2, p3])
        #expect(!machine.mayDrain(p2) && !machine.mayDrain(p3))
        #expect(!machine.transactionStarted, "not before the coordinator answered")

        #expect(machine.partitionsAdded([p2: .none, p3: .none]) == nil)
        #expect(machine.addedPartitions == [p2, p3])
        #expect(machine.partitionsBeingAdded.isEmpty)
        #expect(machine.mayDrain(p2) && machine.mayDrain(p3))
        #expect(machine.transactionStarted)
        #expect(machine.takePartitionsToAdd().isEmpty, "nothing pending")
    }

    @Test func oneAddPartitionsRequestInFlightAtATime() throws {
        var machine = try TxnFixture.machine(in: .inTransaction)
        #expect(machine.takePartitionsToAdd() == [p1])
        _ = try machine.recordSend(to: p2)
        #expect(machine.takePartitionsToAdd().isEmpty)
        #expect(machine.pendingPartitions == [p2])
        #expect(machine.partitionsAdded([p1: .none]) == nil)
        #expect(machine.takePartitionsToAdd() == [p2])
        #expect(machine.takePartitionsToAdd().isEmpty)
        machine.addPartitionsRequestFailed()
        #expect(machine.pendingPartitions == [p2])
        #expect(machine.takePartitionsToAdd() == [p2], "asked again after the failed request")
    }

    @Test func aResultForAPartitionNotRequestedIsIgnored() throws {
        var machine = try TxnFixture.machine(in: .inTransaction)
        _ = machine.takePartitionsToAdd()
        #expect(machine.partitionsAdded([p1: .none, p2: .none]) == nil)
        #expect(machine.addedPartitions == [p0, p1])
        #expect(!machine.mayDrain(p2))
    }

    @Test func aPartitionMissingFromTheAnswerIsAnUnknownServerError() throws {
        var machine = try TxnFixture.machine(in: .inTransaction)
        _ = try machine.recordSend(to: p2)
        _ = machine.takePartitionsToAdd()
        #expect(machine.partitionsAdded([p1: .none]) == .abortable)
        #expect(machine.state == .abortableError)
        #expect(machine.addedPartitions == [p0, p1])
        #expect(machine.lastError?.message.contains("UNKNOWN_SERVER_ERROR") == true)
        #expect(machine.lastError?.message.contains("audit-3") == true)
        #expect(machine.lastError?.message.contains("orders-1") == false, "only the failed partitions are named")
    }

    @Test func retriablePerPartitionErrorsPutThePartitionsBackToPending() throws {
        for (code, findCoordinator) in [
            (KafkaErrorCode.concurrentTransactions, false), (.coordinatorLoadInProgress, false),
            (.unknownTopicOrPartition, false), (.requestTimedOut, false), (.networkException, false),
            (.notEnoughReplicas, false), (.notCoordinator, true), (.coordinatorNotAvailable, true),
        ] {
            var machine = try TxnFixture.machine(in: .inTransaction)
            _ = try machine.recordSend(to: p2)
            #expect(machine.takePartitionsToAdd() == [p2, p1])
            #expect(machine.partitionsAdded([p1: code, p2: code]) == .retry(findCoordinator: findCoordinator))
            #expect(machine.state == .inTransaction, "\(code)")
            #expect(machine.lastError == nil)
            #expect(machine.pendingPartitions == [p1, p2])
            #expect(machine.partitionsBeingAdded.isEmpty)
            #expect(!machine.mayDrain(p1) && !machine.mayDrain(p2))
            #expect(machine.takePartitionsToAdd() == [p2, p1], "asked again")
        }
    }

    @Test func retriableErrorsKeepTheTransactionUnstarted() throws {
        var machine = try TxnFixture.machine(in: .ready)
        try machine.beginTransaction()
        _ = try machine.recordSend(to: p2)
        _ = machine.takePartitionsToAdd()
        _ = machine.partitionsAdded([p2: .concurrentTransactions])
        #expect(!machine.transactionStarted)
        _ = machine.takePartitionsToAdd()
        machine.addPartitionsRequestFailed()
        #expect(!machine.transactionStarted)
        try machine.beginAbort()
        #expect(!machine.transactionStarted, "an abort ends it locally, without EndTxn")
    }

    struct Mix: Sendable, CustomTestStringConvertible {
        var codes: [KafkaErrorCode]
        var expected: TransactionStateMachine.ErrorClass
        var state: State
        init(_ codes: [KafkaErrorCode], _ expected: TransactionStateMachine.ErrorClass, _ state: State) {
            self.codes = codes
            self.expected = expected
            self.state = state
        }
        var testDescription: String { codes.map(\.name).joined(separator: "+") }
    }

    static let mixes: [Mix] = [
        Mix([.concurrentTransactions, .topicAuthorizationFailed], .abortable, .abortableError),
        Mix([.notCoordinator, .concurrentTransactions], .retry(findCoordinator: true), .inTransaction),
        Mix(
            [.coordinatorLoadInProgress, .notCoordinator, .concurrentTransactions], .retry(findCoordinator: true),
            .inTransaction),
        Mix([.topicAuthorizationFailed, .invalidTxnState], .fatal, .fatalError),
        Mix([.transactionalIdAuthorizationFailed, .producerFenced], .fenced, .fatalError),
        Mix([.concurrentTransactions, .invalidProducerEpoch, .topicAuthorizationFailed], .fenced, .fatalError),
        Mix([.operationNotAttempted, .topicAuthorizationFailed], .abortable, .abortableError),
        Mix([.operationNotAttempted, .transactionalIdAuthorizationFailed], .fatal, .fatalError),
        Mix([.operationNotAttempted, .concurrentTransactions], .retry(findCoordinator: false), .inTransaction),
        Mix([.operationNotAttempted, .notCoordinator], .retry(findCoordinator: true), .inTransaction),
        Mix([.none, .transactionAbortable], .abortable, .abortableError),
    ]

    @Test(arguments: mixes)
    func aMixOfErrorsPicksTheMostSevere(_ mix: Mix) throws {
        let (codes, expected, state) = (mix.codes, mix.expected, mix.state)
        // Several runs: the partitions are a set, so any order of iteration must give the same answer.
        for round in 0..<20 {
            var machine = try TxnFixture.machine(in: .inTransaction)
            let partitions = codes.indices.map { TopicPartitionKey(topic: "mix-\(round)", partition: Int32($0)) }
            for partition in partitions { _ = try machine.recordSend(to: partition) }
            _ = machine.takePartitionsToAdd()
            let results = Dictionary(uniqueKeysWithValues: zip(partitions, codes) + [(p1, KafkaErrorCode.none)])
            #expect(machine.partitionsAdded(results) == expected, "\(codes)")
            #expect(machine.state == state)
            #expect(machine.mayDrain(p1), "the partition without error is added")
            switch expected {
            case .retry:
                #expect(machine.pendingPartitions == Set(zip(partitions, codes).filter { $0.1 != .none }.map(\.0)))
            case .abortable:
                #expect(machine.lastError?.kind == .transactionAbortable)
            case .fatal:
                #expect(machine.lastError?.kind == .fatal)
            case .fenced:
                #expect(machine.lastError?.kind == .fenced)
            }
            if let worst = codes.first(where: { TransactionStateMachine.classify($0) == expected && $0 != .none }),
                expected != .retry(findCoordinator: false) && expected != .retry(findCoordinator: true)
            {
                #expect(
                    machine.lastError?.message.contains(worst.name) == true, "\(String(describing: machine.lastError))")
            }
        }
    }

    @Test func operationNotAttemptedAlongsideARealErrorReportsTheRealError() throws {
        var machine = try TxnFixture.machine(in: .inTransaction)
        _ = try machine.recordSend(to: p2)
        _ = try machine.recordSend(to: p3)
        _ = machine.takePartitionsToAdd()
        let result = machine.partitionsAdded([
            p1: .operationNotAttempted, p2: .topicAuthorizationFailed, p3: .operationNotAttempted,
        ])
        #expect(result == .abortable)
        #expect(machine.state == .abortableError)
        let message = try #require(machine.lastError?.message)
        #expect(message.contains("TOPIC_AUTHORIZATION_FAILED"))
        #expect(!message.contains("OPERATION_NOT_ATTEMPTED"))
        #expect(machine.addedPartitions == [p0])
        #expect(machine.takePartitionsToAdd().isEmpty, "nothing more is added to a failing transaction")
        #expect(throws: KafkaProducerError.self) { try machine.beginCommit() }
    }

    @Test func errorsOfTheSameClassReportTheFirstPartitionsError() throws {
        for _ in 0..<20 {
            var machine = try TxnFixture.machine(in: .inTransaction)
            _ = try machine.recordSend(to: p2)
            _ = try machine.recordSend(to: p3)
            _ = machine.takePartitionsToAdd()
            let result = machine.partitionsAdded([
                p1: .transactionAbortable, p2: .groupAuthorizationFailed, p3: .topicAuthorizationFailed,
            ])
            #expect(result == .abortable)
            let message = try #require(machine.lastError?.message)
            #expect(message.contains("TOPIC_AUTHORIZATION_FAILED"), "audit-0 sorts first: \(message)")
            #expect(message.contains("audit-0, audit-3, orders-1"))
        }
    }

    @Test func operationNotAttemptedAloneIsRetried() throws {
        var machine = try TxnFixture.machine(in: .inTransaction)
        _ = machine.takePartitionsToAdd()
        #expect(machine.partitionsAdded([p1: .operationNotAttempted]) == .retry(findCoordinator: false))
        #expect(machine.pendingPartitions == [p1])
        #expect(machine.state == .inTransaction)
    }

    @Test func partitionsAreAddedWhileCommitting() throws {
        var machine = try TxnFixture.machine(in: .committing)
        #expect(machine.takePartitionsToAdd() == [p1])
        #expect(machine.partitionsAdded([p1: .none]) == nil)
        #expect(machine.mayDrain(p1))
        #expect(machine.state == .committing)
        machine.transactionEnded()
        #expect(machine.state == .ready)
        #expect(!machine.mayDrain(p0) && !machine.mayDrain(p1))
    }

    @Test func aLateAnswerAfterTheTransactionEndedIsIgnored() throws {
        var machine = try TxnFixture.machine(in: .aborting, inFlight: true)
        machine.transactionEnded()
        let before = Snapshot(machine)
        #expect(machine.partitionsAdded([p1: .none]) == nil)
        #expect(machine.partitionsAdded([p1: .topicAuthorizationFailed]) == nil)
        #expect(Snapshot(machine) == before)
        #expect(!machine.mayDrain(p1))
    }

    // MARK: mayDrain / shouldFailUndrainedBatches

    @Test(arguments: TxnFixture.allStates)
    func mayDrainOnlyAddedPartitions(_ state: State) throws {
        let machine = try TxnFixture.machine(in: state, inFlight: TxnFixture.transactionStates.contains(state))
        #expect(machine.mayDrain(p0) == TxnFixture.transactionStates.contains(state))
        #expect(!machine.mayDrain(p1), "being added")
        #expect(!machine.mayDrain(p2), "never written to")
        let pending = try TxnFixture.machine(in: state)
        #expect(!pending.mayDrain(p1), "pending")
    }

    @Test(arguments: TxnFixture.allStates)
    func shouldFailUndrainedBatches(_ state: State) throws {
        let machine = try TxnFixture.machine(in: state)
        let expected =
            switch state {
            case .abortableError, .aborting, .fatalError: true
            case .uninitialized, .initializing, .ready, .inTransaction, .committing: false
            }
        #expect(machine.shouldFailUndrainedBatches == expected)
    }

    // MARK: a whole life

    @Test func twoTransactionsInARow() throws {
        var machine = Machine(transactionalID: "life")
        try machine.startInitialization()
        try machine.startInitialization()  // after a timeout
        machine.initializationSucceeded(TxnFixture.identity)
        for round in 0..<2 {
            try machine.beginTransaction()
            #expect(try machine.recordSend(to: p0) == true, "round \(round)")
            #expect(machine.takePartitionsToAdd() == [p0])
            #expect(machine.partitionsAdded([p0: .none]) == nil)
            #expect(machine.transactionStarted)
            try machine.beginCommit()
            try machine.beginCommit()  // after a timeout
            machine.transactionEnded()
            #expect(machine.state == .ready)
            #expect(machine.addedPartitions.isEmpty && !machine.transactionStarted)
        }
        #expect(machine.identity == TxnFixture.identity)
    }

    @Test func abortWithEpochBumpKeepsAbortingUntilEnded() throws {
        var machine = try TxnFixture.machine(in: .abortableError)
        try machine.beginAbort()
        machine.initializationSucceeded(TxnFixture.bumped)
        #expect(machine.state == .aborting)
        #expect(machine.identity == TxnFixture.bumped)
        #expect(machine.transactionStarted, "EndTxn still needed")
        machine.transactionEnded()
        #expect(machine.state == .ready)
        #expect(machine.identity == TxnFixture.bumped)
    }

    // MARK: classify

    static let classified: [(KafkaErrorCode, TransactionStateMachine.ErrorClass)] = [
        (.notCoordinator, .retry(findCoordinator: true)),
        (.coordinatorNotAvailable, .retry(findCoordinator: true)),
        (.coordinatorLoadInProgress, .retry(findCoordinator: false)),
        (.concurrentTransactions, .retry(findCoordinator: false)),
        (.operationNotAttempted, .retry(findCoordinator: false)),
        (.unknownTopicOrPartition, .retry(findCoordinator: false)),
        (.requestTimedOut, .retry(findCoordinator: false)),
        (.networkException, .retry(findCoordinator: false)),
        (.producerFenced, .fenced),
        (.invalidProducerEpoch, .fenced),
        (.transactionalIdAuthorizationFailed, .fatal),
        (.invalidTxnState, .fatal),
        (.invalidTransactionTimeout, .fatal),
        (.clusterAuthorizationFailed, .fatal),
        (.unsupportedVersion, .fatal),
        (.unsupportedForMessageFormat, .fatal),
        (.invalidRequest, .fatal),
        // Defaults: retriable codes are retried, the others abort the transaction.
        (.notEnoughReplicas, .retry(findCoordinator: false)),
        (.corruptMessage, .retry(findCoordinator: false)),
        (.topicAuthorizationFailed, .abortable),
        (.groupAuthorizationFailed, .abortable),
        (.transactionAbortable, .abortable),
        (.unknownProducerId, .abortable),
        (.invalidProducerIdMapping, .abortable),
        (.unknownMemberId, .abortable),
        (.illegalGeneration, .abortable),
        (.fencedInstanceId, .abortable),
        (.unknownServerError, .abortable),
        (.outOfOrderSequenceNumber, .abortable),
        (.invalidRecord, .abortable),
        (KafkaErrorCode(rawValue: 9999), .abortable),
    ]

    @Test(arguments: classified)
    func classify(_ code: KafkaErrorCode, _ expected: TransactionStateMachine.ErrorClass) {
        #expect(TransactionStateMachine.classify(code) == expected)
    }

    @Test func classifyEveryKnownCode() {
        let named = Dictionary(uniqueKeysWithValues: Self.classified)
        for code in KafkaErrorCode.allKnown where code != .none {
            let expected =
                named[code] ?? (code.isRetriable ? .retry(findCoordinator: false) : .abortable)
            #expect(TransactionStateMachine.classify(code) == expected, "\(code)")
        }
    }
}
