package import ArgumentParser

/// The options of `kafka-consumer-groups` (Kafka's `ConsumerGroupCommandOptions`): one action, its options, and the
/// validation of their combinations and values, as usage errors.
package struct ConsumerGroupsOptions: ParsableArguments {
    package init() {}

    // MARK: Actions

    @Flag(name: .customLong("list"), help: "List all consumer groups.")
    package var list = false

    @Flag(
        name: .customLong("describe"),
        help:
            "Describe consumer group and list offset lag (number of messages not yet processed) related to given group."
    )
    package var describe = false

    @Flag(
        name: .customLong("delete"),
        help:
            "Pass in groups to delete topic partition offsets and ownership information over the entire consumer group."
    )
    package var delete = false

    @Flag(
        name: .customLong("reset-offsets"),
        help: ArgumentHelp(
            "Reset offsets of consumer group (instances must be inactive).",
            discussion:
                "--dry-run (the default) plans which offsets to reset, --execute updates them, --export prints the "
                + "plan as CSV. One reset specification: --to-datetime, --by-duration, --to-earliest, --to-latest, "
                + "--shift-by, --from-file, --to-current, --to-offset. Scope: --all-topics or --topic "
                + "(not needed with --from-file)."))
    package var resetOffsets = false

    @Flag(
        name: .customLong("delete-offsets"),
        help: "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.")
    package var deleteOffsets = false

    // MARK: Scope

    @Option(
        name: .customLong("group"),
        help: ArgumentHelp("The consumer group we wish to act on (repeatable).", valueName: "consumer group"))
    package var groups: [String] = []

    @Flag(name: .customLong("all-groups"), help: "Apply to all consumer groups.")
    package var allGroups = false

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "The topic whose offsets should be deleted or reset (repeatable); for --reset-offsets and "
                + "--delete-offsets partitions can be given as topic:0,1,2.",
            valueName: "topic"))
    package var topics: [String] = []

    @Flag(
        name: .customLong("all-topics"), help: "Consider all topics assigned to a group in the reset-offsets process.")
    package var allTopics = false

    // MARK: Describe and list options

    @Flag(name: .customLong("members"), help: "Describe members of the group (with --describe).")
    package var members = false

    @Flag(name: .customLong("offsets"), help: "Describe the group's partitions with their offset lag (the default).")
    package var offsets = false

    @Flag(name: .customLong("verbose"), help: "Provide additional information when describing the group.")
    package var verbose = false

    @Option(
        name: .customLong("state"), defaultAsFlag: "", parsing: .next,
        help: ArgumentHelp(
            "With --describe, the state of the group; with --list, the state of every group, optionally only the "
                + "groups in the given comma-separated states (e.g. stable,empty).",
            valueName: "states"))
    package var state: String?

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp("The timeout of the admin requests in milliseconds.", valueName: "timeout (ms)"))
    package var timeoutMs: Int?

    // MARK: Reset options

    @Flag(name: .customLong("dry-run"), help: "Only show results without executing changes (the default).")
    package var dryRun = false

    @Flag(name: .customLong("execute"), help: "Execute the reset.")
    package var execute = false

    @Flag(name: .customLong("export"), help: "Print the reset plan as CSV (topic,partition,offset).")
    package var export = false

    @Option(
        name: .customLong("to-offset"), help: ArgumentHelp("Reset offsets to a specific offset.", valueName: "offset"))
    package var toOffset: Int64?

    @Option(
        name: .customLong("from-file"),
        help: ArgumentHelp("Reset offsets to values defined in CSV file.", valueName: "path to CSV file"))
    package var fromFile: String?

    @Option(
        name: .customLong("to-datetime"),
        help: ArgumentHelp(
            "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss' (UTC, or with Z or +hh:mm).",
            valueName: "datetime"))
    package var toDatetime: String?

    @Option(
        name: .customLong("by-duration"),
        help: ArgumentHelp(
            "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'", valueName: "duration"))
    package var byDuration: String?

    @Flag(name: .customLong("to-earliest"), help: "Reset offsets to earliest offset.")
    package var toEarliest = false

    @Flag(name: .customLong("to-latest"), help: "Reset offsets to latest offset.")
    package var toLatest = false

    @Flag(name: .customLong("to-current"), help: "Reset offsets to current offset.")
    package var toCurrent = false

    @Option(
        name: .customLong("shift-by"), parsing: .unconditional,
        help: ArgumentHelp(
            "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.",
            valueName: "number-of-offsets"))
    package var shiftBy: Int64?

    // MARK: Beyond Kafka

    @Option(
        name: .customLong("output"),
        help: ArgumentHelp("Output format of --list and --describe: text (default) or json.", valueName: "format"))
    package var output: OutputFormat = .text

    @Option(
        name: .customLong("watch"),
        help: ArgumentHelp(
            "With --describe: redraw the lag table every SECONDS seconds, with the total lag, until interrupted.",
            valueName: "seconds"))
    package var watch: Double?

    package enum OutputFormat: String, ExpressibleByArgument, Sendable {
        case text, json
    }

    // MARK: Validation

    /// The reset specifications given, by option name.
    package var resetScenarios: [String] {
        var given: [String] = []
        if toOffset != nil { given.append("--to-offset") }
        if shiftBy != nil { given.append("--shift-by") }
        if toDatetime != nil { given.append("--to-datetime") }
        if byDuration != nil { given.append("--by-duration") }
        if toEarliest { given.append("--to-earliest") }
        if toLatest { given.append("--to-latest") }
        if toCurrent { given.append("--to-current") }
        if fromFile != nil { given.append("--from-file") }
        return given
    }

    package func validate() throws {
        let actions = [list, describe, delete, resetOffsets, deleteOffsets].filter { $0 }.count
        guard actions == 1 else {
            throw ValidationError(
                "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets"
            )
        }
        let groupScope = !groups.isEmpty || allGroups
        if !groups.isEmpty && allGroups {
            throw ValidationError("Options --group and --all-groups are mutually exclusive")
        }
        if (members || offsets || verbose) && !describe {
            throw ValidationError("Options --members, --offsets and --verbose can only be used with --describe")
        }
        if state != nil && !describe && !list {
            throw ValidationError("Option --state can only be used with --describe or --list")
        }
        if output == .json && !(list || describe) {
            throw ValidationError("Option --output json can only be used with --list or --describe")
        }
        if watch != nil && !describe {
            throw ValidationError("Option --watch can only be used with --describe")
        }
        let resetOnly =
            dryRun || execute || export || !resetScenarios.isEmpty || allTopics
        if resetOnly && !resetOffsets {
            throw ValidationError(
                "Options --dry-run, --execute, --export, --all-topics and the reset specifications can only be used "
                    + "with --reset-offsets")
        }
        if !topics.isEmpty && !(resetOffsets || deleteOffsets || delete) {
            throw ValidationError("Option --topic can only be used with --reset-offsets or --delete-offsets")
        }
        if list && groupScope {
            throw ValidationError("Option --list does not take --group or --all-groups")
        }
        if list, let state, !state.isEmpty { _ = try GroupStates.parse(state) }
        if describe {
            if !groupScope {
                throw ValidationError("Option --describe takes one of these options: --all-groups, --group")
            }
            if [members, offsets, state != nil].filter({ $0 }).count > 1 {
                throw ValidationError(
                    "Option --describe takes at most one of these options: --members, --offsets, --state")
            }
            if let state, !state.isEmpty {
                throw ValidationError("Option --describe does not take a value for --state")
            }
            if let watch {
                guard watch > 0, watch.isFinite else {
                    throw ValidationError("--watch expects a positive number of seconds")
                }
                if members || state != nil || output == .json {
                    throw ValidationError(
                        "Option --watch only follows the offsets view (not --members, --state or --output json)")
                }
            }
        }
        if delete {
            if !groupScope {
                throw ValidationError("Option --delete takes one of these options: --all-groups, --group")
            }
            if !topics.isEmpty {
                throw ValidationError(
                    "The consumer does not support topic-specific offset deletion from a consumer group.")
            }
        }
        if deleteOffsets {
            if groups.count != 1 || topics.isEmpty || allGroups {
                throw ValidationError("Option --delete-offsets takes the following options: --group (one), --topic")
            }
        }
        if resetOffsets {
            if dryRun && execute {
                throw ValidationError("Option --reset-offsets only accepts one of --execute and --dry-run")
            }
            if !groupScope {
                throw ValidationError("Option --reset-offsets takes one of these options: --all-groups, --group")
            }
            let scenarios = resetScenarios
            if scenarios.count != 1 {
                throw ValidationError(
                    "Option --reset-offsets takes exactly one of these options: --to-datetime, --by-duration, "
                        + "--to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset"
                        + (scenarios.isEmpty ? "" : " (given: \(scenarios.joined(separator: ", ")))"))
            }
            if allTopics && !topics.isEmpty {
                throw ValidationError("Option --reset-offsets takes only one of these options: --all-topics, --topic")
            }
            if fromFile == nil && !allTopics && topics.isEmpty {
                throw ValidationError("One of the reset scopes should be defined: --all-topics, --topic.")
            }
            if let toDatetime { _ = try ResetTime.parseDateTime(toDatetime) }
            if let byDuration { _ = try ResetTime.parseDuration(byDuration) }
            for topic in topics { _ = try TopicScope.parse(topic) }
        }
        if deleteOffsets {
            for topic in topics { _ = try TopicScope.parse(topic) }
        }
        if let timeoutMs, timeoutMs <= 0 {
            throw ValidationError("--timeout expects a positive number of milliseconds")
        }
    }
}
