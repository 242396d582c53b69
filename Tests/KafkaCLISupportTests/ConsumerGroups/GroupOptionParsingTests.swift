import ArgumentParser
import KafkaCLISupport
import Testing

@Suite struct GroupOptionParsingTests {
    @Test("--topic takes a topic or topic:partitions")
    func topicScope() throws {
        #expect(try TopicScope.parse("orders") == TopicScope(topic: "orders", partitions: nil))
        #expect(try TopicScope.parse("orders:0, 2,1") == TopicScope(topic: "orders", partitions: [0, 2, 1]))
    }

    @Test(
        "a malformed --topic names the argument",
        arguments: [
            ("", "--topic expects a topic name"),
            (":1", "Invalid topic arg ':1', expected topic name and partitions"),
            ("t:", "Invalid topic arg 't:', expected topic name and partitions"),
            ("t:1:2", "Invalid topic arg 't:1:2', expected topic name and partitions"),
            ("t:1,x", "Invalid partition 'x' specified in topic arg 't:1,x'"),
            ("t:-1", "Invalid partition '-1' specified in topic arg 't:-1'"),
        ])
    func badTopicScope(argument: String, message: String) {
        #expect {
            try TopicScope.parse(argument)
        } throws: { error in
            (error as? ValidationError)?.message == message
        }
    }

    @Test("--state takes Kafka's state names in any case")
    func states() throws {
        #expect(try GroupStates.parse("stable, EMPTY") == ["Stable", "Empty"])
        let message =
            "Invalid state list 'Stable,Busy'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, "
            + "Dead, Empty, Assigning, Reconciling, Unknown"
        #expect {
            try GroupStates.parse("Stable,Busy")
        } throws: { error in
            (error as? ValidationError)?.message == message
        }
    }

    @Test("option combinations are checked as Kafka checks them")
    func validation() throws {
        func message(_ arguments: [String]) -> String? {
            do {
                _ = try ConsumerGroupsOptions.parse(arguments)
                return nil
            } catch {
                return ConsumerGroupsOptions.message(for: error)
            }
        }
        #expect(message(["--describe", "--group", "g"]) == nil)
        #expect(message(["--reset-offsets", "--group", "g", "--from-file", "plan.csv"]) == nil)
        #expect(
            message(["--list", "--describe"])
                == "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets"
        )
        #expect(
            message(["--reset-offsets", "--group", "g", "--all-topics", "--to-earliest", "--to-latest"])
                == "Option --reset-offsets takes exactly one of these options: --to-datetime, --by-duration, "
                + "--to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset "
                + "(given: --to-earliest, --to-latest)")
        #expect(
            message(["--reset-offsets", "--group", "g", "--all-topics", "--by-duration", "PT"])
                == "Text cannot be parsed to a Duration: 'PT' (expected the format PnDTnHnMnS)")
        #expect(
            message(["--describe", "--group", "g", "--watch", "0"]) == "--watch expects a positive number of seconds")
    }
}
