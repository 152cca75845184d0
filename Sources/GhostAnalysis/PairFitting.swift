import GhostIO
import GhostTensor

/// A channel pair of one layer with its kernel fits (source a → target b).
public struct PairFit: Codable {
    public enum Kind: String, Codable { case ghost, random }
    public let layer: String
    public let a: Int
    public let b: Int
    /// Pearson r of the two channels over the scanned images.
    public let correlation: Float
    public let kind: Kind
    /// "red", "green", "blue" for the Figure-1 pairs, else nil.
    public let label: String?
    /// One fit per kernel size, in the normalisation of the report.
    public let fits: [FittedKernel]
    /// MSE per kernel size of the same fit on the other normalisations (for the Figure-1 pairs).
    public let otherNormalizations: [String: [Double]]?

    public init(
        layer: String, a: Int, b: Int, correlation: Float, kind: Kind, label: String?, fits: [FittedKernel],
        otherNormalizations: [String: [Double]]?
    ) {
        self.layer = layer
        self.a = a
        self.b = b
        self.correlation = correlation
        self.kind = kind
        self.label = label
        self.fits = fits
        self.otherNormalizations = otherNormalizations
    }

    enum CodingKeys: String, CodingKey {
        case layer, a, b, correlation, kind, label, fits
        case otherNormalizations = "mse_other_normalizations"
    }

    /// Whether the MSE never rises as d grows (up to rounding).
    public var mseNonIncreasing: Bool {
        zip(fits, fits.dropFirst()).allSatisfy { $1.mse <= $0.mse * (1 + 1e-9) + 1e-15 }
    }
}

/// Fits many channel pairs of one layer's activations [N, C, H, W].
public enum PairFitting {
    /// Channel `c` of every image as Double [N, H, W], each map normalised on its own.
    public static func maps(_ x: Tensor, channel c: Int, normalization: MapNormalization) -> [Double] {
        let (N, C, HW) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        var out = [Double](repeating: 0, count: N * HW)
        out.withUnsafeMutableBufferPointer { o in
            for n in 0..<N {
                let src = x.readPointer + (n * C + c) * HW
                let dst = o.baseAddress! + n * HW
                for i in 0..<HW { dst[i] = Double(src[i]) }
                normalization.apply(dst, count: HW)
            }
        }
        return out
    }

    /// The first NaN or ±∞ of activations [N, C, …]: which image, which channel, and the value; nil when all are
    /// finite.
    public static func firstNonFinite(_ x: Tensor) -> (image: Int, channel: Int, value: Float)? {
        guard let i = x.firstNonFiniteIndex, x.rank >= 2, x.shape[0] > 0, x.shape[1] > 0 else { return nil }
        let perImage = x.count / x.shape[0]
        let perChannel = perImage / x.shape[1]
        return (i / perImage, (i % perImage) / max(perChannel, 1), x.readPointer[i])
    }

    /// Refuses activations with a NaN or ±∞ in them (a least-squares fit of those is meaningless): one line naming
    /// the file they came from, the layer, the channel and the image (`x` holding images from `firstImage` on).
    public static func checkFinite(_ x: Tensor, layer: String, file: String, firstImage: Int = 0) throws {
        guard let bad = firstNonFinite(x) else { return }
        throw GhostError.file(
            file,
            "layer \(layer), channel \(bad.channel) holds \(bad.value) "
                + "(image \(firstImage + bad.image)); "
                + "kernel fits need finite activations")
    }

    /// Fits every pair (source a → target b), pairs spread over the engine's threads.
    public static func fit(
        _ x: Tensor, pairs: [(a: Int, b: Int)], sizes: [Int], normalization: MapNormalization,
        bias: Bool
    ) -> [[FittedKernel]] {
        var results = [[FittedKernel]](repeating: [], count: pairs.count)
        let (N, H, W) = (x.shape[0], x.shape[2], x.shape[3])
        results.withUnsafeMutableBufferPointer { out in
            let out = out
            Engine.parallelFor(pairs.count) { i in
                out[i] = KernelFit.fit(
                    source: maps(x, channel: pairs[i].a, normalization: normalization),
                    target: maps(x, channel: pairs[i].b, normalization: normalization),
                    images: N, height: H, width: W, sizes: sizes, bias: bias)
            }
        }
        return results
    }

    /// `count` distinct random pairs (a ≠ b) of a C-channel layer, none of them in `excluded`, from `seed`.
    public static func randomPairs(
        channels C: Int, count: Int, excluding excluded: [(a: Int, b: Int)], seed: UInt64
    ) -> [(a: Int, b: Int)] {
        var rng = SplitMix64(seed: seed)
        var seen = Set(excluded.flatMap { [$0.a * C + $0.b, $0.b * C + $0.a] })
        let possible = C * (C - 1)
        var out: [(a: Int, b: Int)] = []
        while out.count < min(count, possible - seen.count) {
            let a = Int.random(in: 0..<C, using: &rng)
            let b = Int.random(in: 0..<C, using: &rng)
            guard a != b, seen.insert(a * C + b).inserted else { continue }
            out.append((a, b))
        }
        return out
    }
}
