import KafkaAdmin
import KafkaCLISupport
import KafkaNetwork
import KafkaProtocol
import Testing

@Suite struct BrokerAPIVersionsTextTests {
    static func entry(_ key: Int16, broker: ClosedRange<Int16>?, client: ClosedRange<Int16>?) -> BrokerAPIVersion {
        BrokerAPIVersion(apiKey: KafkaAPIKey(rawValue: key), brokerVersions: broker, clientVersions: client)
    }

    @Test("each API line as Kafka prints it, with the version this client would use or why none")
    func lines() {
        let cases: [(BrokerAPIVersion, String)] = [
            (Self.entry(0, broker: 0...7, client: 0...11), "Produce(0): 0 to 7 [usable: 7]"),
            (Self.entry(1, broker: 4...4, client: 0...17), "Fetch(1): 4 [usable: 4]"),
            (Self.entry(3, broker: 0...12, client: 0...9), "Metadata(3): 0 to 12 [usable: 9]"),
            (Self.entry(2, broker: 9...10, client: 0...8), "ListOffsets(2): 9 to 10 [unusable: node too new]"),
            (Self.entry(11, broker: 0...2, client: 3...9), "JoinGroup(11): 0 to 2 [unusable: node too old]"),
            (Self.entry(60, broker: nil, client: 0...1), "DescribeCluster(60): UNSUPPORTED"),
            (Self.entry(4, broker: 0...2, client: nil), "LeaderAndIsr(4): 0 to 2"),
            (Self.entry(999, broker: 0...1, client: nil), "UNKNOWN(999): 0 to 1"),
        ]
        for (api, text) in cases {
            #expect(BrokerAPIVersionsTool.line(api) == text)
        }
    }

    @Test("a broker's block: its node, the APIs joined by ',' and a closing ')'; a failed broker in one line")
    func blocks() {
        let broker = BrokerMetadata(nodeID: 2, host: "h", port: 9092, rack: "r1")
        let answered = BrokerAPIVersions(
            broker: broker,
            apis: .success([Self.entry(0, broker: 0...7, client: 0...11), Self.entry(18, broker: 0...2, client: 0...4)])
        )
        let other = BrokerMetadata(nodeID: 3, host: "g", port: 9093)
        let error = AdminError(code: .networkException, api: .apiVersions, resourceKind: .broker, resourceName: "3")
        let failed = BrokerAPIVersions(broker: other, apis: .failure(error))
        #expect(
            BrokerAPIVersionsTool.text([answered, failed])
                == "h:9092 (id: 2 rack: r1) -> (\n\tProduce(0): 0 to 7 [usable: 7],\n\tApiVersions(18): 0 to 2 [usable: 2]\n)\n"
                + "g:9093 (id: 3 rack: null) -> ERROR: \(error)\n")
        let json = BrokerAPIVersionsTool.json([answered])
        #expect(json.contains(#""usableVersion" : 7"#))
        #expect(json.contains(#""rack" : "r1""#))
    }
}
