import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// `kafka-acls`: this project's version of Apache Kafka's `bin/kafka-acls.sh` (`AclCommand`), with the same flags
/// and output.
///
/// ```
/// kafka-acls --bootstrap-server localhost:9092 --add --allow-principal User:alice --operation Read --topic orders
/// kafka-acls --bootstrap-server localhost:9092 --list --topic orders
/// ```
@main
struct KafkaAcls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-acls",
        abstract: "Add, remove and list ACLs (as Apache Kafka's kafka-acls.sh).",
        discussion: """
            --add binds, on every resource given (--topic, --group, --cluster, --transactional-id, \
            --delegation-token, with --resource-pattern-type LITERAL or PREFIXED), an ACL per allowed or \
            denied principal, operation and host, and prints Kafka's "Adding ACLs for resource \
            `ResourcePattern(...)`:" block. --producer and --consumer stand for the operations of those roles. \
            --remove deletes the ACLs that match (every ACL of the resource without principals), after a \
            question answered y on standard input unless --force. --list prints Kafka's "Current ACLs for \
            resource ..." blocks (--json: an array of ACLs); --resource-pattern-type ANY or MATCH widen the \
            filter. The broker must run an authorizer.

            Exit status: 0 on success, 1 when the broker refuses (no authorizer, not authorized, a broker too \
            old for prefixed patterns) or cannot be reached (the reason on standard error), 2 for a usage error.

            Shell completion: kafka-acls --generate-completion-script bash (or zsh, fish) prints a \
            completion script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion
    )

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: AclsOptions

    func run() async throws {
        try await connection.withAdmin(label: "kafka-acls") { admin in
            try await AclsTool(admin: admin, options: options).run()
        }
    }
}
