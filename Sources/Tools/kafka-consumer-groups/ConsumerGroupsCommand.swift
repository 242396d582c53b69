import ArgumentParser
import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork

/// Kafka's `kafka-consumer-groups`: lists, describes and deletes consumer groups, resets and deletes their committed
/// offsets, with the flags and output of `kafka-consumer-groups.sh`; in addition `--output json` (for `--list` and
/// `--describe`) and `--watch SECONDS` (to follow the lag of `--describe`).
@main
struct ConsumerGroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-consumer-groups",
        abstract:
            "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, "
            + "or reset consumer group offsets.",
        discussion: """
            Exactly one action: --list, --describe, --delete, --reset-offsets or --delete-offsets.
            Exit status: 0 on success, 1 when an operation fails, 2 for usage errors.

            Shell completion: kafka-consumer-groups --generate-completion-script bash (or zsh, fish) prints a completion \
            script for this tool; see docs/tools.md.
            """,
        version: KafkaClientConfiguration.packageVersion)

    static func main() async { await KafkaTool.main(Self.self) }

    @OptionGroup var connection: ConnectionOptions

    @OptionGroup var options: ConsumerGroupsOptions

    func run() async throws {
        var extra: [String: String] = [:]
        if let timeoutMs = options.timeoutMs { extra["request.timeout.ms"] = String(timeoutMs) }
        let properties = try connection.clientProperties(extra: extra)
        let admin = try KafkaAdminClient(properties: properties)
        let succeeded: Bool
        do {
            succeeded = try await GroupsTool(admin: admin, options: options).run()
        } catch let error as AdminError {
            await admin.close()
            throw error.toolError
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        if !succeeded { throw ExitCode(1) }
    }
}
