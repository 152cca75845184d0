import GhostIO
import GhostTensor

/// How each feature map is scaled before a fit (per image, per channel).
public enum MapNormalization: String, CaseIterable, Codable {
    /// Activations as the network produced them.
    case raw
    /// Each map min-max scaled to [0, 1] (the paper-like default; a constant map becomes 0).
    case minmax
    /// Each map standardised to mean 0, standard deviation 1 (a constant map becomes 0).
    case standardize

    /// Scales `count` values in place.
    public func apply(_ p: UnsafeMutablePointer<Double>, count: Int) {
        switch self {
        case .raw: return
        case .minmax:
            var lo = Double.infinity
            var hi = -Double.infinity
            for i in 0..<count {
                lo = min(lo, p[i])
                hi = max(hi, p[i])
            }
            let s = hi > lo ? 1 / (hi - lo) : 0
            for i in 0..<count { p[i] = (p[i] - lo) * s }
        case .standardize:
            var mean = 0.0
            for i in 0..<count { mean += p[i] }
            mean /= Double(count)
            var v = 0.0
            for i in 0..<count { v += (p[i] - mean) * (p[i] - mean) }
            let s = v > 0 ? 1 / (v / Double(count)).squareRoot() : 0
            for i in 0..<count { p[i] = (p[i] - mean) * s }
        }
    }
}

/// One fitted depthwise filter: target ≈ K ⊛ source + b ("same" zero padding, cross-correlation as in
/// PyTorch's conv2d).
public struct FittedKernel: Codable, Equatable {
    public let d: Int
    /// d × d weights, row-major (dy, dx).
    public let kernel: [Double]
    public let bias: Double
    /// Mean squared error of the fit over every pixel of every image.
    public let mse: Double
    /// 1 − SSE / Σ(target − mean)²: the share of the target's variance the fit explains.
    public let r2: Double
    /// Mean and variance of K ⊛ source over the fitted pixels (bias excluded; with bias fits only):
    /// what a BatchNorm after the depthwise conv sees, so it can be initialised to y + b exactly.
    public var filteredMean: Double?
    public var filteredVariance: Double?

    enum CodingKeys: String, CodingKey { case d, kernel, bias, mse, r2 }

    public init(
        d: Int, kernel: [Double], bias: Double, mse: Double, r2: Double, filteredMean: Double? = nil,
        filteredVariance: Double? = nil
    ) {
        (self.d, self.kernel, self.bias, self.mse, self.r2) = (d, kernel, bias, mse, r2)
        (self.filteredMean, self.filteredVariance) = (filteredMean, filteredVariance)
    }
}

/// Normal equations of d×d depthwise fits accumulated over any number of image batches, so fits can
/// stream over a calibration set. The patch matrix of the largest d is built per batch (im2col, Double) and
/// AᵀA, Aᵀy accumulated with dgemm; every smaller d uses a principal sub-block (its patches are a subset of
/// the larger ones), so the models are nested and the MSE can only fall as d grows.
public struct KernelFitAccumulator {
    public let maxD: Int
    public let bias: Bool
    var gram: [Double]
    var aty: [Double]
    var yy = 0.0, ySum = 0.0
    /// Pixels seen (images × H × W).
    public internal(set) var samples = 0

    var taps: Int { maxD * maxD }
    var cols: Int { taps + (bias ? 1 : 0) }

    public init(maxD: Int, bias: Bool = true) {
        precondition(maxD >= 1 && maxD % 2 == 1, "kernel sizes must be odd and ≥ 1")
        self.maxD = maxD
        self.bias = bias
        let cols = maxD * maxD + (bias ? 1 : 0)
        gram = [Double](repeating: 0, count: cols * cols)
        aty = [Double](repeating: 0, count: cols)
    }

