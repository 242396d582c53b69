package import ArgumentParser
package import KafkaAdmin

/// The options of `kafka-acls` beside the connection: Apache Kafka's `AclCommand` flags, checked with its rules
/// and messages.
package struct AclsOptions: ParsableArguments {
    @Flag(name: .customLong("add"), help: "Add ACLs.")
    package var add = false

    @Flag(name: .customLong("remove"), help: "Remove ACLs (asks for confirmation on standard input unless --force).")
    package var remove = false

    @Flag(
        name: .customLong("list"),
        help: "List ACLs for the given resources (--topic, --group, --cluster, ...; all ACLs without one).")
    package var list = false

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp("A topic the ACLs apply to ('*': every topic); repeatable.", valueName: "topic"))
    package var topics: [String] = []

    @Flag(name: .customLong("cluster"), help: "The cluster resource.")
    package var cluster = false

    @Option(
        name: .customLong("group"),
        help: ArgumentHelp("A consumer group the ACLs apply to ('*': every group); repeatable.", valueName: "group"))
    package var groups: [String] = []

    @Option(
        name: .customLong("transactional-id"),
        help: ArgumentHelp(
            "A transactional id the ACLs apply to ('*': every transactional id); repeatable.",
            valueName: "transactional-id"))
    package var transactionalIDs: [String] = []

    @Option(
        name: .customLong("delegation-token"),
        help: ArgumentHelp(
            "A delegation token the ACLs apply to ('*': every token); repeatable.", valueName: "delegation-token"))
    package var delegationTokens: [String] = []

    @Option(
        name: .customLong("resource-pattern-type"),
        help: ArgumentHelp(
            "LITERAL or PREFIXED when adding; also ANY (any pattern with exactly the name) or MATCH (every pattern "
                + "that applies to the name) when listing or removing.", valueName: "ANY|MATCH|LITERAL|PREFIXED"))
    package var resourcePatternType = "LITERAL"

    @Option(
        name: .customLong("operation"),
        help: ArgumentHelp(
            "An operation to allow or deny: Read, Write, Create, Delete, Alter, Describe, ClusterAction, "
                + "DescribeConfigs, AlterConfigs, IdempotentWrite, CreateTokens, DescribeTokens, All (the default); "
                + "repeatable.", valueName: "operation"))
    package var operations: [String] = []

    @Option(
        name: .customLong("allow-principal"),
        help: ArgumentHelp(
            "A principal to allow, as principalType:name (User:'*' is every user); repeatable.",
            valueName: "allow-principal"))
    package var allowPrincipals: [String] = []

    @Option(
        name: .customLong("deny-principal"),
        help: ArgumentHelp(
            "A principal to deny, as principalType:name; DENY wins over ALLOW; repeatable.",
            valueName: "deny-principal"))
    package var denyPrincipals: [String] = []

    @Option(
        name: .customLong("principal"),
        help: ArgumentHelp("With --list: only the ACLs of this principal; repeatable.", valueName: "principal"))
    package var listPrincipals: [String] = []

    @Option(
        name: .customLong("allow-host"),
        help: ArgumentHelp(
            "A host the --allow-principal principals may connect from (default '*': every host); repeatable.",
            valueName: "allow-host"))
    package var allowHosts: [String] = []

    @Option(
        name: .customLong("deny-host"),
        help: ArgumentHelp(
            "A host the --deny-principal principals are denied from (default '*'); repeatable.",
            valueName: "deny-host"))
    package var denyHosts: [String] = []

    @Flag(
        name: .customLong("producer"),
        help: "The producer role: WRITE, DESCRIBE and CREATE on the topics (WRITE, DESCRIBE on --transactional-id).")
    package var producer = false

    @Flag(
        name: .customLong("idempotent"),
        help: "With --producer: also IDEMPOTENT_WRITE on the cluster.")
    package var idempotent = false

    @Flag(
        name: .customLong("consumer"),
        help: "The consumer role: READ and DESCRIBE on the topics, READ on the groups.")
    package var consumer = false

    @Flag(name: .customLong("force"), help: "Assume yes to every question (no prompt).")
    package var force = false

    @Flag(name: .customLong("json"), help: "With --list: print the ACLs as a JSON array.")
    package var json = false

    package init() {}

    /// Kafka's checks of the arguments, with its messages.
    package func validate() throws {
        let actions = [add, remove, list].filter { $0 }.count
        if actions != 1 { throw ValidationError("Command must include exactly one action: --list, --add, --remove. ") }
        if list {
            for (given, name) in [
                (producer, "producer"), (consumer, "consumer"), (!allowHosts.isEmpty, "allow-host"),
                (!allowPrincipals.isEmpty, "allow-principal"), (!denyHosts.isEmpty, "deny-host"),
                (!denyPrincipals.isEmpty, "deny-principal"),
            ] where given {
                throw ValidationError("Option \"[list]\" can't be used with option \"[\(name)]\"")
            }
        }
        for (role, roleName) in [(producer, "producer"), (consumer, "consumer")] where role {
            for (given, name) in [
                (!operations.isEmpty, "operation"), (!denyPrincipals.isEmpty, "deny-principal"),
                (!denyHosts.isEmpty, "deny-host"),
            ] where given {
                throw ValidationError("Option \"[\(roleName)]\" can't be used with option \"[\(name)]\"")
            }
        }
        if !listPrincipals.isEmpty && !list {
            throw ValidationError("The --principal option is only available if --list is set")
        }
        if producer && topics.isEmpty { throw ValidationError("With --producer you must specify a --topic") }
        if idempotent && !producer {
            throw ValidationError("The --idempotent option is only available if --producer is set")
        }
        if consumer && (topics.isEmpty || groups.isEmpty || (!producer && (cluster || !transactionalIDs.isEmpty))) {
            throw ValidationError(
                "With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id "
                    + "option should be specified.")
        }
        _ = try patternType()
        if json && !list { throw ValidationError("--json is only available with --list") }
    }

    /// The `--resource-pattern-type` (any case, as Kafka).
    package func patternType() throws -> AclPatternType {
        guard let type = AclPatternType.allCases.first(where: { "\($0)" == resourcePatternType.uppercased() }),
            type != .unknown
        else { throw ValidationError("Unknown resource-pattern-type: \(resourcePatternType)") }
        return type
    }
}
