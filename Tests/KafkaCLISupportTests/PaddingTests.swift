import KafkaCLISupport
import Testing

@Suite struct PaddingTests {
    @Test("pad fills with spaces after the text, as Java's %-Ns")
    func spaces() {
        #expect(pad("GROUP", 8) == "GROUP   ")
        #expect(pad("GROUP", 5) == "GROUP")
        #expect(pad("CONSUMER-ID", 5) == "CONSUMER-ID")
        #expect(pad("", 2) == "  ")
    }

    @Test("pad(zeros:) fills with zeros before the digits, as Java's %0Nd")
    func zeros() {
        #expect(pad(7, zeros: 2) == "07")
        #expect(pad(2026, zeros: 2) == "2026")
        #expect(pad(5, zeros: 3) == "005")
        #expect(pad(0, zeros: 1) == "0")
    }

    @Test("ToolError prints its description alone, on one line")
    func toolError() {
        let error = ToolError("Topic 'x' does not exist as expected")
        #expect("\(error)" == "Topic 'x' does not exist as expected")
        #expect(KafkaTool.oneLine(ToolError("a\nb")) == "a b")
    }
}
