import GhostTensor

/// The Gram matrix K = X Xᵀ of one minibatch of n examples (each example's activations flattened to one
/// feature vector), prepared for the unbiased HSIC estimator: the diagonal zeroed, row sums and total kept.
public struct MinibatchGram {
    /// Examples in the minibatch (n ≥ 4 for the unbiased estimator).
    public let n: Int
    /// K̃: K with its diagonal set to zero (n × n, row-major, Double).
    public let offDiagonal: [Double]
    /// K̃ 1.
    public let rowSums: [Double]
    /// 1ᵀ K̃ 1.
    public let total: Double

    /// From a Gram matrix K (n × n, row-major).
    public init(gram k: [Double], n: Int) {
        precondition(k.count == n * n, "Gram matrix of \(k.count) values is not \(n)×\(n)")
        var kt = k
        for i in 0..<n { kt[i * n + i] = 0 }
        var rows = [Double](repeating: 0, count: n)
        kt.withUnsafeBufferPointer { p in
            for i in 0..<n {
                var s = 0.0
                for j in 0..<n { s += p[i * n + j] }
                rows[i] = s
            }
        }
        self.n = n
        offDiagonal = kt
        rowSums = rows
        total = rows.reduce(0, +)
    }

    /// The linear-kernel Gram matrix of a batch [N, …] (any rank ≥ 2: each example's values are one vector),
    /// computed in double precision (dgemm) so that the estimator's cancellations do not amplify rounding.
    public init(activations x: Tensor) {
        precondition(x.rank >= 2, "expected a batch [N, …], got \(x.shape)")
        let n = x.shape[0]
        let p = x.count / max(n, 1)
        var rows = [Double](repeating: 0, count: n * p)
        rows.withUnsafeMutableBufferPointer { r in for i in 0..<(n * p) { r[i] = Double(x.readPointer[i]) } }
        var k = [Double](repeating: 0, count: n * n)
        rows.withUnsafeBufferPointer { r in
            k.withUnsafeMutableBufferPointer { kp in
                gemm(
                    transB: true, m: n, n: n, k: p, a: r.baseAddress!, lda: p, b: r.baseAddress!, ldb: p,
                    c: kp.baseAddress!, ldc: n)
            }
        }
        self.init(gram: k, n: n)
    }
}

/// Minibatch linear CKA between two representations of the same examples (Nguyen, Raghu & Kornblith 2021):
/// CKA = Σ_b HSIC₁(K_b, L_b) / √(Σ_b HSIC₁(K_b, K_b) · Σ_b HSIC₁(L_b, L_b)), with HSIC₁ the unbiased
/// estimator of Song et al. (2012) and K_b, L_b the linear Gram matrices of minibatch b. Only the three
/// sums are kept, so memory does not grow with the number of examples.
public struct LinearCKA: Codable, Equatable {
    /// Σ_b HSIC₁(K_b, L_b), Σ_b HSIC₁(K_b, K_b), Σ_b HSIC₁(L_b, L_b).
    public private(set) var crossSum = 0.0, selfSumX = 0.0, selfSumY = 0.0
    /// Minibatches and examples accumulated.
    public private(set) var batches = 0, examples = 0

    enum CodingKeys: String, CodingKey {
        case crossSum = "hsic_xy"
        case selfSumX = "hsic_xx"
        case selfSumY = "hsic_yy"
        case batches, examples
    }

    public init() {}

    /// HSIC₁(K, L) = [tr(K̃L̃) + 1ᵀK̃1 · 1ᵀL̃1 / ((n−1)(n−2)) − 2/(n−2) · 1ᵀK̃L̃1] / (n(n−3)).
    public static func hsic(_ k: MinibatchGram, _ l: MinibatchGram) -> Double {
        precondition(k.n == l.n && k.n >= 4, "unbiased HSIC needs two Gram matrices of the same n ≥ 4")
        let n = k.n
        let nd = Double(n)
        var trace = 0.0
        var rowDot = 0.0
        k.offDiagonal.withUnsafeBufferPointer { a in
            l.offDiagonal.withUnsafeBufferPointer { b in
                for i in 0..<(n * n) { trace += a[i] * b[i] }  // tr(K̃L̃) = Σ K̃_ij L̃_ji, both symmetric
            }
        }
        for i in 0..<n { rowDot += k.rowSums[i] * l.rowSums[i] }
        let value = trace + k.total * l.total / ((nd - 1) * (nd - 2)) - 2 / (nd - 2) * rowDot
        return value / (nd * (nd - 3))
    }

    /// Adds one minibatch, given the two representations' Gram matrices over the same examples.
    public mutating func add(_ k: MinibatchGram, _ l: MinibatchGram) {
        crossSum += Self.hsic(k, l)
        selfSumX += Self.hsic(k, k)
        selfSumY += Self.hsic(l, l)
        batches += 1
        examples += k.n
    }

    /// Adds one minibatch of activations [N, …] of each representation (same N, same examples).
    public mutating func add(x: Tensor, y: Tensor) {
        precondition(x.shape[0] == y.shape[0], "the two batches hold \(x.shape[0]) and \(y.shape[0]) examples")
        add(MinibatchGram(activations: x), MinibatchGram(activations: y))
    }

    /// The CKA estimate (nil before any batch, or when a representation has no estimated variance).
    public var value: Double? {
        let d = selfSumX * selfSumY
        guard batches > 0, d > 0 else { return nil }
        return crossSum / d.squareRoot()
    }
}
