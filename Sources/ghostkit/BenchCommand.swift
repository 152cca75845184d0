import ArgumentParser
import Foundation
import GhostAnalysis
import GhostCheckpoint
import GhostModels
import GhostTensor
import GhostTrain

/// `ghostkit bench`: forward throughput of ResNet-18/50 at 224², batch 8, for each thread count.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure ResNet-18/50 forward img/s (224², batch 8) for 1 and 2 threads.",
        discussion: "Compare with PyTorch in the same run: /usr/bin/python3 bench/torch_side_by_side.py --ghostkit .build/release/ghostkit")

    @Option(help: "Comma-separated thread counts.") var threads: String = "1,2"
    @Option(help: "Timed iterations per workload (after one warm-up).") var iters: Int = 5
    @Option(help: "Images per batch.") var batch: Int = 8
    @Option(help: "Only run workloads whose name contains this text.") var only: String?
    @Flag(help: "Print JSON ({\"results\": [...]}) instead of a table.") var json = false
    @Flag(help: "Also time a training step (SGD) of ResNet-18/50 with CIFAR stem, 28×28×1, batch 64.") var train = false
    @Flag(help: "Also time Ghost-ResNet-18/50 (s=2, d=3) forward passes beside the ResNets they come from (same shapes).")
    var ghost = false
    @Flag(help: "Also time the analysis kernels: pair search (Gram) on a 256-channel layer of 64 images of 28×28, and d = 1,3,5,7 fits of one pair over them.")
    var analysis = false
    @Option(help: "Also time the forward pass of these checkpoints (comma-separated) at 28² (Fashion-MNIST).")
    var checkpoints: String?

    func run() throws {
        let threadCounts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must be a list of positive integers, got '\(threads)'")
        }
        guard iters >= 1, batch >= 1 else { throw ValidationError("--iters and --batch must be ≥ 1") }
        var results: [BenchResult] = []
        for (depth, isGhost) in [(18, false), (50, false)] + (ghost ? [(18, true), (50, true)] : []) {
            let name = (isGhost ? "ghost-" : "") + "resnet\(depth)-forward-224-b\(batch)"
            if let only, !name.contains(only) { continue }
            let model = try Architecture(name: (isGhost ? "ghost-" : "") + "resnet\(depth)").build(seed: 1)
            var rng = SplitMix64(seed: 7)
            let x = Tensor(gaussian: [batch, 3, 224, 224], std: 1, rng: &rng)
            for t in threadCounts {
                Engine.threads = t
                let times = BenchTimer.measure(iterations: iters) { _ = model(x) }
                results.append(BenchResult(workload: name, threads: t, seconds: times, images: batch))
                if !json { FileHandle.standardError.write("\(name) threads=\(t): \(results.last!.formatted)\n".data(using: .utf8)!) }
            }
        }
        for path in checkpoints?.split(separator: ",").map(String.init) ?? [] {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + "-forward-28-b\(batch)"
            if let only, !name.contains(only) { continue }
            let ckpt = try Checkpoint(path: path)
            let (model, _) = try ckpt.makeModel()
            var rng = SplitMix64(seed: 7)
            let x = Tensor(gaussian: [batch, ckpt.architecture.inChannels, 28, 28], std: 1, rng: &rng)
            for t in threadCounts {
                Engine.threads = t
                let times = BenchTimer.measure(iterations: iters) { _ = model(x) }
                results.append(BenchResult(workload: name, threads: t, seconds: times, images: batch))
            }
        }
        if train {
            for depth in [18, 50] {
                let name = "resnet\(depth)-cifar-train-28-b64"
                if let only, !name.contains(only) { continue }
                let model = try Architecture(name: "resnet\(depth)", stem: .cifar, inChannels: 1, numClasses: 10).build(seed: 1)
                let step = TrainStep(model: model, optimizer: SGD(parameters: model.trainableParameters(), learningRate: 0.01,
                                                                   momentum: 0.9))
                var rng = SplitMix64(seed: 7)
                let x = Tensor(gaussian: [64, 1, 28, 28], std: 1, rng: &rng)
                let labels = (0..<64).map { $0 % 10 }
                for t in threadCounts {
                    Engine.threads = t
                    let times = BenchTimer.measure(iterations: iters) { step(x, labels) }
                    results.append(BenchResult(workload: name, threads: t, seconds: times, images: 64))
                    if !json { FileHandle.standardError.write("\(name) threads=\(t): \(results.last!.formatted)\n".data(using: .utf8)!) }
                }
            }
        }
        if analysis && (only.map { "analysis-".contains($0) || $0.hasPrefix("analysis") } ?? true) { results += analysisWorkloads(threadCounts) }
        if json { print(BenchResult.json(results)) } else {
            print("OpenBLAS kernels: \(BLASKernelSelection.coreName)")
            print(BenchResult.markdown(results))
        }
        if let hint = BLASKernelSelection.avx512Hint { FileHandle.standardError.write("note: \(hint)\n".data(using: .utf8)!) }
    }
}

