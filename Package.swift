// swift-tools-version: 6.1
import PackageDescription

/// One set of compiler settings for every Swift target: Swift 6 language mode (strict concurrency).
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Switchyard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]
        ),
        .target(
            name: "COpenBLAS",
            linkerSettings: [.linkedLibrary("openblas")]
        ),
        // Hand-written matmul kernels; optimised even in debug builds so tests stay fast.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),

        // Libraries, in dependency order. ARCHITECTURE.md draws the graph.
        .target(name: "SwitchyardZMQ", dependencies: ["CZeroMQ"], swiftSettings: swiftSettings),
        .target(name: "SwitchyardTensor", dependencies: ["COpenBLAS", "CKernels"], swiftSettings: swiftSettings),
        // Checkpoints, families, the engine and the expert-backend seam.
        .target(
            name: "SwitchyardModel",
            dependencies: ["SwitchyardTensor", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Tokenizers, the streaming detokenizer and chat templates.
        .target(name: "SwitchyardTokenizer", dependencies: ["SwitchyardModel"], swiftSettings: swiftSettings),
        // The OpenAI-compatible HTTP API, scheduler, engine service and metrics: no ZeroMQ.
        .target(
            name: "SwitchyardServing",
            dependencies: [
                "SwitchyardModel", "SwitchyardTokenizer", "SwitchyardTensor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Wire schemas (generated protobuf), frame layout and validation.
        .target(
            name: "SwitchyardWire",
            dependencies: ["SwitchyardTensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        // The cluster: placement, worker registry, dispatch, the remote expert backend, the worker
        // process's side, frames and sockets, CURVE key files.
        .target(
            name: "SwitchyardCluster",
            dependencies: [
                "SwitchyardServing", "SwitchyardModel", "SwitchyardTensor", "SwitchyardZMQ", "SwitchyardWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The load generator (knows only HTTP).
        .target(
            name: "SwitchyardBench",
            dependencies: [
                "SwitchyardTensor",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What only the CLI uses: model initializer, tokenizer trainer, safetensors writer, benchmarks.
        .target(
            name: "SwitchyardTools",
            dependencies: ["SwitchyardModel", "SwitchyardTokenizer", "SwitchyardTensor"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "switchyard",
            dependencies: [
                "SwitchyardZMQ", "SwitchyardTensor", "SwitchyardModel", "SwitchyardTokenizer", "SwitchyardWire",
                "SwitchyardServing", "SwitchyardCluster", "SwitchyardBench", "SwitchyardTools", "CKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // Fuzz targets (one entry function each) and the libFuzzer/replay executable: scripts/fuzz.sh.
        .target(
            name: "SwitchyardFuzz",
            dependencies: ["SwitchyardWire", "SwitchyardCluster", "SwitchyardServing", "SwitchyardTokenizer",
                           "SwitchyardModel", "SwitchyardTensor"],
            path: "Fuzz/SwitchyardFuzz", swiftSettings: swiftSettings
        ),
        .executableTarget(name: "switchyard-fuzz", dependencies: ["SwitchyardFuzz"], path: "Fuzz/Driver", swiftSettings: swiftSettings),

        // Misbehaving cluster peers (a gray-failing worker, a registration flood) for scripts/chaos-test.sh.
        .executableTarget(
            name: "switchyard-chaos-peer",
            dependencies: ["SwitchyardCluster", "SwitchyardModel", "SwitchyardWire", "SwitchyardZMQ"],
            path: "Tests/ChaosPeer", swiftSettings: swiftSettings
        ),

        // Helpers shared by test targets (an HTTP client for loopback servers).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),

        // Tests: one target per module, plus integration tests that start the built binary.
        .testTarget(name: "SwitchyardZMQTests", dependencies: ["SwitchyardZMQ"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SwitchyardTensorTests", dependencies: ["SwitchyardTensor", "CKernels"], exclude: ["QuantFixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchyardModelTests",
            dependencies: ["SwitchyardModel", "SwitchyardTensor", "SwitchyardTools", "TestSupport"],
            resources: [.copy("Fixtures"), .copy("GGUFFixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchyardTokenizerTests",
            dependencies: ["SwitchyardTokenizer", "SwitchyardModel", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchyardWireTests",
            dependencies: ["SwitchyardWire", "SwitchyardTensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchyardServingTests",
            dependencies: [
                "SwitchyardServing", "SwitchyardModel", "SwitchyardTokenizer", "SwitchyardTensor", "SwitchyardTools",
                "TestSupport", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchyardClusterTests",
            dependencies: [
                "SwitchyardCluster", "SwitchyardServing", "SwitchyardModel", "SwitchyardTensor", "SwitchyardZMQ",
                "SwitchyardWire", "SwitchyardTools",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchyardToolsTests",
            dependencies: ["SwitchyardTools", "SwitchyardModel", "SwitchyardTokenizer", "TestSupport"],
            resources: [.copy("UpcycleFixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchyardBenchTests",
            dependencies: [
                "SwitchyardBench", "SwitchyardServing", "SwitchyardTools",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchyardCLITests",
            dependencies: [
                "switchyard", "SwitchyardModel", "SwitchyardTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["SwitchyardFuzz"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["SwitchyardServing", "SwitchyardCluster", "SwitchyardModel", "SwitchyardTokenizer",
                           "SwitchyardWire", "SwitchyardZMQ", "SwitchyardTensor", "SwitchyardTools", "TestSupport",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
    ]
)