    /// Adds `images` source/target map pairs, each [images, H, W] (already normalised).
    public mutating func add(
        source: UnsafePointer<Double>, target: UnsafePointer<Double>, images: Int, height H: Int, width W: Int
    ) {
        let D = maxD
        let r = D / 2
        let taps = self.taps
        let cols = self.cols
        let bias = self.bias
        let perChunk = max(1, 4096 / max(H * W, 1))
        var patches = [Double](repeating: 0, count: perChunk * H * W * cols)
        var image = 0
        while image < images {
            let n = min(images - image, perChunk)
            let rows = n * H * W
            patches.withUnsafeMutableBufferPointer { P in
                for i in 0..<n {
                    let x = source + (image + i) * H * W
                    for y in 0..<H {
                        for xx in 0..<W {
                            let row = P.baseAddress! + ((i * H + y) * W + xx) * cols
                            for dy in -r...r {
                                let sy = y + dy
                                for dx in -r...r {
                                    let sx = xx + dx
                                    row[(dy + r) * D + dx + r] =
                                        sy >= 0 && sy < H && sx >= 0 && sx < W ? x[sy * W + sx] : 0
                                }
                            }
                            if bias { row[taps] = 1 }
                        }
                    }
                }
                let t = target + image * H * W
                for i in 0..<rows {
                    yy += t[i] * t[i]
                    ySum += t[i]
                }
                gram.withUnsafeMutableBufferPointer { G in
                    gemm(
                        transA: true, m: cols, n: cols, k: rows, a: P.baseAddress!, lda: cols, b: P.baseAddress!,
                        ldb: cols,
                        beta: 1, c: G.baseAddress!, ldc: cols)
                }
                aty.withUnsafeMutableBufferPointer { B in
                    gemm(
                        transA: true, m: cols, n: 1, k: rows, a: P.baseAddress!, lda: cols, b: t, ldb: 1,
                        beta: 1, c: B.baseAddress!, ldc: 1)
                }
            }
            samples += rows
            image += n
        }
    }

    /// The exact least-squares fit for each size in `sizes` (odd, ≤ maxD).
    public func solve(sizes: [Int]) -> [FittedKernel] {
        precondition(
            sizes.allSatisfy { $0 >= 1 && $0 % 2 == 1 && $0 <= maxD }, "kernel sizes must be odd and ≤ \(maxD)")
        let D = maxD
        let r = D / 2
        let cols = self.cols
        let M = Double(max(samples, 1))
        let variance = max(yy - ySum * ySum / M, 0)
        return sizes.map { d in
            // Columns of the d×d sub-kernel inside the D×D patch (+ the bias column).
            let s = d / 2
            var idx: [Int] = []
            for dy in -s...s { for dx in -s...s { idx.append((dy + r) * D + dx + r) } }
            if bias { idx.append(taps) }
            let k = idx.count
            var a = [Double](repeating: 0, count: k * k)
            var b = [Double](repeating: 0, count: k)
            for i in 0..<k {
                b[i] = aty[idx[i]]
                for j in 0..<k { a[i * k + j] = gram[idx[i] * cols + idx[j]] }
            }
            let w = KernelFit.solveSPD(a, b, n: k)
            // SSE = yᵀy − 2 wᵀb + wᵀAw (exact for any w, so a regularised solve is scored honestly).
            var wb = 0.0
            var waw = 0.0
            for i in 0..<k {
                wb += w[i] * b[i]
                var t = 0.0
                for j in 0..<k { t += a[i * k + j] * w[j] }
                waw += w[i] * t
            }
            let sse = max(yy - 2 * wb + waw, 0)
            // Mean and variance of the filtered map K ⊛ x (bias excluded), from the same sums.
            var mean = 0.0
            var square = 0.0
            if bias { for i in 0..<(d * d) { mean += w[i] * a[(d * d) * k + i] } }
            for i in 0..<(d * d) { for j in 0..<(d * d) { square += w[i] * a[i * k + j] * w[j] } }
            mean /= M
            return FittedKernel(
                d: d, kernel: Array(w[0..<(d * d)]), bias: bias ? w[d * d] : 0, mse: sse / M,
                r2: variance > 0 ? 1 - sse / variance : (sse == 0 ? 1 : 0),
                filteredMean: bias ? mean : nil, filteredVariance: bias ? max(square / M - mean * mean, 0) : nil)
        }
    }
}