extension BenchCommand {
    /// Pair search and kernel fits on random activations shaped like layer1 of a CIFAR-stem ResNet-50 at 28².
    func analysisWorkloads(_ threadCounts: [Int]) -> [BenchResult] {
        var rng = SplitMix64(seed: 3)
        let x = Tensor(gaussian: [64, 256, 28, 28], std: 1, rng: &rng)
        var rows: [BenchResult] = []
        for t in threadCounts {
            Engine.threads = t
            var flops = 0.0
            let times = BenchTimer.measure(iterations: iters) {
                var c = ChannelCorrelation(channels: 256)
                c.add(x)
                flops = c.flops
            }
            rows.append(BenchResult(workload: "analysis-pair-search-256ch-64x28x28", threads: t, seconds: times, images: 64, flops: flops))
            // 16 pairs fitted in parallel, as fit-kernels does per layer.
            let pairs = (0..<16).map { (a: $0, b: $0 + 16) }
            let fitTimes = BenchTimer.measure(iterations: iters) {
                _ = PairFitting.fit(x, pairs: pairs, sizes: [1, 3, 5, 7], normalization: .minmax, bias: true)
            }
            rows.append(BenchResult(workload: "analysis-fit-16-pairs-d1357-64x28x28", threads: t, seconds: fitTimes, images: 64,
                                    flops: 16 * 2 * 64 * 784 * 50 * 50))
            if !json { for r in rows.suffix(2) { FileHandle.standardError.write("\(r.workload) threads=\(t): \(r.formatted)\n".data(using: .utf8)!) } }
        }
        return rows
    }
}

/// Wall-clock timing of a repeated closure.
enum BenchTimer {
    /// One warm-up run, then `iterations` timed runs; returns seconds per run.
    static func measure(iterations: Int, _ body: () -> Void) -> [Double] {
        body()
        return (0..<iterations).map { _ in
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
    }
}

/// One benchmark row.
struct BenchResult {
    let workload: String
    let threads: Int
    let seconds: [Double]
    let images: Int
    /// Floating-point operations per run, when the workload is a GEMM (for GFLOP/s).
    var flops: Double? = nil

    var gflops: String { flops.map { String(format: "%.1f", $0 / 1e9 / (seconds.min() ?? .infinity)) } ?? "" }
    var best: Double { Double(images) / (seconds.min() ?? .infinity) }
    var median: Double { let s = seconds.sorted(); return Double(images) / s[s.count / 2] }
    var formatted: String {
        String(format: "best %.2f img/s, median %.2f img/s", best, median) + (flops == nil ? "" : ", \(gflops) GFLOP/s")
    }

    static func markdown(_ rows: [BenchResult]) -> String {
        var out = "| workload | threads | best img/s | median img/s | GFLOP/s |\n|---|---|---|---|---|\n"
        for r in rows { out += String(format: "| %@ | %d | %.2f | %.2f | %@ |\n", r.workload, r.threads, r.best, r.median, r.gflops) }
        return out
    }

    static func json(_ rows: [BenchResult]) -> String {
        let items = rows.map { r in
            String(format: "{\"workload\": \"%@\", \"threads\": %d, \"img_per_s\": %.3f, \"median_img_per_s\": %.3f, \"gflops\": %@}",
                   r.workload, r.threads, r.best, r.median, r.flops == nil ? "null" : r.gflops)
        }
        return "{\"openblas_core\": \"\(BLASKernelSelection.coreName)\", \"results\": ["
            + items.joined(separator: ", ") + "]}"
    }
}
