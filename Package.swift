// swift-tools-version:5.9
import PackageDescription

/// Kernels only: -Ounchecked plus an explicit CPU so the hand-written SIMD loops compile to AVX2/FMA.
/// `haswell` keeps the binary portable to any x86-64 CPU with AVX2+FMA.
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release)),
]
/// Everything else, the parsers of outside files included, keeps Swift's bounds and overflow checks.
let checkedSettings: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"], .when(configuration: .release)),
]

/// The AVX-512 micro-kernels: built for Skylake-AVX512 and newer, entered only after a CPU check.
let avx512KernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "skylake-avx512"], .when(configuration: .release)),
]

let libraries = ["GhostTensor", "GhostIO", "GhostData", "GhostModels", "GhostCheckpoint", "GhostTrain",
                 "GhostAnalysis", "GhostConvert", "GhostReport", "GhostExport", "GhostDistributed", "GhostMPI",
                 "GhostBench"]

let package = Package(
    name: "GhostKit",
    products: [
        .executable(name: "ghostkit", targets: ["ghostkit"]),
        .library(name: "GhostKit", targets: libraries),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CSPNG", pkgConfig: "spng", providers: [.apt(["libspng-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        // The CPU's spin-wait hint, for the engine's worker pool (header only).
        .systemLibrary(name: "CCPU"),
        // Tensors, kernels and layers: the only code built with -Ounchecked.
        .target(name: "GhostTensor", dependencies: ["CBLAS", "CCPU", "GhostKernelsAVX512"],
                swiftSettings: kernelSettings),
        // Micro-kernels for AVX-512 CPUs (GhostTensor calls them only where the CPU has AVX-512F).
        .target(name: "GhostKernelsAVX512", swiftSettings: avx512KernelSettings),
        // Rank, size and collective operations (Communicator, SingleProcess); Open MPI in GhostMPI.
        .target(name: "GhostDistributed", dependencies: ["GhostTensor"], swiftSettings: checkedSettings),
        .target(name: "GhostMPI", dependencies: ["GhostDistributed", "CMPI"], swiftSettings: checkedSettings),
        // File formats only.
        .target(name: "GhostIO", dependencies: ["GhostTensor", "CPNG", "CSPNG", "CHDF5", "CZlib", "CTurboJPEG"],
                swiftSettings: checkedSettings),
        // Datasets, transforms, batches, normalisation.
        .target(name: "GhostData", dependencies: ["GhostTensor", "GhostIO"], swiftSettings: checkedSettings),
        // Architectures: ResNet, Ghost-ResNet, GhostNet.
        .target(name: "GhostModels", dependencies: ["GhostTensor"], swiftSettings: checkedSettings),
        // Checkpoint files <-> models: load/save, key matching, architecture inference.
        .target(name: "GhostCheckpoint", dependencies: ["GhostTensor", "GhostIO", "GhostData", "GhostModels"],
                swiftSettings: checkedSettings),
        .target(name: "GhostTrain",
                dependencies: ["GhostTensor", "GhostIO", "GhostData", "GhostModels", "GhostCheckpoint",
                               "GhostDistributed"],
                swiftSettings: checkedSettings),
        .target(name: "GhostAnalysis",
                dependencies: ["GhostTensor", "GhostIO", "GhostData", "GhostModels", "GhostCheckpoint",
                               "GhostDistributed"],
                swiftSettings: checkedSettings),
        .target(name: "GhostConvert",
                dependencies: ["GhostTensor", "GhostIO", "GhostData", "GhostModels", "GhostCheckpoint",
                               "GhostTrain", "GhostAnalysis", "GhostDistributed"],
                swiftSettings: checkedSettings),
        // Every figure and report writer.
        .target(name: "GhostReport",
                dependencies: ["GhostTensor", "GhostIO", "GhostData", "GhostModels", "GhostCheckpoint",
                               "GhostTrain", "GhostAnalysis", "GhostConvert", "CCairo"],
                swiftSettings: checkedSettings),
        // The workloads `ghostkit bench` times.
        .target(name: "GhostBench",
                dependencies: ["GhostTensor", "GhostModels", "GhostCheckpoint", "GhostTrain", "GhostAnalysis"],
                swiftSettings: checkedSettings),
        // ONNX and PyTorch export (onnx.pb.swift generated once by tools/gen_onnx_proto.sh).
        .target(name: "GhostExport",
                dependencies: ["GhostTensor", "GhostIO", "GhostData", "GhostModels", "GhostCheckpoint",
                               .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                swiftSettings: checkedSettings),
        .executableTarget(
            name: "ghostkit",
            dependencies: libraries.map { .byName(name: $0) }
                + [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: checkedSettings),
        .target(name: "GhostTestSupport", dependencies: ["GhostTensor", "GhostIO"], path: "Tests/GhostTestSupport"),
        .testTarget(name: "GhostTensorTests", dependencies: ["GhostTensor", "GhostIO", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "GhostIOTests", dependencies: ["GhostIO", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "GhostDataTests", dependencies: ["GhostData", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "GhostModelsTests", dependencies: ["GhostModels", "GhostCheckpoint", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "GhostCheckpointTests", dependencies: ["GhostCheckpoint", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "GhostTrainTests", dependencies: ["GhostTrain", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "GhostAnalysisTests",
                    dependencies: ["GhostAnalysis", "GhostDistributed", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "GhostConvertTests", dependencies: ["GhostConvert", "GhostReport", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "GhostReportTests", dependencies: ["GhostReport", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "GhostExportTests", dependencies: ["GhostExport", "GhostTestSupport"],
                    swiftSettings: checkedSettings),
        .testTarget(name: "ghostkitTests", dependencies: ["GhostTestSupport", "GhostReport"], swiftSettings: checkedSettings),
    ]
)
