extension Engine {
    /// Runs `body(worker, partial)` on `workers` workers, each with its own zeroed buffer of `count` floats, then
    /// adds the buffers into `total` in worker order: how the backward kernels sum weight gradients without locks.
    @inline(__always)
    static func parallelPartialSums(
        _ workers: Int, count: Int, into total: UnsafeMutablePointer<Float>,
        _ body: (_ worker: Int, _ partial: UnsafeMutablePointer<Float>) -> Void
    ) {
        let partial = (0..<workers).map { _ in Scratch(count) }
        parallelFor(workers) { w in
            partial[w].pointer.update(repeating: 0, count: count)
            body(w, partial[w].pointer)
        }
        for p in partial { for i in 0..<count { total[i] += p.pointer[i] } }
    }
}
