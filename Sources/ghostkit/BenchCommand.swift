import ArgumentParser
import Foundation
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

    func run() throws {
        let threadCounts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must be a list of positive integers, got '\(threads)'")
        }
        guard iters >= 1, batch >= 1 else { throw ValidationError("--iters and --batch must be ≥ 1") }
        var results: [BenchResult] = []
        for depth in [18, 50] {
            let name = "resnet\(depth)-forward-224-b\(batch)"
            if let only, !name.contains(only) { continue }
            let model = try Architecture(name: "resnet\(depth)").build(seed: 1)
            var rng = SplitMix64(seed: 7)
            let x = Tensor(gaussian: [batch, 3, 224, 224], std: 1, rng: &rng)
            for t in threadCounts {
                Engine.threads = t
                let times = BenchTimer.measure(iterations: iters) { _ = model(x) }
                results.append(BenchResult(workload: name, threads: t, seconds: times, images: batch))
                if !json { FileHandle.standardError.write("\(name) threads=\(t): \(results.last!.formatted)\n".data(using: .utf8)!) }
            }
        }
        if train {
            for depth in [18, 50] {
                let name = "resnet\(depth)-cifar-train-28-b64"
                if let only, !name.contains(only) { continue }
                let model = try Architecture(name: "resnet\(depth)", stem: "cifar", inChannels: 1, numClasses: 10).build(seed: 1)
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
        if json { print(BenchResult.json(results)) } else { print(BenchResult.markdown(results)) }
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

    var best: Double { Double(images) / (seconds.min() ?? .infinity) }
    var median: Double { let s = seconds.sorted(); return Double(images) / s[s.count / 2] }
    var formatted: String { String(format: "best %.2f img/s, median %.2f img/s", best, median) }

    static func markdown(_ rows: [BenchResult]) -> String {
        var out = "| workload | threads | best img/s | median img/s |\n|---|---|---|---|\n"
        for r in rows { out += String(format: "| %@ | %d | %.2f | %.2f |\n", r.workload, r.threads, r.best, r.median) }
        return out
    }

    static func json(_ rows: [BenchResult]) -> String {
        let items = rows.map { r in
            String(format: "{\"workload\": \"%@\", \"threads\": %d, \"img_per_s\": %.3f, \"median_img_per_s\": %.3f}",
                   r.workload, r.threads, r.best, r.median)
        }
        return "{\"results\": [" + items.joined(separator: ", ") + "]}"
    }
}
