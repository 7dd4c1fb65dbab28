// swift-tools-version:6.1
// Kernel micro-benchmarks (package-benchmark). Run from this folder:
//   swift package --disable-sandbox benchmark --target GEMM
import PackageDescription

let package = Package(
    name: "vpt-bench-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "vpt-bench", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "GEMM",
            dependencies: [
                .product(name: "Engine", package: "vpt-bench"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/GEMM",
            swiftSettings: [.unsafeFlags(["-O"])],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)
