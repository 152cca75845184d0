import GhostData
import GhostDistributed
import GhostIO
import GhostModels

/// How a conversion initialises the Ghost modules.
public enum ConversionMode: String, Codable {
    /// Intrinsic channels picked from the calibration correlations, cheap kernels fitted by least squares.
    case dataDriven = "data-driven"
    /// The first m filters and identity cheap kernels (the ablation baseline).
    case naive
}

/// What `ghostkit convert` does: the typed form of its flags.
public struct ConversionConfig {
    public var checkpoint: String
    /// Refuse a checkpoint of another architecture (e.g. "resnet18").
    public var expectedArchitecture: String?
    /// Ratio s (m = ⌈n/s⌉ intrinsic channels per conv) and cheap kernel size d.
    public var s = 2, d = 3
    /// `--blocks`: residual blocks to convert (names or globs, a stage name meaning all its blocks); nil: all.
    public var blocks: String?
    public var mode = ConversionMode.dataDriven
    public var calibrationImages = 512
    /// Test images for the accuracy before / after (0 = skip).
    public var evalImages = 10000
    /// AdaBN: re-estimate the Ghost modules' BN statistics on the calibration images.
    public var recalibrate = true
    /// Calibration images (the train split) and test images (the test split), at the model's side unless given.
    public var source = ImageSource.standard, inputSize: Int?
    public var dtype = SafetensorsDType.F32
    /// Redundancy-guided: s and d per conv under MACs ≤ this fraction of the original's (replaces s and d).
    public var macsBudget: Double?
    /// The guided conversion's options per conv, damage model and probe images (with `macsBudget`).
    public var guided = GuidedSearch()
    /// Output checkpoint (nil: outputs/convert-<model>/<model>-ghost-s<s>-d<d>….safetensors).
    public var out: String?
    /// Replace an existing output checkpoint (false: refuse it before any work).
    public var overwrite = true
    /// The job: under mpirun each rank passes its share of the calibration and test batches, the sums are
    /// all-reduced, and rank 0 alone writes the checkpoint.
    public var communicator: Communicator = SingleProcess()

    public init(checkpoint: String) { self.checkpoint = checkpoint }

    /// The first problem with these settings, as a message naming the flag, or nil.
    public func problem() -> String? {
        guard s >= 2 else { return "--s must be ≥ 2 (got \(s))" }
        guard d >= 1, d % 2 == 1 else { return "--d must be odd and ≥ 1 (got \(d))" }
        guard [.F32, .F16, .BF16].contains(dtype) else { return "--dtype must be F32, F16 or BF16" }
        if let f = macsBudget {
            guard f > 0 && f < 1 else { return "--macs-budget must be in (0, 1) (got \(f))" }
            guard blocks == nil && mode == .dataDriven else { return "--macs-budget converts all blocks, data-driven" }
            if let p = guided.problem() { return p }
        }
        guard calibrationImages >= 32 else {
            return "--calibration-images must be ≥ 32 (BN statistics and the d×d fits need them)"
        }
        return nil
    }
}
