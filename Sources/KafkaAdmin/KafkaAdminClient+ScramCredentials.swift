import KafkaNetwork
import KafkaProtocol
import NIOCore

/// A SCRAM mechanism of a user's credential (Kafka's `ScramMechanism`), with its protocol id.
public enum ScramMechanism: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// SCRAM-SHA-256.
    case scramSHA256 = 1
    /// SCRAM-SHA-512.
    case scramSHA512 = 2

    /// The mechanism name, `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    public var description: String { mechanismName }

    /// The mechanism name, `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    public var mechanismName: String {
        switch self {
        case .scramSHA256: "SCRAM-SHA-256"
        case .scramSHA512: "SCRAM-SHA-512"
        }
    }

    /// The mechanism named `name` (`SCRAM-SHA-256`, `SCRAM-SHA-512`); nil for any other name.
    public init?(mechanismName name: String) {
        guard let mechanism = Self.allCases.first(where: { $0.mechanismName == name }) else { return nil }
        self = mechanism
    }

    /// The fewest iterations Kafka accepts (4096).
    public static let minimumIterations: Int32 = 4096

    /// The most iterations Kafka accepts (16384).
    public static let maximumIterations: Int32 = 16384

    var saslMechanism: SASLMechanism {
        switch self {
        case .scramSHA256: .scramSHA256
        case .scramSHA512: .scramSHA512
        }
    }
}

/// A SCRAM credential of a user as the broker describes it: the mechanism and the iteration count (never the
/// salt or keys).
public struct ScramCredentialInfo: Sendable, Hashable {
    /// The mechanism.
    public var mechanism: ScramMechanism
    /// The PBKDF2 iteration count.
    public var iterations: Int32

    /// Creates a description.
    public init(mechanism: ScramMechanism, iterations: Int32) {
        self.mechanism = mechanism
        self.iterations = iterations
    }
}

/// A change of a user's SCRAM credentials (Kafka's `UserScramCredentialUpsertion` and
/// `UserScramCredentialDeletion`).
public enum UserScramCredentialAlteration: Sendable, Hashable {
    /// Creates or replaces the user's credential of a mechanism from a password: the client sends a random salt
    /// and the salted password (`Hi(password, salt, iterations)`), never the password itself.
    case upsert(user: String, mechanism: ScramMechanism, iterations: Int32, password: String)
    /// Removes the user's credential of a mechanism.
    case delete(user: String, mechanism: ScramMechanism)

    /// The user the change concerns.
    public var user: String {
        switch self {
        case .upsert(let user, _, _, _), .delete(let user, _): user
        }
    }
}

extension UserScramCredentialAlteration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The change without the password: `upsert(user: "alice", mechanism: SCRAM-SHA-256, iterations: 8192,
    /// password: <redacted>)`.
    public var description: String {
        switch self {
        case .upsert(let user, let mechanism, let iterations, _):
            "upsert(user: \"\(user)\", mechanism: \(mechanism), iterations: \(iterations), password: <redacted>)"
        case .delete(let user, let mechanism):
            "delete(user: \"\(user)\", mechanism: \(mechanism))"
        }
    }

    /// Same as ``description``: the password is redacted.
    public var debugDescription: String { description }

    /// A mirror without the password, so that `dump` and debuggers do not reveal it either.
    public var customMirror: Mirror {
        switch self {
        case .upsert(let user, let mechanism, let iterations, _):
            Mirror(
                self,
                children: ["user": user, "mechanism": mechanism, "iterations": iterations, "password": "<redacted>"])
        case .delete(let user, let mechanism):
            Mirror(self, children: ["user": user, "mechanism": mechanism])
        }
    }
}

