/// Batch normalisation over channels (`nn.BatchNorm2d`) with PyTorch's state-dict names:
/// weight, bias, running_mean, running_var, num_batches_tracked.
public final class BatchNorm2D: Module {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVar: Parameter
    public let numBatchesTracked: Parameter
    public let eps: Float
    /// Weight of a new batch in the running statistics (PyTorch's momentum); BN recalibration sets 1/(k+1)
    /// for batch k, a cumulative average.
    public var momentum: Float
    /// False while only the running statistics are wanted (BN recalibration): a training-mode forward then keeps
    /// nothing for backward, so a pass over the model holds no BN input after its layer.
    public var keepsInputForBackward = true
    /// Saved by a training-mode forward: input, batch mean and 1/std per channel, and the element count per channel
    /// the statistics are over (every rank's, when synchronised).
    private var saved: (x: Tensor, mean: Tensor, invStd: Tensor, count: Int)?

    /// Synchronised BatchNorm for data-parallel training: when set, every training-mode forward and backward passes
    /// its per-channel sums (and element count) through it to be summed in place over all ranks of the job, so the
    /// batch statistics are those of the global batch. nil (one process): local statistics, as always.
    nonisolated(unsafe) public static var statisticsReducer: ((UnsafeMutableBufferPointer<Double>) -> Void)?

