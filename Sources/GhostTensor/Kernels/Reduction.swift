/// Float sums over a contiguous run with eight partial sums in one SIMD register: a single running sum is one long
/// chain of dependent additions (IEEE addition may not be reordered, so the compiler keeps it scalar).
enum Reduction {
    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σ p[i].
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, count n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n { acc += load(p + i); i += 8 }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Σ (p[i] − mean)².
    @inline(__always)
    static func squaredDeviations(_ p: UnsafePointer<Float>, count n: Int, mean: Float) -> Float {
        let m = SIMD8<Float>(repeating: mean)
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n { let d = load(p + i) - m; acc += d * d; i += 8 }
        var s = acc.sum()
        while i < n { let d = p[i] - mean; s += d * d; i += 1 }
        return s
    }

    /// (Σ a[i], Σ a[i]·(b[i] − mean)).
    @inline(__always)
    static func sumAndCentredDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int,
                                 mean: Float) -> (sum: Float, dot: Float) {
        let m = SIMD8<Float>(repeating: mean)
        var accA = SIMD8<Float>(repeating: 0), accD = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n { let v = load(a + i); accA += v; accD += v * (load(b + i) - m); i += 8 }
        var s = accA.sum(), d = accD.sum()
        while i < n { s += a[i]; d += a[i] * (b[i] - mean); i += 1 }
        return (s, d)
    }
}
