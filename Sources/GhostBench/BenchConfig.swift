import GhostTensor

/// What `ghostkit bench` times: the workload families, thread counts and shapes.
public struct BenchConfig {
    /// A family of workloads beside the ResNet-18/50 forward passes, which always run (unless `only` skips them).
    public enum Extra: CaseIterable, Sendable {
        /// Ghost-ResNet-18/50 (s=2, d=3) forward at the same shapes.
        case ghost
        /// SGD step of ResNet-18/50 with the CIFAR stem, 28×28×1, batch 64.
        case train
        /// Pair search (Gram) and d = 1,3,5,7 kernel fits on a 256-channel layer of 64 images of 28×28.
        case analysis
        /// ResNet's stride-1 3×3 conv shapes (64·56², 128·28², 256·14², 512·7²) at the forward batch, one row per
        /// path: the GEMMs, F(2×2), F(4×4), and what the cost model picks.
        case convLayers
    }

    /// Thread counts, each ≥ 1.
    public var threads: [Int]
    /// Timed iterations per workload (after one warm-up).
    public var iterations: Int
    /// Images per forward batch.
    public var batch: Int
    /// Input side of the forward workloads (224: ImageNet).
    public var size: Int
    public var extras: Set<Extra>
    /// Only workloads whose name contains this text.
    public var only: String?
    /// Checkpoints whose forward pass is timed at 28² (Fashion-MNIST).
    public var checkpoints: [String]
    /// The Winograd dispatch of the model workloads (the cost model unless an A/B run sets the older rule).
    public var winograd: WinogradDispatch = .costModel
    /// Whether the forward workloads keep their weights packed between calls (`Module.withPackedWeights`, as
    /// `predict` and evaluation run) or let every sgemm call pack them (the A/B baseline).
    public var weightPacking: WeightPacking = .packedOnce

    /// How the forward workloads' convolutions get their weights to OpenBLAS's micro-kernel.
    public enum WeightPacking: Sendable {
        /// Packed on the first forward that gains from it, reused after (`Module.withPackedWeights`).
        case packedOnce
        /// Packed by `cblas_sgemm` on every call.
        case perCall
    }

    /// A configuration; `threads`, `iterations`, `batch` and `size` must be positive.
    public init(threads: [Int] = [1, 2], iterations: Int = 5, batch: Int = 8, size: Int = 224, extras: Set<Extra> = [],
                only: String? = nil, checkpoints: [String] = []) {
        self.threads = threads; self.iterations = iterations; self.batch = batch; self.size = size
        self.extras = extras; self.only = only; self.checkpoints = checkpoints
    }

    /// Whether the workload `name` is selected by `only`.
    func selects(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }
}
