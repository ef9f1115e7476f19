// swift-tools-version:6.2
import PackageDescription

import class Foundation.ProcessInfo

let package = Package(
    name: "temporal-sweep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sweep", targets: ["sweep"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // MARK: - Executables

        .executableTarget(
            name: "sweep",
            dependencies: [
                "SweepCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Development helper (seeding sample workflows for the demo, tests and benchmarks); not shipped.
        .executableTarget(
            name: "sweep-dev",
            dependencies: [
                "SweepCore",
                "SweepTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Core

        .target(
            name: "SweepCore",
            dependencies: [
                "SweepGRPC",
                "SweepCSV",
                "SweepTLS",
                "TemporalAPI",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TemporalAPI",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protos"]
        ),

        // MARK: - C libraries, each wrapped by exactly one Swift module

        .target(
            name: "SweepGRPC",
            dependencies: [
                "CGRPCShim",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "CGRPCShim",
            dependencies: ["CGRPC"],
            // C sources do not autolink the module map's libraries; name them here.
            linkerSettings: [.linkedLibrary("grpc"), .linkedLibrary("gpr")]
        ),
        // Not `pkgConfig: "grpc"`: Debian's grpc.pc carries -DNOMINMAX and -Wl,--push-state, which
        // SwiftPM prohibits (and then warns about for every target); the module map links
        // libgrpc and libgpr, whose headers are in /usr/include.
        .systemLibrary(name: "CGRPC", providers: [.apt(["libgrpc-dev"])]),

        .target(name: "SweepTLS", dependencies: ["COpenSSL"]),
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),

        .target(name: "SweepCSV", dependencies: ["CLibCSV"]),
        .systemLibrary(name: "CLibCSV", providers: [.apt(["libcsv-dev"])]),

        // MARK: - Tests

        .target(
            name: "SweepTestSupport",
            dependencies: ["SweepCore", "TemporalAPI"],
            path: "Tests/SweepTestSupport"
        ),
        .testTarget(name: "SweepCSVTests", dependencies: ["SweepCSV"]),
        .testTarget(name: "SweepGRPCTests", dependencies: ["SweepGRPC", "SweepTestSupport", "TemporalAPI"]),
        .testTarget(
            name: "SweepCoreTests",
            dependencies: ["SweepCore", "SweepCSV", "SweepGRPC", "SweepTestSupport", "TemporalAPI"]
        ),
        .testTarget(name: "SweepCommandTests", dependencies: ["sweep", "SweepCore"]),
        .testTarget(
            name: "SweepIntegrationTests",
            dependencies: ["SweepCore", "SweepCSV", "SweepTestSupport", "SweepGRPC", "TemporalAPI", "sweep"]
        ),
    ]
)

// In-process benchmarks (ordo-one/benchmark): `scripts/bench-micro`, which sets SWEEP_BENCHMARKS.
// Left out otherwise, so that tests and CI neither resolve nor build the benchmark package.
if ProcessInfo.processInfo.environment["SWEEP_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(
        .executableTarget(
            name: "SweepBenchmarks",
            dependencies: [
                "SweepCore",
                "SweepCSV",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SweepBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ))
}

// Strict, explicit code everywhere we write Swift (not in system-library targets).
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(contentsOf: [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ])
    target.swiftSettings = settings
}