extension KafkaAdminClient {
    /// The SCRAM credentials of users, as the Java client's `describeUserScramCredentials`
    /// (DescribeUserScramCredentials, Kafka 2.7).
    ///
    /// - Parameter users: the users to describe; empty: every user that has a credential.
    /// - Returns: per user, its credentials (sorted by mechanism) or the error (RESOURCE_NOT_FOUND for a named user
    ///   without credentials).
    /// - Throws: ``AdminError`` when the request fails as a whole: the broker cannot be reached or does not support
    ///   the API (UNSUPPORTED_VERSION, the message naming the API and the broker's versions of it).
    public func describeUserScramCredentials(_ users: [String] = []) async throws(AdminError)
        -> [String: Result<[ScramCredentialInfo], AdminError>]
    {
        try await reportingAdminError(
            api: .describeUserScramCredentials, resourceKind: .user, resourceName: AdminError.resourceNames(users)
        ) {
            let response = try await sendToAnyBroker(since: "2.7") { _ in
                DescribeUserScramCredentialsRequest(users: users.isEmpty ? nil : users.map { .init(name: $0) })
            }
            if response.errorCode != 0 {
                throw AdminError(
                    code: KafkaErrorCode(rawValue: response.errorCode), api: .describeUserScramCredentials,
                    resourceKind: .user, resourceName: AdminError.resourceNames(users), message: response.errorMessage)
            }
            var results: [String: Result<[ScramCredentialInfo], AdminError>] = [:]
            for result in response.results where results[result.user] == nil {
                if result.errorCode != 0 {
                    results[result.user] = .failure(
                        AdminError(
                            code: KafkaErrorCode(rawValue: result.errorCode), api: .describeUserScramCredentials,
                            resourceKind: .user, resourceName: result.user, message: result.errorMessage))
                } else {
                    results[result.user] = .success(
                        result.credentialInfos.compactMap { info in
                            ScramMechanism(rawValue: info.mechanism).map {
                                ScramCredentialInfo(mechanism: $0, iterations: info.iterations)
                            }
                        }
                        .sorted { $0.mechanism.rawValue < $1.mechanism.rawValue })
                }
            }
            for user in users where results[user] == nil {
                results[user] = .failure(
                    AdminError.missing(api: .describeUserScramCredentials, resourceKind: .user, resourceName: user))
            }
            return results
        }
    }

    /// Creates, replaces and removes SCRAM credentials of users, as the Java client's `alterUserScramCredentials`
    /// (AlterUserScramCredentials, Kafka 2.7).
    ///
    /// A new credential is salted here: a random salt of 32 bytes and `Hi(password, salt, iterations)` with
    /// HMAC-SHA-256 or HMAC-SHA-512, the salted password that SCRAM clients derive when they authenticate.
    ///
    /// ```swift
    /// let results = try await admin.alterUserScramCredentials([
    ///     .upsert(user: "alice", mechanism: .scramSHA256, iterations: 8192, password: "alice-secret")
    /// ])
    /// ```
    ///
    /// - Returns: per user, success or the first error of its changes (UNACCEPTABLE_CREDENTIAL for iterations out
    ///   of Kafka's range or an empty user name, RESOURCE_NOT_FOUND when deleting a credential the user does not
    ///   have, DUPLICATE_RESOURCE for two changes of the same user and mechanism).
    /// - Throws: ``AdminError`` when the request fails as a whole: the broker cannot be reached or does not support
    ///   the API (UNSUPPORTED_VERSION, the message naming the API and the broker's versions of it).
    public func alterUserScramCredentials(_ alterations: [UserScramCredentialAlteration]) async throws(AdminError)
        -> [String: Result<Void, AdminError>]
    {
        var results: [String: Result<Void, AdminError>] = [:]
        var deletions: [AlterUserScramCredentialsRequest.ScramCredentialDeletion] = []
        var upsertions: [AlterUserScramCredentialsRequest.ScramCredentialUpsertion] = []
        for alteration in alterations {
            switch alteration {
            case .delete(let user, let mechanism):
                deletions.append(.init(name: user, mechanism: mechanism.rawValue))
            case .upsert(let user, let mechanism, let iterations, let password):
                let salt = SCRAMSaltedPassword.randomSalt()
                do {
                    let salted = try SCRAMSaltedPassword.compute(
                        mechanism: mechanism.saslMechanism, password: Array(password.utf8), salt: salt,
                        iterations: Int(max(iterations, 1)))
                    upsertions.append(
                        .init(
                            name: user, mechanism: mechanism.rawValue, iterations: iterations,
                            salt: ByteBuffer(bytes: salt), saltedPassword: ByteBuffer(bytes: salted)))
                } catch {
                    results[user] = .failure(
                        AdminError(
                            code: .unacceptableCredential, api: .alterUserScramCredentials, resourceKind: .user,
                            resourceName: user, message: "cannot salt the password: \(error)"))
                }
            }
        }
        let users = Array(Set(alterations.map(\.user))).sorted()
        guard !deletions.isEmpty || !upsertions.isEmpty else { return results }
        let (sentDeletions, sentUpsertions) = (deletions, upsertions)
        let answered = try await reportingAdminError(
            api: .alterUserScramCredentials, resourceKind: .user, resourceName: AdminError.resourceNames(users)
        ) {
            try await sendToAnyBroker(since: "2.7") { _ in
                AlterUserScramCredentialsRequest(deletions: sentDeletions, upsertions: sentUpsertions)
            }
        }
        for result in answered.results where results[result.user] == nil {
            results[result.user] = AdminError.outcome(
                result.errorCode, api: .alterUserScramCredentials, resourceKind: .user, resourceName: result.user,
                message: result.errorMessage)
        }
        for user in users where results[user] == nil {
            results[user] = .failure(
                AdminError.missing(api: .alterUserScramCredentials, resourceKind: .user, resourceName: user))
        }
        return results
    }
}
