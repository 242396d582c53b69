// swift-tools-version: 6.1
// libFuzzer entry point for every decoder of the protocol layer. A separate package so that the
// main package's `swift build` never links it. See docs/fuzzing.md.
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, whatever the checkout is called.
let rootPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../..").standardized.lastPathComponent.lowercased()

let package = Package(
    name: "KafkaFuzz",
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "KafkaFuzz",
            dependencies: [
                .product(name: "KafkaProtocol", package: rootPackage),
                .product(name: "KafkaCompression", package: rootPackage),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
