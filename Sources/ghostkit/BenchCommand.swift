import ArgumentParser
import Foundation
import GhostBench
import GhostTensor

/// `ghostkit bench`: forward throughput of ResNet-18/50 (224², batch 8 by default) for each thread count.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure ResNet-18/50 forward img/s (224², batch 8) for 1 and 2 threads.",
        discussion: """
            Compare with PyTorch in the same run: /usr/bin/python3 bench/torch_side_by_side.py --ghostkit \
            .build/release/ghostkit; with ONNX Runtime: bench/onnxruntime_side_by_side.py.
            """)

    @Option(help: "Comma-separated thread counts.") var threads = CommaSeparated([1, 2])
    @Option(help: "Timed iterations per workload (after one warm-up).") var iters: Int = 5
    @Option(help: "Images per batch.") var batch: Int = 8
    @Option(help: "Input side of the forward workloads (224: ImageNet; 28: Fashion-MNIST-sized).") var size: Int = 224
    @Option(help: "Only run workloads whose name contains this text.") var only: String?
    @Flag(help: "Print JSON ({\"openblas_core\", \"peak_rss_mib\", \"results\": [...]}) instead of a table.")
    var json = false
    @Flag(help: "Also time a training step (SGD) of ResNet-18/50 with CIFAR stem, 28×28×1, batch 64.")
    var train = false
    @Flag(help: "Also time Ghost-ResNet-18/50 (s=2, d=3) forward passes beside the ResNets they come from.")
    var ghost = false
    @Flag(
        help: """
            Also time the analysis kernels: pair search (Gram) on a 256-channel layer of 64 images of 28×28, and \
            d = 1,3,5,7 fits of one pair over them.
            """)
    var analysis = false
    @Flag(help: "Also time ResNet's stride-1 3×3 conv shapes on the GEMM, F(2×2), F(4×4) and cost-model paths.")
    var convLayers = false
    @Option(help: "Winograd dispatch of the model workloads: cost-model, f4-threshold (the older rule), gemm, f2, f4.")
    var winograd: WinogradChoice = .costModel
    @Option(
        help: """
            How the forward workloads' convolutions feed OpenBLAS: packed-once (weights packed on the first forward \
            that gains from it and reused, as predict runs) or per-call (cblas_sgemm packs them on every call).
            """)
    var weightPacking: WeightPackingChoice = .packedOnce
    @Option(help: "Also time the forward pass of these checkpoints (comma-separated) at 28² (Fashion-MNIST).")
    var checkpoints: CommaSeparated<String>?

    func run() throws {
        let threadCounts = threads.items
        guard threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must be positive (got \(threads.defaultValueDescription))")
        }
        guard iters >= 1, batch >= 1, size >= 1 else {
            throw ValidationError("--iters, --batch and --size must be ≥ 1")
        }
        var extras: Set<BenchConfig.Extra> = []
        if ghost { extras.insert(.ghost) }
        if train { extras.insert(.train) }
        if analysis { extras.insert(.analysis) }
        if convLayers { extras.insert(.convLayers) }
        var config = BenchConfig(
            threads: threadCounts, iterations: iters, batch: batch, size: size, extras: extras,
            only: only, checkpoints: checkpoints?.items ?? [])
        config.winograd = winograd.dispatch
        config.weightPacking = weightPacking.packing
        let results = try BenchRun(config).run { row in
            if !json { log("\(row.workload) threads=\(row.threads): \(row.formatted)") }
        }
        if json {
            print(BenchResult.json(results))
        } else {
            print("OpenBLAS kernels: \(BLASKernelSelection.coreName)")
            print(BenchResult.markdown(results))
        }
        if let hint = BLASKernelSelection.avx512Hint { log("note: \(hint)") }
    }

    private func log(_ line: String) { FileHandle.standardError.write((line + "\n").data(using: .utf8)!) }
}

/// `--winograd`: the dispatch rule of `ghostkit bench`'s model workloads.
enum WinogradChoice: String, ExpressibleByArgument, CaseIterable {
    case costModel = "cost-model", f4Threshold = "f4-threshold", gemm, f2, f4

    /// The library's dispatch for this choice.
    var dispatch: WinogradDispatch {
        switch self {
        case .costModel: .costModel
        case .f4Threshold: .f4Threshold
        case .gemm: .fixed(nil)
        case .f2: .fixed(.f2x3)
        case .f4: .fixed(.f4x3)
        }
    }
}

/// `--weight-packing`: whether `ghostkit bench`'s forward workloads keep packed weights between calls.
enum WeightPackingChoice: String, ExpressibleByArgument, CaseIterable {
    case packedOnce = "packed-once", perCall = "per-call"

    /// The library's setting for this choice.
    var packing: BenchConfig.WeightPacking {
        switch self {
        case .packedOnce: .packedOnce
        case .perCall: .perCall
        }
    }
}
