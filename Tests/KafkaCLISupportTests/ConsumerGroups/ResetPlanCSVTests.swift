import KafkaCLISupport
import KafkaNetwork
import Testing

@Suite struct ResetPlanCSVTests {
    static func key(_ topic: String, _ partition: Int32) -> TopicPartitionKey {
        TopicPartitionKey(topic: topic, partition: partition)
    }

    @Test("--export prints topic,partition,offset for one group, sorted by partition")
    func exportOneGroup() {
        let plan: [String: [TopicPartitionKey: Int64]] = [
            "g": [Self.key("orders", 1): 7, Self.key("orders", 0): 5, Self.key("a", 2): 0]
        ]
        #expect(ResetPlanCSV.render(plan, withGroup: false) == "a,2,0\norders,0,5\norders,1,7\n")
    }

    @Test("--export prints group,topic,partition,offset for several groups, quoting fields with , or \"")
    func exportGroups() {
        let plan: [String: [TopicPartitionKey: Int64]] = [
            "b": [Self.key("t", 0): 1], "a,x": [Self.key("say \"hi\"", 3): 9],
        ]
        #expect(ResetPlanCSV.render(plan, withGroup: true) == "\"a,x\",\"say \"\"hi\"\"\",3,9\nb,t,0,1\n")
    }

    @Test("--from-file reads what --export wrote")
    func roundTrip() throws {
        let plan: [String: [TopicPartitionKey: Int64]] = [
            "g1": [Self.key("orders", 0): 5, Self.key("a,b", 1): 2], "g2": [Self.key("x\"y", 0): 0],
        ]
        #expect(try ResetPlanCSV.parse(ResetPlanCSV.render(plan, withGroup: true), singleGroup: nil) == plan)
        let single: [String: [TopicPartitionKey: Int64]] = ["g": [Self.key("orders", 0): 5, Self.key("orders", 1): -1]]
        #expect(try ResetPlanCSV.parse(ResetPlanCSV.render(single, withGroup: false), singleGroup: "g") == single)
    }

    @Test("blank lines, spaces around fields and CRLF line ends are accepted")
    func lenient() throws {
        let text = " orders , 0 , 5 \r\n\n\"orders\",1,6\r\n"
        #expect(
            try ResetPlanCSV.parse(text, singleGroup: "g") == [
                "g": [Self.key("orders", 0): 5, Self.key("orders", 1): 6]
            ])
    }

    @Test(
        "malformed lines give one line naming the line",
        arguments: [
            (
                "orders,0,5\norders,1", "g",
                "line 2 of the reset plan is not topic,partition,offset or group,topic,partition,offset: 'orders,1'"
            ),
            (
                "a,b,c,d,e", "g",
                "line 1 of the reset plan is not topic,partition,offset or group,topic,partition,offset: 'a,b,c,d,e'"
            ),
            ("orders,x,5", "g", "line 1 of the reset plan has a bad partition or offset: 'orders,x,5'"),
            ("orders,-1,5", "g", "line 1 of the reset plan has a bad partition or offset: 'orders,-1,5'"),
            ("orders,0,five", "g", "line 1 of the reset plan has a bad partition or offset: 'orders,0,five'"),
            (",0,5", "g", "line 1 of the reset plan has a bad partition or offset: ',0,5'"),
            (
                "orders,0,5", nil,
                "line 1 of the reset plan has no group: with several groups each line must be group,topic,partition,offset"
            ),
        ] as [(String, String?, String)])
    func malformed(text: String, group: String?, message: String) {
        #expect(throws: ToolError(message)) { try ResetPlanCSV.parse(text, singleGroup: group) }
    }
}
