import Foundation

/// Efficient channel attention (Wang et al. 2020): global average pool → 1-D conv across channels with an
/// adaptive odd kernel k, no bias → sigmoid → x · gate. Weight `conv.weight` [1, 1, k] as `nn.Conv1d(1, 1, k)`.
public final class ECA: Module {
    public let weight: Parameter
    public var kernelSize: Int { weight.shape[2] }
    private var saved: (x: Tensor, squeezed: Tensor, gate: Tensor)?

    /// k = |(log₂ C + b)/γ| truncated, made odd by adding 1 (the official ECA rule; γ = 2, b = 1).
    public static func kernelSize(channels: Int, gamma: Double = 2, b: Double = 1) -> Int {
        let t = Int(abs((log2(Double(max(channels, 1))) + b) / gamma))
        return t % 2 == 1 ? t : t + 1
    }

    public init(channels: Int, rng: inout SplitMix64) {
        let k = Self.kernelSize(channels: channels)
        weight = Parameter(Tensor(uniform: [1, 1, k], bound: 1 / Float(k).squareRoot(), rng: &rng))
    }

    public override var localParameters: [(String, Parameter)] { [("conv.weight", weight)] }

    /// z[n, c] = Σⱼ w[j] · s[n, c + j − k/2] (zero outside 0..<C).
    private func conv(_ s: Tensor, N: Int, C: Int) -> Tensor {
        let k = kernelSize, p = k / 2, w = weight.value.pointer, sp = s.pointer
        let z = Tensor(zeros: [N, C])
        for n in 0..<N {
            for c in 0..<C {
                var acc: Float = 0
                for j in 0..<k { let ci = c + j - p; if ci >= 0 && ci < C { acc += w[j] * sp[n * C + ci] } }
                z.pointer[n * C + c] = acc
            }
        }
        return z
    }

    public override func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "ECA expects [N, C, H, W], got \(x.shape)")
        let N = x.shape[0], C = x.shape[1]
        let s = Pooling.globalAvgPool(x)
        let g = Activation.apply(.sigmoid, conv(s, N: N, C: C))
        if training { saved = (x, s, g) }
        return ChannelGate.apply(x, gate: g)
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let (x, s, g) = saved else { preconditionFailure("ECA.backward without a training-mode forward") }
        saved = nil
        let N = x.shape[0], C = x.shape[1], k = kernelSize, p = k / 2
        let (gx, gg) = ChannelGate.backward(x: x, gate: g, gradOutput: gradOutput)
        let dz = gg.pointer, gp = g.pointer, sp = s.pointer, w = weight.value.pointer
        for i in 0..<(N * C) { dz[i] *= gp[i] * (1 - gp[i]) }
        let gw = Tensor(zeros: [1, 1, k]), gs = Tensor(zeros: [N, C])
        for n in 0..<N {
            for c in 0..<C {
                let d = dz[n * C + c]
                for j in 0..<k {
                    let ci = c + j - p
                    guard ci >= 0 && ci < C else { continue }
                    gw.pointer[j] += d * sp[n * C + ci]
                    gs.pointer[n * C + ci] += d * w[j]
                }
            }
        }
        weight.accumulate(gw)
        return Elementwise.add(gx, PoolingBackward.globalAvgPool(inputShape: x.shape, gradOutput: gs))
    }

    /// k MACs per channel for the 1-D conv.
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        profiler.record(kind: "eca", output: input, params: kernelSize, macs: input[0] * input[1] * kernelSize)
        return input
    }
}
