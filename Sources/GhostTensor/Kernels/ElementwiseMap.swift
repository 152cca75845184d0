extension Elementwise {
    /// A new tensor of `a`'s shape whose elements `body(a, b, y, range)` writes, over chunks of at least `minChunk`
    /// elements run in parallel; `b` is the second operand's storage (nil: `a`'s again). The loop of every
    /// element-wise forward and gradient.
    @inline(__always)
    static func map(
        _ a: Tensor, _ b: Tensor? = nil, minChunk: Int,
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void
    ) -> Tensor {
        let y = Tensor(uninitialized: a.shape)
        let ap = UnsafePointer(a.pointer)
        let bp = UnsafePointer((b ?? a).pointer)
        let yp = y.pointer
        Engine.parallelChunks(a.count, minChunk: minChunk) { r in body(ap, bp, yp, r) }
        return y
    }
}
