import KafkaProtocol
import NIOCore

/// The SCRAM credentials of the dev cluster's users, as Kafka keeps them: per user and mechanism (1 SCRAM-SHA-256,
/// 2 SCRAM-SHA-512) the salt, the iteration count, StoredKey and ServerKey. SCRAM logins check them, so a credential
/// changed by AlterUserScramCredentials takes effect at the next login.
enum DevScram {
    /// Kafka's bounds on the iteration count.
    static let minimumIterations: Int32 = 4096
    static let maximumIterations: Int32 = 16384

    /// The mechanism id of a hash.
    static func mechanism(_ hash: SCRAMHash) -> Int8 {
        switch hash {
        case .sha256: 1
        case .sha512: 2
        }
    }

    /// The hash of a mechanism id; nil for an unknown id.
    static func hash(_ mechanism: Int8) -> SCRAMHash? {
        switch mechanism {
        case 1: .sha256
        case 2: .sha512
        default: nil
        }
    }

    /// The credentials of the configured users (``DevClusterConfiguration/users``) when a SCRAM mechanism is
    /// enabled: both mechanisms, 4096 iterations, as if created with `kafka-configs --add-config
    /// 'SCRAM-SHA-256=[password=…],SCRAM-SHA-512=[password=…]'`.
    static func initialCredentials(_ configuration: DevClusterConfiguration) -> [String: [Int8: SCRAMStoredCredential]]
    {
        guard configuration.saslMechanisms.contains(where: { $0.hasPrefix("SCRAM-") }) else { return [:] }
        var credentials: [String: [Int8: SCRAMStoredCredential]] = [:]
        for (user, password) in configuration.users {
            for hash in [SCRAMHash.sha256, .sha512] {
                credentials[user, default: [:]][mechanism(hash)] = try? SCRAMStoredCredential(
                    hash: hash, password: password)
            }
        }
        return credentials
    }
}

/// DescribeUserScramCredentials (v0): null or empty `users` lists every user with a credential (sorted by name);
/// a named user without one is RESOURCE_NOT_FOUND, a name given twice DUPLICATE_RESOURCE, as in Kafka.
enum DescribeUserScramCredentialsHandler: DevAPIHandler {
    typealias Result = DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult

    static func handle(
        _ request: DescribeUserScramCredentialsRequest, in state: inout ClusterState, context: RequestContext
    ) -> DevReply<DescribeUserScramCredentialsResponse> {
        func described(_ user: String) -> Result {
            guard let credentials = state.scramCredentials[user], !credentials.isEmpty else {
                return Result(
                    user: user, errorCode: KafkaErrorCode.resourceNotFound.rawValue,
                    errorMessage: "Attempt to describe a user credential that does not exist: \(user)")
            }
            return Result(
                user: user, errorCode: 0, errorMessage: nil,
                credentialInfos: credentials.keys.sorted().compactMap { mechanism in
                    credentials[mechanism].map {
                        .init(mechanism: mechanism, iterations: Int32(clamping: $0.iterations))
                    }
                })
        }
        var response = DescribeUserScramCredentialsResponse(errorCode: 0, errorMessage: nil)
        let names = request.users?.map(\.name) ?? []
        if names.isEmpty {
            response.results = state.scramCredentials.keys.sorted().filter {
                !(state.scramCredentials[$0]?.isEmpty ?? true)
            }
            .map(described)
            return .respond(response)
        }
        let repeated = ClusterState.duplicates(names)
        var seen = Set<String>()
        for name in names where seen.insert(name).inserted {
            if repeated.contains(name) {
                response.results.append(
                    Result(
                        user: name, errorCode: KafkaErrorCode.duplicateResource.rawValue,
                        errorMessage: "Cannot describe SCRAM credentials for the same user twice in a single request: "
                            + name))
            } else {
                response.results.append(described(name))
            }
        }
        return .respond(response)
    }

