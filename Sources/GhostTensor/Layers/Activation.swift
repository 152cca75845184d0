import Foundation

/// A point-wise activation selectable by name (`--activation`), with PyTorch's definitions:
/// relu, leaky-relu (negative slope), gelu (exact erf form, `F.gelu`), sigmoid,
/// hard-sigmoid (`F.hardsigmoid`: relu6(x + 3)/6) and h-swish (`F.hardswish`: x·relu6(x + 3)/6).
public final class Activation: Module {
    public enum Kind: String, CaseIterable, Codable {
        case relu
        case leakyReLU = "leaky-relu"
        case gelu, sigmoid
        case hardSigmoid = "hard-sigmoid"
        case hardSwish = "h-swish"

        /// Parses a name (case-insensitive); the error lists every valid name.
        public init(name: String) throws {
            guard let k = Kind(rawValue: name.lowercased()) else {
                throw GhostError(
                    "unknown activation '\(name)' (valid: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            self = k
        }
    }

    public let kind: Kind
    /// Negative slope of leaky-relu (PyTorch's default 0.01); unused by the other kinds.
    public let slope: Float
    private var savedInput: Tensor?

    public init(_ kind: Kind, slope: Float = 0.01) {
        self.kind = kind
        self.slope = slope
    }

    /// The activation called `name` (see `Kind`), e.g. `try Activation(name: "h-swish")`.
    public convenience init(name: String, slope: Float = 0.01) throws {
        self.init(try Kind(name: name), slope: slope)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        if training { savedInput = x }
        return Self.apply(kind, slope: slope, x)
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = savedInput else { preconditionFailure("Activation.backward without a training-mode forward") }
        savedInput = nil
        return Self.gradient(kind, slope: slope, input: x, gradOutput: gradOutput)
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        profiler.record(kind: kind.rawValue, output: input, params: 0, macs: 0)
        return input
    }

    /// f(x) element-wise.
    public static func apply(_ kind: Kind, slope: Float = 0.01, _ x: Tensor) -> Tensor {
        return Elementwise.map(x, minChunk: 1 << 15) { xp, _, yp, r in
            switch kind {
            case .relu: for i in r { yp[i] = max(xp[i], 0) }
            case .leakyReLU:
                for i in r {
                    let v = xp[i]
                    yp[i] = v > 0 ? v : slope * v
                }
            case .gelu:
                for i in r {
                    let v = xp[i]
                    yp[i] = 0.5 * v * (1 + erf(v * Float(0.5).squareRoot()))
                }
            case .sigmoid: for i in r { yp[i] = 1 / (1 + exp(-xp[i])) }
            case .hardSigmoid: for i in r { yp[i] = min(max(xp[i] + 3, 0), 6) / 6 }
            case .hardSwish:
                for i in r {
                    let v = xp[i]
                    yp[i] = v * min(max(v + 3, 0), 6) / 6
                }
            }
        }
    }

    /// dL/dx = f′(x)·dL/dy element-wise (at the kinks, PyTorch's one-sided choices).
    public static func gradient(_ kind: Kind, slope: Float = 0.01, input x: Tensor, gradOutput gy: Tensor) -> Tensor {
        precondition(x.count == gy.count, "activation gradient: \(gy.shape) for input \(x.shape)")
        return Elementwise.map(x, gy, minChunk: 1 << 15) { xp, gp, dp, r in
            switch kind {
            case .relu: for i in r { dp[i] = xp[i] > 0 ? gp[i] : 0 }
            case .leakyReLU: for i in r { dp[i] = xp[i] > 0 ? gp[i] : slope * gp[i] }
            case .gelu:
                let invSqrt2 = Float(0.5).squareRoot()
                let invSqrt2Pi = 1 / Float(2 * Double.pi).squareRoot()
                for i in r {
                    let v = xp[i]
                    dp[i] = gp[i] * (0.5 * (1 + erf(v * invSqrt2)) + v * invSqrt2Pi * exp(-0.5 * v * v))
                }
            case .sigmoid:
                for i in r {
                    let s = 1 / (1 + exp(-xp[i]))
                    dp[i] = gp[i] * s * (1 - s)
                }
            case .hardSigmoid:
                for i in r {
                    let v = xp[i]
                    dp[i] = v > -3 && v < 3 ? gp[i] / 6 : 0
                }
            case .hardSwish:
                for i in r {
                    let v = xp[i]
                    dp[i] = v < -3 ? 0 : (v <= 3 ? gp[i] * (v / 3 + 0.5) : gp[i])
                }
            }
        }
    }
}
