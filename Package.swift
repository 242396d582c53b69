// swift-tools-version: 6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "swift-kafka",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"]),
        .library(name: "KafkaCompression", targets: ["KafkaCompression"]),
        .library(name: "KafkaNetwork", targets: ["KafkaNetwork"]),
        .library(name: "KafkaProducer", targets: ["KafkaProducer"]),
        .library(name: "KafkaConsumer", targets: ["KafkaConsumer"]),
        .library(name: "KafkaAdmin", targets: ["KafkaAdmin"]),
        .library(name: "KafkaDevCluster", targets: ["KafkaDevCluster"]),
        .executable(name: "kafka-dev-cluster", targets: ["kafka-dev-cluster"]),
        .executable(name: "kafka-topics", targets: ["kafka-topics"]),
        .executable(name: "kafka-console-producer", targets: ["kafka-console-producer"]),
        .executable(name: "kafka-console-consumer", targets: ["kafka-console-consumer"]),
        .executable(name: "kafka-consumer-groups", targets: ["kafka-consumer-groups"]),
        .executable(name: "kafka-producer-perf-test", targets: ["kafka-producer-perf-test"]),
        .executable(name: "kafka-consumer-perf-test", targets: ["kafka-consumer-perf-test"]),
        .executable(name: "kafka-get-offsets", targets: ["kafka-get-offsets"]),
        .executable(name: "kafka-delete-records", targets: ["kafka-delete-records"]),
        .executable(name: "kafka-broker-api-versions", targets: ["kafka-broker-api-versions"]),
        .executable(name: "kafka-log-dirs", targets: ["kafka-log-dirs"]),
        .executable(name: "kafka-dump-log", targets: ["kafka-dump-log"]),
        .executable(name: "kafka-configs", targets: ["kafka-configs"]),
        .executable(name: "kafka-transactions", targets: ["kafka-transactions"]),
        .executable(name: "kafka-reassign-partitions", targets: ["kafka-reassign-partitions"]),
        .executable(name: "kafka-leader-election", targets: ["kafka-leader-election"]),
        .executable(name: "kafka-acls", targets: ["kafka-acls"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // `swift package generate-documentation` (Tools/check-docs.sh); a plugin only, never linked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // CRC32C with the CPU's CRC instruction (SSE4.2 / ARMv8 CRC) and a portable fallback.
        .target(name: "CCRC32C"),
        // System compression libraries (Debian: zlib1g-dev liblz4-dev libsnappy-dev libzstd-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"]), .brew(["snappy"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        // librdkafka, for its mock cluster in tests only (Debian: librdkafka-dev).
        .systemLibrary(
            name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]),

        // The wire protocol: primitives, generated messages, headers, error codes, record batches.
        .target(
            name: "KafkaProtocol",
            dependencies: ["CCRC32C", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSwift
        ),
        // Compression codecs behind one interface, and compressed record batches.
        .target(
            name: "KafkaCompression",
            dependencies: [
                "KafkaProtocol", "CZlib", "CLZ4", "CSnappy", "CZstd",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),

        // Networking and cluster core: connections, negotiation, TLS, SASL, metadata, routing.
        .target(
            name: "KafkaNetwork",
            dependencies: [
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: strictSwift
        ),
        // The SDK in one import: the producer, consumer and admin client with their configuration and records.
        .target(
            name: "Kafka",
            dependencies: [
                "KafkaProducer", "KafkaConsumer", "KafkaAdmin", "KafkaNetwork", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The producer: partitioners, record accumulator, idempotence, the sender and `KafkaProducer`.
        .target(
            name: "KafkaProducer",
            dependencies: [
                "KafkaProtocol", "KafkaCompression", "KafkaNetwork",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSwift
        ),
        // The consumer: group membership, assignors, fetching, positions and commits.
        .target(
            name: "KafkaConsumer",
            dependencies: [
                "KafkaProtocol", "KafkaCompression", "KafkaNetwork",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSwift
        ),
        // The admin client: topics, partitions, configs, cluster, consumer groups and their offsets.
        .target(
            name: "KafkaAdmin",
            dependencies: [
                "KafkaProtocol", "KafkaNetwork",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // Test support: librdkafka's mock cluster in-process, test certificates, kcat and real-broker
        // helpers. Not for production use.
        .target(
            name: "KafkaTestSupport",
            dependencies: [
                "KafkaProtocol", "CRdKafka",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strictSwift
        ),

        // A Kafka-compatible development cluster in this process: N brokers on loopback, the client
        // APIs, a classic group coordinator, fault control. A dev and test tool, never a production broker.
        .target(
            name: "KafkaDevCluster",
            dependencies: [
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        // The dev cluster as a process: `kafka-dev-cluster --brokers 3`.
        .executableTarget(
            name: "kafka-dev-cluster",
            dependencies: [
                "KafkaDevCluster", "KafkaCLISupport", "KafkaNetwork", "KafkaProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Tools/kafka-dev-cluster",
            swiftSettings: strictSwift
        ),

        // Regenerates Sources/KafkaProtocol/Generated from Vendor/kafka-protocol/messages (Kafka's schemas, vendored).
        .executableTarget(
            name: "kafka-protocol-generator",
            path: "Tools/ProtocolGenerator",
            swiftSettings: strictSwift
        ),
        // Writes batches encoded by this package for Tools/interop/verify-librdkafka-decodes.py.
        .executableTarget(
            name: "kafka-interop-batch-writer",
            dependencies: ["KafkaProtocol", "KafkaCompression", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tools/interop/BatchWriter",
            swiftSettings: strictSwift
        ),
        // Kafka's `kafka-producer-perf-test`, with the same flags.
        .executableTarget(
            name: "kafka-producer-perf-test",
            dependencies: [
                "KafkaProducer", "KafkaNetwork", "KafkaProtocol", "KafkaCLISupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            path: "Sources/Tools/kafka-producer-perf-test",
            swiftSettings: strictSwift
        ),
        // The command-line tools' logic (package, not user API): exit codes, one-line errors, bootstrap and
        // --command-config, signals, and per tool its options, parsers, formatters and describe tables.
        .target(
            name: "KafkaCLISupport",
            dependencies: [
                "KafkaNetwork", "KafkaProtocol", "KafkaAdmin", "KafkaConsumer", "KafkaProducer", "KafkaCompression",
                "CKafkaToolMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // The tools' malloc arena limit, set before main (see malloc_arenas.c); never linked into the SDK.
        .target(name: "CKafkaToolMalloc"),
        // Kafka's `kafka-topics`, `kafka-console-producer`, `kafka-console-consumer`, `kafka-consumer-groups`.
        .executableTarget(
            name: "kafka-get-offsets",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork"],
            path: "Sources/Tools/kafka-get-offsets",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-delete-records",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork"],
            path: "Sources/Tools/kafka-delete-records",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-broker-api-versions",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork"],
            path: "Sources/Tools/kafka-broker-api-versions",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-log-dirs",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork"],
            path: "Sources/Tools/kafka-log-dirs",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-dump-log",
            dependencies: ["KafkaCLISupport", "KafkaNetwork"],
            path: "Sources/Tools/kafka-dump-log",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-configs",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork"],
            path: "Sources/Tools/kafka-configs",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-transactions",
            dependencies: [
                "KafkaAdmin", "KafkaCLISupport", "KafkaNetwork",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Tools/kafka-transactions",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-reassign-partitions",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork"],
            path: "Sources/Tools/kafka-reassign-partitions",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-leader-election",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork"],
            path: "Sources/Tools/kafka-leader-election",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-acls",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork"],
            path: "Sources/Tools/kafka-acls",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-topics",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork", "KafkaProtocol"],
            path: "Sources/Tools/kafka-topics",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-console-producer",
            dependencies: [
                "KafkaProducer", "KafkaCLISupport", "KafkaNetwork", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/Tools/kafka-console-producer",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-console-consumer",
            dependencies: [
                "KafkaConsumer", "KafkaCLISupport", "KafkaNetwork", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/Tools/kafka-console-consumer",
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "kafka-consumer-groups",
            dependencies: ["KafkaAdmin", "KafkaCLISupport", "KafkaNetwork", "KafkaProtocol"],
            path: "Sources/Tools/kafka-consumer-groups",
            swiftSettings: strictSwift
        ),
        // The README's SDK example: built with the package so that it always compiles.
        .executableTarget(
            name: "order-service-example",
            dependencies: ["Kafka"],
            path: "Examples/order-service",
            swiftSettings: strictSwift
        ),
        // The README's exactly-once example (consume-transform-produce in transactions).
        .executableTarget(
            name: "exactly-once-example",
            dependencies: ["Kafka"],
            path: "Examples/exactly-once",
            swiftSettings: strictSwift
        ),
        // Kafka's `kafka-consumer-perf-test`, with the same flags.
        .executableTarget(
            name: "kafka-consumer-perf-test",
            dependencies: [
                "KafkaConsumer", "KafkaNetwork", "KafkaProtocol", "KafkaCLISupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Tools/kafka-consumer-perf-test",
            swiftSettings: strictSwift
        ),
        // librdkafka's mock cluster as a process, for benchmarks and manual tests (not a broker).
        .executableTarget(
            name: "kafka-mock-cluster",
            dependencies: [
                "KafkaTestSupport", "KafkaCLISupport", "KafkaNetwork", "KafkaProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Tools/kafka-mock-cluster",
            swiftSettings: strictSwift
        ),
        // Release-mode micro benchmarks: `swift run -c release KafkaBenchmarks`.
        .executableTarget(
            name: "KafkaBenchmarks",
            dependencies: [
                "KafkaProtocol", "KafkaCompression", "KafkaNetwork", "KafkaProducer", "KafkaDevCluster",
                "CCRC32C", "CZlib", "CLZ4", "CSnappy", "CZstd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/KafkaBenchmarks",
            swiftSettings: strictSwift
        ),

        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Vectors")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "KafkaCompressionTests",
            dependencies: ["KafkaCompression", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "KafkaProducerTests",
            dependencies: [
                "KafkaProducer", "KafkaProtocol", "KafkaCompression", "KafkaNetwork", "KafkaTestSupport",
                "KafkaDevCluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "KafkaAdminTests",
            dependencies: [
                "KafkaAdmin", "KafkaProtocol", "KafkaNetwork", "KafkaDevCluster", "KafkaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "KafkaToolsTests",
            dependencies: [
                "KafkaAdmin", "KafkaProducer", "KafkaConsumer", "KafkaProtocol", "KafkaNetwork", "KafkaDevCluster",
                "KafkaTestSupport", "KafkaCLISupport", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // Unit tests of the tools' library: parsers, formatters, describe tables, option validation.
        .testTarget(
            name: "KafkaCLISupportTests",
            dependencies: [
                "KafkaCLISupport", "KafkaAdmin", "KafkaConsumer", "KafkaProducer", "KafkaProtocol", "KafkaNetwork",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "KafkaTransactionTests",
            dependencies: [
                "KafkaProducer", "KafkaConsumer", "KafkaProtocol", "KafkaNetwork", "KafkaDevCluster",
                "KafkaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "KafkaConsumerTests",
            dependencies: [
                "KafkaConsumer", "KafkaProducer", "KafkaProtocol", "KafkaNetwork", "KafkaDevCluster",
                "KafkaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // Distributed tracing end to end: a producer's span context in record headers, the consumer's spans.
        .testTarget(
            name: "KafkaTracingTests",
            dependencies: [
                "KafkaProducer", "KafkaConsumer", "KafkaProtocol", "KafkaNetwork", "KafkaDevCluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "KafkaDevClusterTests",
            dependencies: [
                "KafkaDevCluster", "KafkaProtocol", "KafkaCompression", "KafkaNetwork", "KafkaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSwift
        ),
        // Against a real Apache Kafka 2.3.0 broker (Tools/kafka-broker.sh) with Kafka's own Java tools as peers.
        .testTarget(
            name: "KafkaRealBrokerTests",
            dependencies: [
                "KafkaProducer", "KafkaConsumer", "KafkaAdmin", "KafkaProtocol", "KafkaNetwork", "KafkaTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "KafkaNetworkTests",
            dependencies: [
                "KafkaNetwork", "KafkaProtocol", "KafkaTestSupport", "KafkaDevCluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
    ],
    swiftLanguageModes: [.v6]
)