    static func errorResponse(
        to request: DescribeUserScramCredentialsRequest, error: KafkaErrorCode, context: RequestContext
    ) -> DescribeUserScramCredentialsResponse {
        DescribeUserScramCredentialsResponse(errorCode: error.rawValue, errorMessage: error.message)
    }
}

/// AlterUserScramCredentials (v0): deletions and upsertions, checked per user as Kafka does and applied for a user
/// only when all of that user's changes are valid. An empty user name or iterations outside 4096–16384 are
/// UNACCEPTABLE_CREDENTIAL, an unknown mechanism UNSUPPORTED_SASL_MECHANISM, two changes of one user and mechanism
/// DUPLICATE_RESOURCE, deleting a credential the user does not have RESOURCE_NOT_FOUND.
enum AlterUserScramCredentialsHandler: DevAPIHandler {
    typealias Result = AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult

    private struct Change {
        var user: String
        var mechanism: Int8
        /// nil: a deletion.
        var upsertion: AlterUserScramCredentialsRequest.ScramCredentialUpsertion?
    }

    static func handle(
        _ request: AlterUserScramCredentialsRequest, in state: inout ClusterState, context: RequestContext
    ) -> DevReply<AlterUserScramCredentialsResponse> {
        let changes =
            request.deletions.map { Change(user: $0.name, mechanism: $0.mechanism, upsertion: nil) }
            + request.upsertions.map { Change(user: $0.name, mechanism: $0.mechanism, upsertion: $0) }
        var users: [String] = []
        for change in changes where !users.contains(change.user) { users.append(change.user) }
        var response = AlterUserScramCredentialsResponse()
        for user in users {
            let mine = changes.filter { $0.user == user }
            var error: (KafkaErrorCode, String)?
            let repeated = ClusterState.duplicates(mine.map { String($0.mechanism) })
            if user.isEmpty {
                error = (.unacceptableCredential, "Username must not be empty")
            } else if !repeated.isEmpty {
                error = (.duplicateResource, "A user credential cannot be altered twice in the same request")
            }
            var credentials = state.scramCredentials[user] ?? [:]
            for change in mine where error == nil {
                guard let hash = DevScram.hash(change.mechanism) else {
                    error = (.unsupportedSaslMechanism, "Unknown SCRAM mechanism")
                    break
                }
                guard let upsertion = change.upsertion else {
                    if credentials.removeValue(forKey: change.mechanism) == nil {
                        error = (.resourceNotFound, "Attempt to delete a user credential that does not exist")
                    }
                    continue
                }
                if upsertion.iterations < DevScram.minimumIterations {
                    error = (.unacceptableCredential, "Too few iterations")
                } else if upsertion.iterations > DevScram.maximumIterations {
                    error = (.unacceptableCredential, "Too many iterations")
                } else if upsertion.salt.readableBytes == 0 || upsertion.saltedPassword.readableBytes == 0 {
                    error = (.unacceptableCredential, "The salt and the salted password must not be empty")
                } else {
                    credentials[change.mechanism] = SCRAMStoredCredential(
                        hash: hash, saltedPassword: Array(buffer: upsertion.saltedPassword),
                        salt: Array(buffer: upsertion.salt), iterations: Int(upsertion.iterations))
                }
            }
            if let error {
                response.results.append(Result(user: user, errorCode: error.0.rawValue, errorMessage: error.1))
            } else {
                state.scramCredentials[user] = credentials.isEmpty ? nil : credentials
                response.results.append(Result(user: user, errorCode: 0, errorMessage: nil))
            }
        }
        return .respond(response)
    }

    static func errorResponse(
        to request: AlterUserScramCredentialsRequest, error: KafkaErrorCode, context: RequestContext
    ) -> AlterUserScramCredentialsResponse {
        var users: [String] = []
        for name in request.deletions.map(\.name) + request.upsertions.map(\.name) where !users.contains(name) {
            users.append(name)
        }
        return AlterUserScramCredentialsResponse(
            results: users.map { Result(user: $0, errorCode: error.rawValue, errorMessage: error.message) })
    }
}
