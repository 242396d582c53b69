import Foundation

/// The `--json` output of the tools: pretty-printed JSON with sorted keys, one document per run and a final newline.
package enum JSONOutput {
    /// `values` as a JSON array.
    package static func array<Value: Encodable>(_ values: [Value]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(values) else { return "[]\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
