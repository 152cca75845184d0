extension Engine {
    /// Runs `body(worker, partial)` on `workers` workers, each adding into its own buffer of `count` floats, then
    /// adds the buffers into `total` in worker order: how the backward kernels sum weight gradients without locks.
    /// Worker 0's buffer is `total` itself (bodies only ever add), so one worker needs no extra buffer.
    @inline(__always)
    static func parallelPartialSums(
        _ workers: Int, count: Int, into total: UnsafeMutablePointer<Float>,
        _ body: (_ worker: Int, _ partial: UnsafeMutablePointer<Float>) -> Void
    ) {
        let partial = (1..<max(workers, 1)).map { _ in Scratch(count) }
        parallelFor(workers) { w in
            if w == 0 { return body(0, total) }
            partial[w - 1].pointer.update(repeating: 0, count: count)
            body(w, partial[w - 1].pointer)
        }
        for p in partial { for i in 0..<count { total[i] += p.pointer[i] } }
    }
}
