import KafkaNetwork
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers

/// One request to a coordinator (transaction or group), retried until it succeeds, fails for good, or `deadline`
/// passes — what `initTransactions`, `commitTransaction`, `abortTransaction` and `sendOffsetsToTransaction` run.
struct TransactionCoordinatorCall: Sendable {
    let cluster: KafkaClusterClient
    let core: ProducerCoreBox
    let logger: Logger

    /// What one attempt produced.
    enum Attempt<T: Sendable>: Sendable {
        case success(T)
        case failure(KafkaErrorCode, String)
    }

    /// Runs `attempt` against the coordinator of `key` until it succeeds. Retriable errors (coordinator moving or
    /// loading, CONCURRENT_TRANSACTIONS, network failures) are retried with the client's backoff; other errors move
    /// the state machine (abortable, fenced, fatal) and are thrown; running past `deadline` throws
    /// ``KafkaProducerError/Kind/timedOut``.
    func run<T: Sendable>(
        _ api: String, coordinator key: String, type: CoordinatorType, deadline: ContinuousClock.Instant,
        _ attempt: @Sendable (BrokerConnection) async throws -> Attempt<T>
    ) async throws(KafkaProducerError) -> T {
        var retry = 0
        var lastProblem = "no attempt finished"
        let destination: RequestDestination =
            type == .transaction ? .transactionCoordinator(key) : .groupCoordinator(key)
        while true {
            do {
                let connection = try await cluster.connection(to: destination, kind: .admin)
                switch try await attempt(connection) {
                case .success(let value):
                    return value
                case .failure(let code, let message):
                    lastProblem = message
                    let errorClass = TransactionStateMachine.classify(code)
                    switch errorClass {
                    case .retry(let findCoordinator):
                        if findCoordinator { cluster.invalidateCoordinator(for: key, type: type) }
                    case .abortable, .fenced, .fatal:
                        throw fail(errorClass, KafkaProducerError(.broker(code), "\(api): \(message)"))
                    }
                }
            } catch let error as KafkaProducerError {
                throw error
            } catch let error as KafkaNetworkError where !error.isRetriable || error.kind == .unsupportedVersion {
                throw fail(.fatal, KafkaProducerError(.network, "\(api): \(error)"))
            } catch let error as KafkaProtocolError {
                // A request this client cannot encode, or an answer it cannot decode: retrying cannot help.
                throw fail(.fatal, KafkaProducerError(.network, "\(api): \(error)"))
            } catch is CancellationError {
                throw KafkaProducerError(.timedOut, "\(api) was cancelled")
            } catch {
                // Retriable network errors and failed coordinator lookups.
                lastProblem = "\(error)"
                cluster.invalidateCoordinator(for: key, type: type)
            }
            retry += 1
            let delay = cluster.retryPolicy.delay(beforeRetry: retry, random: Double.random(in: 0..<1))
            guard ContinuousClock.now + delay < deadline else {
                throw KafkaProducerError(
                    .timedOut, "\(api) did not complete within max.block.ms (last error: \(lastProblem)); call it again"
                )
            }
            logger.debug("retrying \(api)", metadata: ["attempt": "\(retry)", "error": "\(lastProblem)"])
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw KafkaProducerError(.timedOut, "\(api) was cancelled")
            }
        }
    }

    /// Moves the state machine and, when the producer can no longer be used, fails it for every later send.
    func fail(_ errorClass: TransactionStateMachine.ErrorClass, _ error: KafkaProducerError) -> KafkaProducerError {
        core.withCore { $0.failTransaction(errorClass, error) }
    }

    /// The answer's error code and message, or success.
    static func outcome<T>(_ value: T, code: Int16, message: String?) -> Attempt<T> {
        let error = KafkaErrorCode(rawValue: code)
        if error == .none { return .success(value) }
        return .failure(error, message.map { "\(error.name): \($0)" } ?? error.name)
    }
}
