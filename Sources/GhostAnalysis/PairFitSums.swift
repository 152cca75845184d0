import GhostDistributed
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

extension PairFitSums {
    /// Sums every rank's `sums` (the same pairs in the same order on every rank) so each rank holds the sums over
    /// all ranks' images, as if one process had seen them all. The Pearson moments are first moved to a common
    /// shift, the image-weighted mean of the ranks' shifts (a rank's own shift when it is alone: nothing changes).
    public static func allReduce(_ sums: inout [PairFitSums], _ comm: Communicator) {
        guard comm.size > 1, !sums.isEmpty else { return }
        var shifts = [Double](repeating: 0, count: sums.count * 3)
        for (i, p) in sums.enumerated() {
            guard let k = p.shift else { continue }
            let n = Double(p.count)
            (shifts[3 * i], shifts[3 * i + 1], shifts[3 * i + 2]) = (n * k.u, n * k.v, n)
        }
        comm.allReduceSum(&shifts)
        var moments = [Double](repeating: 0, count: sums.count * 6)
        for i in sums.indices where shifts[3 * i + 2] > 0 {
            let common = (u: shifts[3 * i] / shifts[3 * i + 2], v: shifts[3 * i + 1] / shifts[3 * i + 2])
            let p = sums[i], n = Double(p.count), k = p.shift ?? common
            let du = k.u - common.u, dv = k.v - common.v
            moments[6 * i] = p.su + n * du
            moments[6 * i + 1] = p.sv + n * dv
            moments[6 * i + 2] = p.suu + 2 * du * p.su + n * du * du
            moments[6 * i + 3] = p.svv + 2 * dv * p.sv + n * dv * dv
            moments[6 * i + 4] = p.suv + du * p.sv + dv * p.su + n * du * dv
            moments[6 * i + 5] = n
            sums[i].shift = common
        }
        comm.allReduceSum(&moments)
        for i in sums.indices where shifts[3 * i + 2] > 0 {
            (sums[i].su, sums[i].sv, sums[i].suu) = (moments[6 * i], moments[6 * i + 1], moments[6 * i + 2])
            (sums[i].svv, sums[i].suv) = (moments[6 * i + 3], moments[6 * i + 4])
            sums[i].count = Int(moments[6 * i + 5])
        }
        func modes(_ p: PairFitSums) -> [MapNormalization] { p.others.keys.sorted { $0.rawValue < $1.rawValue } }
        var accumulators = sums.flatMap { p in [p.main] + modes(p).map { p.others[$0]! } }
        KernelFitAccumulator.allReduce(&accumulators, comm)
        var next = 0
        for i in sums.indices {
            sums[i].main = accumulators[next]; next += 1
            for mode in modes(sums[i]) {
                sums[i].others[mode] = accumulators[next]; next += 1
            }
        }
    }
}

extension KernelFitAccumulator {
    /// Sums every rank's normal equations (the same accumulators in the same order on every rank) in one
    /// all-reduce, so each rank can solve the fits over all ranks' images.
    public static func allReduce(_ accumulators: inout [KernelFitAccumulator], _ comm: Communicator) {
        guard comm.size > 1, !accumulators.isEmpty else { return }
        let sizes = accumulators.map { $0.gram.count + $0.aty.count + 3 }
        var buffer = [Double](repeating: 0, count: sizes.reduce(0, +))
        var at = 0
        for a in accumulators {
            for v in a.gram + a.aty + [a.yy, a.ySum, Double(a.samples)] { buffer[at] = v; at += 1 }
        }
        comm.allReduceSum(&buffer)
        at = 0
        for i in accumulators.indices {
            let (g, t) = (accumulators[i].gram.count, accumulators[i].aty.count)
            accumulators[i].gram = Array(buffer[at..<(at + g)])
            accumulators[i].aty = Array(buffer[(at + g)..<(at + g + t)])
            accumulators[i].yy = buffer[at + g + t]
            accumulators[i].ySum = buffer[at + g + t + 1]
            accumulators[i].samples = Int(buffer[at + g + t + 2])
            at += sizes[i]
        }
    }
}
