import GhostTensor

/// Everything a pair's fits need, summed batch by batch over a layer's maps so a fit never holds every image: the
/// normal equations of the report's normalisation (and of the other normalisations for the Figure-1 pairs), and
/// the raw moments of the Pearson r. Sums are shifted by the first batch's means, so r matches the two-pass value.
public struct PairFitSums {
    /// Source and target channels.
    public let a: Int, b: Int
    /// Normal equations in the report's normalisation.
    public var main: KernelFitAccumulator
    /// Normal equations in each other normalisation (Figure-1 pairs only; else empty).
    public var others: [MapNormalization: KernelFitAccumulator]
    /// Σu, Σv, Σu², Σv², Σuv of the raw maps, after subtracting `shift`; `count` values each.
    public var su = 0.0, sv = 0.0, suu = 0.0, svv = 0.0, suv = 0.0, count = 0
    /// The first batch's means of u and v.
    public var shift: (u: Double, v: Double)?

    /// Empty sums for fits of odd sizes up to `maxD`; `otherModes` are also fitted.
    public init(a: Int, b: Int, maxD: Int, bias: Bool, otherModes: [MapNormalization] = []) {
        (self.a, self.b) = (a, b)
        main = KernelFitAccumulator(maxD: maxD, bias: bias)
        others = Dictionary(uniqueKeysWithValues: otherModes.map { ($0, KernelFitAccumulator(maxD: maxD, bias: bias)) })
    }

    /// Adds a batch of activations [n, C, H, W], each map normalised on its own with `normalization`.
    public mutating func add(_ x: Tensor, normalization: MapNormalization) {
        let (n, H, W) = (x.shape[0], x.shape[2], x.shape[3])
        func accumulate(_ acc: inout KernelFitAccumulator, _ mode: MapNormalization) {
            let u = PairFitting.maps(x, channel: a, normalization: mode)
            let v = PairFitting.maps(x, channel: b, normalization: mode)
            u.withUnsafeBufferPointer { s in v.withUnsafeBufferPointer { t in
                acc.add(source: s.baseAddress!, target: t.baseAddress!, images: n, height: H, width: W)
            } }
        }
        accumulate(&main, normalization)
        for mode in others.keys.sorted(by: { $0.rawValue < $1.rawValue }) { accumulate(&others[mode]!, mode) }
        let u = PairFitting.maps(x, channel: a, normalization: .raw)
        let v = PairFitting.maps(x, channel: b, normalization: .raw)
        guard !u.isEmpty else { return }
        let k = shift ?? (u.reduce(0, +) / Double(u.count), v.reduce(0, +) / Double(v.count))
        shift = k
        u.withUnsafeBufferPointer { u in v.withUnsafeBufferPointer { v in
            for i in 0..<u.count {
                let p = u[i] - k.u, q = v[i] - k.v
                su += p; sv += q; suu += p * p; svv += q * q; suv += p * q
            }
        } }
        count += u.count
    }

    /// Pearson r of the raw maps over every pixel seen (0 when either map is constant).
    public var correlation: Float {
        let n = Double(max(count, 1))
        let cuv = suv - su * sv / n, cuu = suu - su * su / n, cvv = svv - sv * sv / n
        return cuu > 0 && cvv > 0 ? Float(cuv / (cuu * cvv).squareRoot()) : 0
    }
}