/// Exact least-squares fits of d×d depthwise kernels between two feature maps over several images.
public enum KernelFit {
    /// Fits every size in `sizes` (odd, ≥ 1) mapping `source` to `target`, both [images, height, width]
    /// already normalised.
    public static func fit(
        source: [Double], target: [Double], images: Int, height H: Int, width W: Int,
        sizes: [Int], bias: Bool = true
    ) -> [FittedKernel] {
        precondition(sizes.allSatisfy { $0 >= 1 && $0 % 2 == 1 }, "kernel sizes must be odd and ≥ 1")
        precondition(source.count == images * H * W && target.count == source.count)
        var acc = KernelFitAccumulator(maxD: sizes.max() ?? 1, bias: bias)
        source.withUnsafeBufferPointer { s in
            target.withUnsafeBufferPointer { t in
                acc.add(source: s.baseAddress!, target: t.baseAddress!, images: images, height: H, width: W)
            }
        }
        return acc.solve(sizes: sizes)
    }

    /// Solves A w = b for symmetric positive semi-definite A by Cholesky; a singular system (a map that is
    /// zero everywhere, say) gets the smallest diagonal ridge that makes it factorisable, which picks the
    /// minimum-norm-like solution. Non-finite sums (NaN or ±∞ in the maps) give NaN weights at once, and the ridge
    /// search is bounded, so no input can make it loop (callers check their maps with `PairFitting.checkFinite`).
    static func solveSPD(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        let unsolvable = [Double](repeating: .nan, count: n)
        guard a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return unsolvable }
        var scale = 0.0
        for i in 0..<n { scale = max(scale, a[i * n + i]) }
        if scale == 0 { return [Double](repeating: 0, count: n) }
        var ridge = 0.0
        // From 1e-12 · scale up to 1e12 · scale: a ridge that large always factorises a finite PSD matrix.
        for _ in 0..<26 {
            if let w = cholesky(a, b, n: n, ridge: ridge) { return w }
            ridge = ridge == 0 ? scale * 1e-12 : ridge * 10
        }
        return unsolvable
    }

    private static func cholesky(_ a: [Double], _ b: [Double], n: Int, ridge: Double) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var diag = a[j * n + j] + ridge
            for k in 0..<j { diag -= l[j * n + k] * l[j * n + k] }
            guard diag > a[j * n + j] * 1e-13 + 1e-300 else { return nil }
            let ljj = diag.squareRoot()
            l[j * n + j] = ljj
            for i in (j + 1)..<max(n, j + 1) {
                var v = a[i * n + j]
                for k in 0..<j { v -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = v / ljj
            }
        }
        var z = b
        for i in 0..<n {
            for k in 0..<i { z[i] -= l[i * n + k] * z[k] }
            z[i] /= l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<max(n, i + 1) { z[i] -= l[k * n + i] * z[k] }
            z[i] /= l[i * n + i]
        }
        return z
    }

    /// Applies a fitted kernel to one map [H, W] ("same" zero padding): the fitted target.
    public static func apply(_ f: FittedKernel, to x: [Double], height H: Int, width W: Int) -> [Double] {
        let s = f.d / 2
        var out = [Double](repeating: f.bias, count: H * W)
        for y in 0..<H {
            for xx in 0..<W {
                var v = f.bias
                for dy in -s...s where y + dy >= 0 && y + dy < H {
                    for dx in -s...s where xx + dx >= 0 && xx + dx < W {
                        v += f.kernel[(dy + s) * f.d + dx + s] * x[(y + dy) * W + xx + dx]
                    }
                }
                out[y * W + xx] = v
            }
        }
        return out
    }
}
