import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import Testing

/// `kafka-acls`'s options (Kafka's checks and messages), the ACLs they stand for, and Kafka's output formats.
@Suite struct AclsToolLogicTests {
    static func options(_ arguments: [String]) throws -> AclsOptions { try AclsOptions.parse(arguments) }

    static func message(_ arguments: [String]) -> String? {
        do {
            _ = try AclsOptions.parse(arguments)
            return nil
        } catch {
            return AclsOptions.message(for: error)
        }
    }

    @Test(
        "Kafka's usage messages",
        arguments: [
            (["--topic", "t"], "Command must include exactly one action: --list, --add, --remove. "),
            (["--add", "--list"], "Command must include exactly one action: --list, --add, --remove. "),
            (
                ["--list", "--allow-principal", "User:a"],
                #"Option "[list]" can't be used with option "[allow-principal]""#
            ),
            (["--list", "--producer", "--topic", "t"], #"Option "[list]" can't be used with option "[producer]""#),
            (
                ["--add", "--producer", "--topic", "t", "--operation", "Read"],
                #"Option "[producer]" can't be used with option "[operation]""#
            ),
            (
                ["--add", "--consumer", "--topic", "t", "--group", "g", "--deny-principal", "User:a"],
                #"Option "[consumer]" can't be used with option "[deny-principal]""#
            ),
            (["--add", "--principal", "User:a"], "The --principal option is only available if --list is set"),
            (["--add", "--producer"], "With --producer you must specify a --topic"),
            (
                ["--add", "--idempotent", "--topic", "t"],
                "The --idempotent option is only available if --producer is set"
            ),
            (
                ["--add", "--consumer", "--topic", "t"],
                "With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option "
                    + "should be specified."
            ),
            (
                ["--add", "--consumer", "--topic", "t", "--group", "g", "--cluster"],
                "With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option "
                    + "should be specified."
            ),
            (["--list", "--resource-pattern-type", "sideways"], "Unknown resource-pattern-type: sideways"),
            (["--list", "--resource-pattern-type", "unknown"], "Unknown resource-pattern-type: unknown"),
        ])
    func usageMessages(arguments: [String], expected: String) {
        #expect(Self.message(arguments) == expected)
    }

    @Test func operationsAndPatternTypesAsKafkaNamesThem() throws {
        #expect(AclOperation(name: "Read") == .read)
        #expect(AclOperation(name: "READ") == .read)
        #expect(AclOperation(name: "IdempotentWrite") == .idempotentWrite)
        #expect(AclOperation(name: "IDEMPOTENTWRITE") == .idempotentWrite)
        #expect(AclOperation(name: "read") == nil)
        #expect(AclOperation.describeConfigs.name == "DescribeConfigs")
        #expect(try Self.options(["--list", "--resource-pattern-type", "prefixed"]).patternType() == .prefixed)
        #expect(try Self.options(["--list", "--resource-pattern-type", "Match"]).patternType() == .match)
    }

    @Test("the ACLs of --add: principals × operations × hosts per resource, in Kafka's resource order")
    func plainPlan() throws {
        let options = try Self.options([
            "--add", "--group", "g", "--topic", "t", "--allow-principal", "User:alice", "--allow-principal", "User:bob",
            "--operation", "Read", "--operation", "Describe", "--deny-principal", "User:eve", "--deny-host", "10.0.0.1",
            "--resource-pattern-type", "PREFIXED",
        ])
        let plan = try AclsPlan(options)
        #expect(
            plan.resources.map(\.filter) == [
                ResourcePatternFilter(resourceType: .topic, name: "t", patternType: .prefixed),
                ResourcePatternFilter(resourceType: .group, name: "g", patternType: .prefixed),
            ])
        let entries = try #require(plan.resources.first?.entries)
        #expect(entries.count == 6)
        #expect(
            entries.first
                == AccessControlEntry(principal: "User:alice", host: "*", operation: .read, permissionType: .allow))
        #expect(
            entries.last
                == AccessControlEntry(
                    principal: "User:eve", host: "10.0.0.1", operation: .describe, permissionType: .deny))
        // Without --operation: All.
        let all = try AclsPlan(Self.options(["--add", "--cluster", "--allow-principal", "User:a"]))
        #expect(all.resources.first?.filter == ResourcePattern.cluster.filter)
        #expect(all.resources.first?.entries.map(\.operation) == [.all])
    }

    @Test("--producer and --consumer stand for Kafka's role operations")
    func conveniences() throws {
        let producer = try AclsPlan(
            Self.options([
                "--add", "--producer", "--idempotent", "--topic", "t", "--transactional-id", "tx", "--allow-principal",
                "User:p",
            ]))
        let byType = Dictionary(
            uniqueKeysWithValues: producer.resources.map { ($0.filter.resourceType, Set($0.entries.map(\.operation))) })
        #expect(byType[.topic] == [.write, .describe, .create])
        #expect(byType[.transactionalID] == [.write, .describe])
        #expect(byType[.cluster] == [.idempotentWrite])
        let both = try AclsPlan(
            Self.options([
                "--add", "--producer", "--consumer", "--topic", "t", "--group", "g", "--allow-principal", "User:c",
            ]))
        let merged = Dictionary(
            uniqueKeysWithValues: both.resources.map { ($0.filter.resourceType, Set($0.entries.map(\.operation))) })
        #expect(merged[.topic] == [.write, .describe, .create, .read])
        #expect(merged[.group] == [.read])
    }

    @Test func invalidPlans() throws {
        #expect(throws: ValidationError.self) { try AclsPlan(Self.options(["--add", "--allow-principal", "User:a"])) }
        do {
            _ = try AclsPlan(
                Self.options(["--add", "--group", "g", "--allow-principal", "User:a", "--operation", "Write"]))
            Issue.record("WRITE on a group was accepted")
        } catch let error as ValidationError {
            #expect(
                error.message
                    == "ResourceType GROUP only supports operations All, Read, Delete, Describe, DescribeConfigs, "
                    + "AlterConfigs")
        }
        #expect(throws: ToolError.self) {
            try AclsPlan(Self.options(["--add", "--topic", "t", "--allow-principal", "alice"]))
        }
    }

    @Test("Kafka's text: the resource pattern, then one tab-indented entry per line")
    func textBlocks() {
        let pattern = ResourcePattern(resourceType: .topic, name: "t", patternType: .literal)
        #expect(pattern.description == "ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)")
        let entries = [
            AccessControlEntry(principal: "User:alice", host: "*", operation: .read, permissionType: .allow),
            AccessControlEntry(principal: "User:bob", host: "h", operation: .idempotentWrite, permissionType: .deny),
        ]
        #expect(
            AclsTool.block("Current ACLs for resource `\(pattern)`", entries)
                == "Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)`: \n"
                + " \t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)\n"
                + "\t(principal=User:bob, host=h, operation=IDEMPOTENT_WRITE, permissionType=DENY) \n")
        #expect(
            ResourcePatternFilter(resourceType: .group, name: nil, patternType: .any).description
                == "ResourcePattern(resourceType=GROUP, name=<any>, patternType=ANY)")
        let json = AclsTool.json([(pattern, [entries[0]])])
        #expect(json.contains(#""operation" : "READ""#))
        #expect(json.contains(#""patternType" : "LITERAL""#))
        #expect(json.hasPrefix("["))
    }

    @Test func filtersMatchAsJavasAclBindingFilter() {
        let literal = ResourcePattern(resourceType: .topic, name: "orders")
        let wildcard = ResourcePattern(resourceType: .topic, name: "*")
        let prefixed = ResourcePattern(resourceType: .topic, name: "ord", patternType: .prefixed)
        let match = ResourcePatternFilter(resourceType: .topic, name: "orders", patternType: .match)
        #expect([literal, wildcard, prefixed].allSatisfy(match.matches))
        let any = ResourcePatternFilter(resourceType: .any, name: "ord", patternType: .any)
        #expect(!any.matches(literal) && any.matches(prefixed))
        let entry = AccessControlEntry(principal: "User:a", operation: .read, permissionType: .allow)
        #expect(AccessControlEntryFilter(principal: "User:a").matches(entry))
        #expect(!AccessControlEntryFilter(permissionType: .deny).matches(entry))
    }
}
