// swift-tools-version:5.9
import PackageDescription

/// Release builds: -Ounchecked plus an explicit CPU so hand-written SIMD loops compile to AVX2/FMA.
/// `haswell` keeps the binary portable to any x86-64 CPU with AVX2+FMA.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release)),
]

let package = Package(
    name: "GhostKit",
    products: [
        .executable(name: "ghostkit", targets: ["ghostkit"]),
        .library(name: "GhostKit", targets: ["GhostTensor", "GhostModels", "GhostIO", "GhostTrain", "GhostAnalysis", "GhostConvert"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "GhostTensor", dependencies: ["CBLAS"], swiftSettings: fastMath),
        .target(name: "GhostModels", dependencies: ["GhostTensor", "GhostIO"], swiftSettings: fastMath),
        .target(name: "GhostIO", dependencies: ["GhostTensor", "CPNG", "CHDF5", "CZlib"], swiftSettings: fastMath),
        .target(name: "GhostTrain", dependencies: ["GhostTensor", "GhostModels", "GhostIO"], swiftSettings: fastMath),
        .target(name: "GhostAnalysis", dependencies: ["GhostTensor", "GhostIO", "GhostModels"], swiftSettings: fastMath),
        .target(name: "GhostConvert", dependencies: ["GhostTensor", "GhostModels", "GhostAnalysis"], swiftSettings: fastMath),
        .executableTarget(
            name: "ghostkit",
            dependencies: ["GhostTensor", "GhostModels", "GhostIO", "GhostTrain", "GhostAnalysis", "GhostConvert",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: fastMath),
        .target(name: "GhostTestSupport", dependencies: ["GhostTensor", "GhostIO"], path: "Tests/GhostTestSupport"),
        .testTarget(name: "GhostTensorTests", dependencies: ["GhostTensor", "GhostTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "GhostModelsTests", dependencies: ["GhostModels", "GhostTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "GhostIOTests", dependencies: ["GhostIO", "GhostTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "GhostAnalysisTests", dependencies: ["GhostAnalysis", "GhostTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "GhostConvertTests", dependencies: ["GhostConvert", "GhostTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "GhostTrainTests", dependencies: ["GhostTrain", "GhostTestSupport"], swiftSettings: fastMath),
        .testTarget(name: "ghostkitTests", dependencies: ["GhostTestSupport"], swiftSettings: fastMath),
    ]
)