    public var channels: Int { weight.shape[0] }

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        weight = Parameter(Tensor(repeating: 1, shape: [channels]))
        bias = Parameter(Tensor(zeros: [channels]))
        runningMean = Parameter(Tensor(zeros: [channels]), isBuffer: true)
        runningVar = Parameter(Tensor(repeating: 1, shape: [channels]), isBuffer: true)
        numBatchesTracked = Parameter(Tensor(zeros: []), isBuffer: true, isInteger: true)
        self.eps = eps
        self.momentum = momentum
    }

    public override var localParameters: [(String, Parameter)] {
        [
            ("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar),
            ("num_batches_tracked", numBatchesTracked),
        ]
    }

    /// Eval-mode BN as a per-channel affine: y = x·scale + shift.
    public func inferenceScaleShift() -> (scale: Tensor, shift: Tensor) {
        let C = channels
        let scale = Tensor(uninitialized: [C])
        let shift = Tensor(uninitialized: [C])
        let w = weight.value.pointer
        let b = bias.value.pointer
        let m = runningMean.value.pointer
        let v = runningVar.value.pointer
        for c in 0..<C {
            let s = w[c] / (v[c] + eps).squareRoot()
            scale.pointer[c] = s
            shift.pointer[c] = b[c] - m[c] * s
        }
        return (scale, shift)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 2 && x.shape[1] == channels, "batchnorm expects \(channels) channels, got \(x.shape)")
        if training { return forwardTraining(x) }
        let (s, b) = inferenceScaleShift()
        return Elementwise.channelAffine(x, scale: s, shift: b)
    }

    /// Normalises with batch statistics and updates the running statistics (PyTorch semantics:
    /// running_var uses the unbiased batch variance).
    private func forwardTraining(_ x: Tensor) -> Tensor {
        let N = x.shape[0]
        let C = channels
        let HW = x.count / max(N * C, 1)
        let mean = Tensor(zeros: [C])
        let invStd = Tensor(zeros: [C])
        let xp = x.pointer
        let rm = runningMean.value.pointer
        let rv = runningVar.value.pointer
        let momentum = self.momentum
        let eps = Double(self.eps)
        let reduce = Self.statisticsReducer
        // Two passes (mean, then centred squares) in Float with Double accumulation per row; between them (and
        // after the second) the sums of all ranks are added when synchronised. [C sums, element count].
        var stats = [Double](repeating: 0, count: C + 1)
        stats[C] = Double(N * HW)
        stats.withUnsafeMutableBufferPointer { sp in
            let sums = sp.baseAddress!
            Engine.parallelChunks(C) { range in
                for c in range {
                    var s: Double = 0
                    for n in 0..<N { s += Double(Reduction.sum(xp + (n * C + c) * HW, count: HW)) }
                    sums[c] = s
                }
            }
            reduce?(sp)
        }
        let M = Int(stats[C])
        for c in 0..<C { mean.pointer[c] = Float(stats[c] / Double(M)) }
        stats.withUnsafeMutableBufferPointer { sp in
            let sums = sp.baseAddress!
            Engine.parallelChunks(C) { range in
                for c in range {
                    let mu = mean.pointer[c]
                    var s2: Double = 0
                    for n in 0..<N {
                        s2 += Double(Reduction.squaredDeviations(xp + (n * C + c) * HW, count: HW, mean: mu))
                    }
                    sums[c] = s2
                }
            }
            sp[C] = 0
            reduce?(sp)
        }
        for c in 0..<C {
            let variance = stats[c] / Double(M)
            invStd.pointer[c] = Float(1 / (variance + eps).squareRoot())
            let unbiased = M > 1 ? variance * Double(M) / Double(M - 1) : variance
            rm[c] = (1 - momentum) * rm[c] + momentum * mean.pointer[c]
            rv[c] = (1 - momentum) * rv[c] + momentum * Float(unbiased)
        }
        numBatchesTracked.value.pointer[0] += 1
        saved = keepsInputForBackward ? (x, mean, invStd, M) : nil
        let scale = Tensor(uninitialized: [C])
        let shift = Tensor(uninitialized: [C])
        for c in 0..<C {
            scale.pointer[c] = weight.value.pointer[c] * invStd.pointer[c]
            shift.pointer[c] = bias.value.pointer[c] - mean.pointer[c] * scale.pointer[c]
        }
        return Elementwise.channelAffine(x, scale: scale, shift: shift)
    }

    /// dL/dx, dL/dγ, dL/dβ of batch-statistics normalisation:
    /// dx = γ·σ⁻¹/M · (M·dy − Σdy − x̂·Σ(dy·x̂)).
    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let (x, mean, invStd, count) = saved else {
            preconditionFailure("BatchNorm2D.backward without a training-mode forward")
        }
        let N = x.shape[0]
        let C = channels
        let HW = x.count / max(N * C, 1)
        let M = Float(count)
        let gy = gradOutput
        let gx = Tensor(uninitialized: x.shape)
        let gGamma = Tensor(zeros: [C])
        let gBeta = Tensor(zeros: [C])
        let xp = x.pointer
        let gyp = gy.pointer
        let gxp = gx.pointer
        Engine.parallelChunks(C) { range in
            for c in range {
                let mu = mean.pointer[c]
                let inv = invStd.pointer[c]
                var sdy: Float = 0
                var sdyx: Float = 0
                for n in 0..<N {
                    let o = (n * C + c) * HW
                    let (s, d) = Reduction.sumAndCentredDot(gyp + o, xp + o, count: HW, mean: mu)
                    sdy += s
                    sdyx += d * inv
                }
                gGamma.pointer[c] = sdyx
                gBeta.pointer[c] = sdy
            }
        }
        // This rank's γ and β gradients stay local (the trainer all-reduces every gradient); dx needs the sums of
        // the whole global batch.
        var (sumDy, sumDyX) = (gBeta, gGamma)
        if let reduce = Self.statisticsReducer {
            var sums = (0..<C).map { Double(gBeta.pointer[$0]) } + (0..<C).map { Double(gGamma.pointer[$0]) }
            sums.withUnsafeMutableBufferPointer { reduce($0) }
            (sumDy, sumDyX) = (Tensor(uninitialized: [C]), Tensor(uninitialized: [C]))
            for c in 0..<C {
                sumDy.pointer[c] = Float(sums[c])
                sumDyX.pointer[c] = Float(sums[C + c])
            }
        }
        Engine.parallelChunks(C) { range in
            for c in range {
                let mu = mean.pointer[c]
                let inv = invStd.pointer[c]
                let sdy = sumDy.pointer[c]
                let sdyx = sumDyX.pointer[c]
                let k = self.weight.value.pointer[c] * inv / M
                for n in 0..<N {
                    let o = (n * C + c) * HW
                    for i in 0..<HW { gxp[o + i] = k * (M * gyp[o + i] - sdy - (xp[o + i] - mu) * inv * sdyx) }
                }
            }
        }
        weight.accumulate(gGamma)
        bias.accumulate(gBeta)
        saved = nil
        return gx
    }

    /// A convolution equal to `bn(conv(x))` in eval mode: weights scaled per output channel, bias added.
    public func folded(into conv: Conv2D) -> Conv2D {
        precondition(
            conv.outChannels == channels, "cannot fold BN(\(channels)) into conv with \(conv.outChannels) outputs")
        let (s, b) = inferenceScaleShift()
        var w = conv.weight.value
        w.makeUnique()
        let per = w.count / channels
        let bias = Tensor(uninitialized: [channels])
        for c in 0..<channels {
            for i in 0..<per { w.pointer[c * per + i] *= s.pointer[c] }
            bias.pointer[c] = (conv.bias?.value.pointer[c] ?? 0) * s.pointer[c] + b.pointer[c]
        }
        return Conv2D(weight: w, bias: bias, stride: conv.stride, padding: conv.padding, groups: conv.groups)
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        profiler.record(kind: "bn", output: input, params: 2 * channels, macs: 0)
        return input
    }
}
