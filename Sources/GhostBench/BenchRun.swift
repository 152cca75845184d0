import Foundation
import GhostAnalysis
import GhostCheckpoint
import GhostModels
import GhostTensor
import GhostTrain

/// Runs the workloads of a `BenchConfig`, one row per workload and thread count; `progress` sees each row as it
/// is measured. Leaves `Engine.threads` at the last count.
public struct BenchRun {
    public let config: BenchConfig

    /// A run of `config`.
    public init(_ config: BenchConfig) { self.config = config }

    /// The rows, in the order measured; throws when a checkpoint does not load.
    public func run(progress: (BenchResult) -> Void = { _ in }) throws -> [BenchResult] {
        var rows: [BenchResult] = []
        /// Times a model's forward, inside `withPackedWeights` unless the configuration says per-call packing.
        func timeForward(_ name: String, images: Int, model: Module, _ x: Tensor) {
            switch config.weightPacking {
            case .packedOnce: model.withPackedWeights { time(name, images: images) { _ = model(x) } }
            case .perCall: time(name, images: images) { _ = model(x) }
            }
        }
        func time(_ name: String, images: Int, flops: Double? = nil, _ body: () -> Void) {
            for t in config.threads {
                Engine.threads = t
                let seconds = BenchTimer.measure(iterations: config.iterations, body)
                rows.append(BenchResult(workload: name, threads: t, seconds: seconds, images: images, flops: flops))
                progress(rows.last!)
            }
        }
        let previousDispatch = WinogradKernel.dispatch
        WinogradKernel.dispatch = config.winograd
        defer { WinogradKernel.dispatch = previousDispatch }
        let ghost = config.extras.contains(.ghost)
        let b = config.batch, side = config.size
        for (depth, isGhost) in [(18, false), (50, false)] + (ghost ? [(18, true), (50, true)] : []) {
            let name = (isGhost ? "ghost-" : "") + "resnet\(depth)-forward-\(side)-b\(b)"
            guard config.selects(name) else { continue }
            let model = try Architecture(name: (isGhost ? "ghost-" : "") + "resnet\(depth)").build(seed: 1)
            var rng = SplitMix64(seed: 7)
            let x = Tensor(gaussian: [b, 3, side, side], std: 1, rng: &rng)
            timeForward(name, images: b, model: model, x)
        }
        for path in config.checkpoints {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + "-forward-28-b\(b)"
            guard config.selects(name) else { continue }
            let ckpt = try Checkpoint(path: path)
            let (model, _) = try ckpt.makeModel()
            var rng = SplitMix64(seed: 7)
            let x = Tensor(gaussian: [b, ckpt.architecture.inChannels, 28, 28], std: 1, rng: &rng)
            timeForward(name, images: b, model: model, x)
        }
        if config.extras.contains(.train) {
            for depth in [18, 50] {
                let name = "resnet\(depth)-cifar-train-28-b64"
                guard config.selects(name) else { continue }
                let model = try Architecture(name: "resnet\(depth)", stem: .cifar, inChannels: 1, numClasses: 10)
                    .build(seed: 1)
                let step = TrainStep(model: model, optimizer: SGD(parameters: model.trainableParameters(),
                                                                   learningRate: 0.01, momentum: 0.9))
                var rng = SplitMix64(seed: 7)
                let x = Tensor(gaussian: [64, 1, 28, 28], std: 1, rng: &rng)
                let labels = (0..<64).map { $0 % 10 }
                time(name, images: 64) { step(x, labels) }
            }
        }
        if config.extras.contains(.convLayers) { convLayerWorkloads(time) }
        let analysisSelected = config.only.map { "analysis-".contains($0) || $0.hasPrefix("analysis") } ?? true
        if config.extras.contains(.analysis), analysisSelected {
            analysisWorkloads(time)
        }
        return rows
    }

    /// ResNet's stride-1 3×3 shapes, and their Ghost-ResNet primaries (half the output channels: s = 2), on each
    /// path, eval mode, weights packed as in the model workloads (the Winograd filters made per forward).
    private func convLayerWorkloads(_ time: (String, Int, Double?, () -> Void) -> Void) {
        let paths: [(String, WinogradDispatch)] = [
            ("gemm", .fixed(nil)), ("f2", .fixed(.f2x3)), ("f4", .fixed(.f4x3)), ("model", .costModel),
        ]
        let b = config.batch
        for (c, side) in [(64, 56), (128, 28), (256, 14), (512, 7)] {
            for cout in [c, c / 2] {
                var rng = SplitMix64(seed: 5)
                let conv = Conv2D(c, cout, kernel: 3, padding: 1, rng: &rng)
                let x = Tensor(gaussian: [b, c, side, side], std: 1, rng: &rng)
                let channels = cout == c ? "c\(c)" : "c\(c)to\(cout)"
                for (path, dispatch) in paths {
                    let name = "conv3x3-\(channels)-\(side)-b\(b)-\(path)"
                    guard config.selects(name) else { continue }
                    WinogradKernel.dispatch = dispatch
                    let flops = 2 * 9 * Double(c * cout * side * side * b)
                    switch config.weightPacking {
                    case .packedOnce: conv.withPackedWeights { time(name, b, flops) { _ = conv(x) } }
                    case .perCall: time(name, b, flops) { _ = conv(x) }
                    }
                }
            }
        }
        WinogradKernel.dispatch = config.winograd
    }

    /// Pair search and kernel fits on random activations shaped like layer1 of a CIFAR-stem ResNet-50 at 28².
    private func analysisWorkloads(_ time: (String, Int, Double?, () -> Void) -> Void) {
        var rng = SplitMix64(seed: 3)
        let x = Tensor(gaussian: [64, 256, 28, 28], std: 1, rng: &rng)
        var correlation = ChannelCorrelation(channels: 256)
        correlation.add(x)
        time("analysis-pair-search-256ch-64x28x28", 64, correlation.flops) {
            var c = ChannelCorrelation(channels: 256)
            c.add(x)
        }
        // 16 pairs fitted in parallel, as fit-kernels does per layer.
        let pairs = (0..<16).map { (a: $0, b: $0 + 16) }
        time("analysis-fit-16-pairs-d1357-64x28x28", 64, Double(16 * 2 * 64 * 784 * 50 * 50)) {
            _ = PairFitting.fit(x, pairs: pairs, sizes: [1, 3, 5, 7], normalization: .minmax, bias: true)
        }
    }
}
