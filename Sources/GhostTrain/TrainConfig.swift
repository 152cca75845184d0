import GhostData
import GhostIO
import GhostModels

/// Where a training run's weights come from.
public enum TrainStart: Equatable {
    /// A freshly initialised model of this architecture.
    case fresh(Architecture)
    /// Continue an interrupted run from its checkpoint (weights, optimiser state, position, history).
    case resume(String)
    /// Start from the weights and architecture of a checkpoint (fine-tuning, e.g. a converted Ghost-ResNet).
    case initialise(from: String)
}

/// Knowledge distillation from a teacher checkpoint: T²·KL(soft) · α + CE · (1 − α).
public struct DistillationConfig: Equatable {
    public var teacher: String
    public var temperature: Float
    public var weight: Float
    public init(teacher: String, temperature: Float = 4, weight: Float = 0.5) {
        self.teacher = teacher
        self.temperature = temperature
        self.weight = weight
    }
}

/// Everything a training run needs besides its data: the typed form of `ghostkit train`'s flags.
public struct TrainConfig {
    public var start: TrainStart
    /// Checkpoint path, written atomically after every epoch; side files share its stem.
    public var out: String
    public var epochs = 10
    public var batchSize = 128
    public var optimizer: OptimizerKind = .sgd
    /// Peak learning rate; nil: 0.1 for SGD, 0.001 for Adam/AdamW.
    public var learningRate: Float?
    public var momentum: Float = 0.9
    public var nesterov = false
    /// Coupled L2 for SGD/Adam, decoupled for AdamW; nil: 5e-4, or 0.01 for AdamW.
    public var weightDecay: Float?
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var eps: Float = 1e-8
    /// Linear warm-up length in epochs (fractional allowed), then cosine decay to 0.
    public var warmupEpochs: Double = 1
    public var labelSmoothing: Float = 0
    /// Global gradient-norm clip (nil = off).
    public var clipNorm: Float?
    public var augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
    public var seed: UInt64 = 0
    /// Storage dtype of the final checkpoint (intermediate ones are F32).
    public var dtype: SafetensorsDType = .F32
    public var distillation: DistillationConfig?
    /// Behave as if interrupted after this many batches of this run (tests of resume).
    public var stopAfter: Int?
    /// Worker threads, recorded in the provenance (the engine is configured by the caller).
    public var threads = 1
    /// The command line recorded in the checkpoint's history.
    public var commandLine = ""

    public init(start: TrainStart, out: String) {
        self.start = start
        self.out = out
    }

    public var resolvedLearningRate: Float { learningRate ?? (optimizer == .sgd ? 0.1 : 1e-3) }
    public var resolvedWeightDecay: Float { weightDecay ?? (optimizer == .adamw ? 0.01 : 5e-4) }

    /// The first problem with these settings, as a message naming the flag, or nil.
    public func problem() -> String? {
        let (lr, wd) = (resolvedLearningRate, resolvedWeightDecay)
        let checks: [(Bool, String)] = [
            (epochs >= 1, "--epochs must be ≥ 1 (got \(epochs))"),
            (batchSize >= 1, "--batch-size must be ≥ 1 (got \(batchSize))"),
            (lr > 0 && lr.isFinite, "--lr must be a finite number > 0 (got \(lr))"),
            ((0..<1).contains(momentum), "--momentum must be in [0, 1) (got \(momentum))"),
            (wd >= 0 && wd.isFinite, "--weight-decay must be ≥ 0 (got \(wd))"),
            (augmentation.cropPadding >= 0, "--crop-padding must be ≥ 0 (got \(augmentation.cropPadding))"),
            ((0..<1).contains(beta1), "--beta1 must be in [0, 1) (got \(beta1))"),
            ((0..<1).contains(beta2), "--beta2 must be in [0, 1) (got \(beta2))"),
            (eps >= 0, "--eps must be ≥ 0 (got \(eps))"),
            (warmupEpochs >= 0 && warmupEpochs.isFinite, "--warmup-epochs must be ≥ 0 (got \(warmupEpochs))"),
            ((0..<1).contains(labelSmoothing), "--label-smoothing must be in [0, 1) (got \(labelSmoothing))"),
        ]
        if let failed = checks.first(where: { !$0.0 }) { return failed.1 }
        guard optimizer == .sgd || !nesterov else { return "--nesterov applies to --optimizer sgd" }
        guard [.F32, .F16, .BF16].contains(dtype) else { return "--dtype must be F32, F16 or BF16" }
        if let d = distillation, !(d.temperature > 0 && (0...1).contains(d.weight)) {
            return d.temperature > 0 ? "--kd-weight must be in [0, 1] (got \(d.weight))"
                : "--kd-temperature must be > 0 (got \(d.temperature))"
        }
        return nil
    }

    /// The hyper-parameters as one line, stored in the checkpoint as "ghostkit.train_config".
    func summary(architecture: Architecture, initSHA: String?, teacherSHA: String?) -> String {
        let optimizerConfig = optimizer == .sgd ? "momentum=\(momentum) nesterov=\(nesterov)"
            : "optimizer=\(optimizer.rawValue) beta1=\(beta1) beta2=\(beta2) eps=\(eps)"
        var s = "arch=\(architecture.json) epochs=\(epochs) batch=\(batchSize) lr=\(resolvedLearningRate) "
        s += "\(optimizerConfig) wd=\(resolvedWeightDecay) warmup=\(warmupEpochs) ls=\(labelSmoothing) "
        s += "crop=\(augmentation.cropPadding) flip=\(augmentation.horizontalFlip) seed=\(seed) threads=\(threads)"
        if case .initialise(let path) = start, let initSHA { s += " init=\(path) init_sha256=\(initSHA)" }
        if let d = distillation, let teacherSHA {
            s += " teacher=\(d.teacher) teacher_sha256=\(teacherSHA) kd_t=\(d.temperature) kd_alpha=\(d.weight)"
        }
        return s
    }
}

/// The two splits a run trains and evaluates on, with the normalisation of its inputs.
public struct TrainData {
    public let train: ImageDataset
    public let test: ImageDataset
    /// The training split's normalisation (a resumed or fine-tuned model keeps its checkpoint's instead).
    public let normalization: Normalization
    public init(train: ImageDataset, test: ImageDataset, normalization: Normalization) {
        self.train = train
        self.test = test
        self.normalization = normalization
    }
}
