// swift-tools-version:5.9
import PackageDescription

/// libFuzzer targets for GhostKit's parsers. Not part of the main package: built and run by
/// fuzz/build.sh and fuzz/smoke.sh (see fuzz/README.md).
/// Adding a target: Sources/Fuzz<Name>/Fuzz<Name>.swift (an `@main enum Fuzz<Name>: FuzzTarget`),
/// a seed corpus in corpus/<Name>/, and one line here.
let fuzzTargets = [
    "FuzzSafetensors",
    "FuzzIDX",
    "FuzzPairsJSON",
    "FuzzPNG",
    "FuzzTorchCheckpoint",
    "FuzzPickle",
    "FuzzCIFAR",
    "FuzzHDF5",
    "FuzzJPEG",
]

let package = Package(
    name: "GhostKitFuzz",
    dependencies: [.package(name: "GhostKit", path: "..")],
    targets: [
        .systemLibrary(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"]),
    ] + fuzzTargets.map {
        .executableTarget(name: $0, dependencies: ["FuzzSupport", .product(name: "GhostKit", package: "GhostKit")])
    }
)
