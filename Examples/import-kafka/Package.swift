// swift-tools-version: 6.1
// A service's package that depends on swift-kafka by path (Tools/check-external-package.sh copies it outside the
// repository and points the path at the clone) and imports only `Kafka`.
import PackageDescription

let package = Package(
    name: "import-kafka",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(
            name: "import-kafka",
            dependencies: [.product(name: "Kafka", package: "swift-kafka")]
        )
    ]
)
