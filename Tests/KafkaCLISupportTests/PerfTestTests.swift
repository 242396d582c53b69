import KafkaCLISupport
import Testing

@Suite struct PerfTestTests {
    @Test("--payload-delimiter takes Java's escapes; the file splits at every delimiter")
    func payloads() {
        #expect(PayloadFile.unescape("\\n") == "\n")
        #expect(PayloadFile.unescape("a\\tb\\r\\q\\") == "a\tb\rq\\")
        #expect(PayloadFile.split("one\ntwo\n\nthree\n", by: "\n") == ["one", "two", "", "three", ""])
        #expect(PayloadFile.split("a||b|c", by: "||") == ["a", "b|c"])
        #expect(PayloadFile.split("", by: ",") == [""])
    }

    @Test("an unreadable payload file is one line naming it")
    func unreadable() {
        #expect(throws: ToolError("/nonexistent/payloads.txt: cannot open (No such file or directory)")) {
            try PayloadFile.read("/nonexistent/payloads.txt")
        }
    }

    @Test("--print-metrics: names padded to the longest, after a blank line and the header")
    func metricsTable() {
        #expect(
            PerfFigures.metricsTable([("a:records", "1.000"), ("longer:name", "2")])
                == "\nMetric Name : Value\na:records   : 1.000\nlonger:name : 2")
        #expect(PerfFigures.metricsTable([("x", "1")]) == "\nMetric Name : Value\nx : 1")
    }

    @Test("durations in seconds and whole milliseconds")
    func durations() {
        #expect(PerfFigures.seconds(.milliseconds(1500)) == 1.5)
        #expect(PerfFigures.millis(.microseconds(2999)) == 2)
        #expect(PerfFigures.millis(.seconds(3)) == 3000)
    }

    @Test("the header line of kafka-consumer-perf-test, plain and detailed")
    func consumerHeader() {
        #expect(
            ConsumerPerfReport.header(detailed: false)
                == "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                + "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec")
        #expect(ConsumerPerfReport.header(detailed: true).hasPrefix("time, threadId, data.consumed.in.MB"))
    }

    @Test("PerfRandom is SplitMix64: the same sequence for a seed")
    func splitMix() {
        var generator = PerfRandom(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }
}
