import Foundation

// kafka-protocol-generator: reads the official Kafka message schemas and writes the Swift protocol
// layer. Run from the package root:
//
//     swift run kafka-protocol-generator [--schemas DIR] [--errors FILE] [--output DIR] [--tests-output DIR]
//
// Defaults: Vendor/kafka-protocol/messages, Vendor/kafka-protocol/errors.tsv (Kafka's schemas, vendored),
// Sources/KafkaProtocol/Generated, Tests/KafkaProtocolTests/Generated.

var options: [String: String] = [
    "--schemas": "Vendor/kafka-protocol/messages",
    "--errors": "Vendor/kafka-protocol/errors.tsv",
    "--output": "Sources/KafkaProtocol/Generated",
    "--tests-output": "Tests/KafkaProtocolTests/Generated",
]
var args = CommandLine.arguments.dropFirst()
while let flag = args.popFirst() {
    guard options[flag] != nil, let value = args.popFirst() else {
        FileHandle.standardError.write(
            Data(
                "usage: kafka-protocol-generator [--schemas DIR] [--errors FILE] [--output DIR] [--tests-output DIR]\n"
                    .utf8))
        exit(2)
    }
    options[flag] = value
}

/// Which schemas are client-facing: requests a broker listens for, their responses, the consumer
/// protocol's embedded structures and the headers.
func isSelected(_ s: MessageSchema, brokerAPIKeys: Set<Int>) -> Bool {
    switch s.kind {
    case "request": return s.listeners.contains("broker")
    case "response": return s.apiKey.map(brokerAPIKeys.contains) ?? false
    case "header": return true
    case "data": return s.name == "ConsumerProtocolSubscription" || s.name == "ConsumerProtocolAssignment"
    default: return false
    }
}

func writeIfChanged(_ text: String, to path: String) throws {
    if let existing = try? String(contentsOfFile: path, encoding: .utf8), existing == text { return }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

func run(options: [String: String]) throws {
    let fm = FileManager.default
    let schemaDir = options["--schemas"] ?? ""
    let files = try fm.contentsOfDirectory(atPath: schemaDir).filter { $0.hasSuffix(".json") }.sorted()
    let schemas = try files.map { f in
        try MessageSchema(fileName: f, text: String(contentsOfFile: "\(schemaDir)/\(f)", encoding: .utf8))
    }
    let brokerKeys = Set(
        schemas.filter { $0.kind == "request" && $0.listeners.contains("broker") }.compactMap(\.apiKey))
    let selected = schemas.filter { isSelected($0, brokerAPIKeys: brokerKeys) }
    let requests = selected.filter { $0.kind == "request" }

    let output = options["--output"] ?? ""
    let testsOutput = options["--tests-output"] ?? ""
    var expected: [String: Set<String>] = [output: [], testsOutput: []]
    for dir in [output, testsOutput] {
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    for schema in selected {
        let emitter = try MessageEmitter(schema: schema)
        try writeIfChanged(try emitter.emit(), to: "\(output)/\(schema.name).swift")
        expected[output, default: []].insert("\(schema.name).swift")
        let fv = FieldValueEmitter(emitter: emitter).emit()
        try writeIfChanged(fv, to: "\(testsOutput)/\(schema.name)+FieldValues.swift")
        expected[testsOutput, default: []].insert("\(schema.name)+FieldValues.swift")
    }
    try writeIfChanged(SupportEmitter.apiKeys(requests), to: "\(output)/KafkaAPIKey.swift")
    try writeIfChanged(SupportEmitter.registry(requests), to: "\(output)/KafkaMessageRegistry.swift")
    let errors = try SupportEmitter.parseErrors(String(contentsOfFile: options["--errors"] ?? "", encoding: .utf8))
    try writeIfChanged(SupportEmitter.errorCodes(errors), to: "\(output)/KafkaErrorCode.swift")
    expected[output, default: []].formUnion(["KafkaAPIKey.swift", "KafkaMessageRegistry.swift", "KafkaErrorCode.swift"])

    // Remove files of schemas that no longer exist.
    for (dir, keep) in expected {
        for f in try fm.contentsOfDirectory(atPath: dir) where f.hasSuffix(".swift") && !keep.contains(f) {
            try fm.removeItem(atPath: "\(dir)/\(f)")
        }
    }
    print("generated \(selected.count) messages (\(requests.count) APIs) and \(errors.count) error codes")
}

do {
    try run(options: options)
} catch {
    FileHandle.standardError.write(Data("kafka-protocol-generator: \(error)\n".utf8))
    exit(1)
}
