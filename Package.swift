// swift-tools-version:6.0
// vpt-bench: reproduces visual-prompt-tuning papers' tables on a Swift tensor engine over OpenBLAS.
import PackageDescription

import Foundation

// Hot numeric code is compiled optimised even in debug builds, so `swift test` stays fast.
// (-O, not -Ounchecked: preconditions that guard against misuse must stay checked.)
// On x86-64 it also targets Haswell-level x86-64 (AVX2, FMA: every x86 server and laptop since 2013) so element-wise loops
// vectorise 8 wide instead of SSE2's 4; results are the same bits (Swift never contracts a·b + c into an FMA or
// reorders float sums on its own). VPT_BENCH_PORTABLE=1 at build time keeps the SSE2 baseline for older CPUs.
#if arch(x86_64)
let cpuFlags = ProcessInfo.processInfo.environment["VPT_BENCH_PORTABLE"] == "1" ? [] : ["-target-cpu", "haswell"]
#else
let cpuFlags: [String] = []
#endif
let fast: [SwiftSetting] = [.unsafeFlags(["-O"] + cpuFlags)]

let package = Package(
    name: "vpt-bench",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bench", targets: ["BenchCLI"]),
        .library(name: "Engine", targets: ["Engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System C libraries (Debian: libopenblas-dev, libcsv-dev) and our own C shim over libjpeg/libpng.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CCSV"),
        .target(name: "CCodecs", linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png"), .linkedLibrary("z")]),
        // mremap for the engine's buffer cache (variadic in glibc, so not callable from Swift).
        .target(name: "CSystem"),

        // Seeded random streams shared by the engine (init, dropout) and the data loader (order, augmentation).
        .target(name: "Random", swiftSettings: fast),
        // Tensor + reverse-mode autograd + ops + optimisers + schedules.
        .target(name: "Engine", dependencies: ["CBLAS", "CSystem", "Random"], swiftSettings: fast),
        // Checkpoint containers: .npy/.npz, .safetensors, PyTorch .pth (zip + pickle subset).
        .target(name: "Checkpoints", dependencies: ["ZIPFoundation"], swiftSettings: fast),
        // Dataset readers, image decoding, transforms, built-in synthetic datasets, loader.
        .target(name: "Data", dependencies: ["CCodecs", "Tabular", "Checkpoints", "Random", "ZIPFoundation"], swiftSettings: fast),
        // The project's only CSV code: a reader/writer over libcsv.
        .target(name: "Tabular", dependencies: ["CCSV"]),
        // Reported numbers from paper-tables/*.csv.
        .target(name: "PaperTables", dependencies: ["Tabular"]),
        // ViT, Swin, ResNet/ResNeXt built on the engine and loaded from real checkpoints.
        .target(name: "Backbones", dependencies: ["Engine", "Checkpoints"], swiftSettings: fast),
        // One file per method: VPT, E2VPT, SA2VP, InsVP, DA-VPT, ILM-VP, DAM-VP and the baselines.
        .target(name: "Methods", dependencies: ["Engine", "Backbones"], swiftSettings: fast),
        // Registry of cells, recipes, the shared trainer, runner, reports, checks, throughput.
        .target(name: "Bench", dependencies: [
            "Engine", "Checkpoints", "Data", "PaperTables", "Tabular", "Backbones", "Methods",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "BenchCLI", dependencies: [
            "Bench", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "EngineTests", dependencies: ["Engine", "Checkpoints", "Random"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "ZIPFoundation"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "ZIPFoundation"]),
        .testTarget(name: "PaperTablesTests", dependencies: ["PaperTables", "Tabular"]),
        .testTarget(name: "BenchTests", dependencies: ["Bench"]),
        .testTarget(name: "MethodsTests", dependencies: ["Methods", "Bench", "Backbones", "Checkpoints", "Engine", "Data"]),
        .testTarget(name: "BackbonesTests", dependencies: ["Backbones", "Checkpoints", "Engine"]),
        // Runs the built `bench` executable as a user would (resume after SIGKILL, exit codes).
        .testTarget(name: "CLITests", dependencies: ["BenchCLI", "Bench", "Checkpoints"]),
    ],
    swiftLanguageModes: [.v5]
)
