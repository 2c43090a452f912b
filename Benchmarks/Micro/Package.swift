// swift-tools-version:6.1
// Micro-benchmarks of Tresor's hot-path pieces, kept in a package of their own so the test build
// (and CI) never compiles the benchmark framework. Run with scripts/microbench.sh.
import Foundation
import PackageDescription

// A path dependency is known by its directory's name, which depends on where Tresor was cloned.
let tresor = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "TresorMicroBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TresorMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TresorCore", package: tresor),
                .product(name: "TresorHTTP", package: tresor),
            ],
            path: "Benchmarks/TresorMicro",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
