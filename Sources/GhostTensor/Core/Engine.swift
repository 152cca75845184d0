import CBLAS
import Foundation
import Synchronization

/// Global engine settings: the number of worker threads used by every kernel.
///
/// GhostKit parallelises over tiles/images itself and pins OpenBLAS to one thread inside those
/// loops (two thread pools fighting over the same cores is 1.4–1.8× slower on this machine).
public enum Engine {
    nonisolated(unsafe) private static var _threads: Int = {
        openblas_set_num_threads(1)
        return defaultThreads
    }()

    /// Number of online CPU cores.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Worker threads for engine kernels (≥ 1). Setting it also configures OpenBLAS.
    public static var threads: Int {
        get { _threads }
        set {
            _threads = max(1, newValue)
            openblas_set_num_threads(1)
        }
    }

    /// The threads `parallelFor` runs on, made on first use and remade when `threads` changes.
    private static let pool = Mutex<WorkerPool?>(nil)

    /// Runs `body(i)` for i in 0..<count, spread over `threads` workers (static round-robin: worker w runs
    /// i = w, w + workers, …) on the engine's `WorkerPool`. OpenBLAS stays single-threaded inside. A call made from
    /// inside a body, or while another thread's call runs, runs its indices serially.
    public static func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        let workers = min(threads, count)  // first read also pins OpenBLAS to one thread
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        let size = min(threads, WorkerPool.maxSize)
        let workerPool = pool.withLock { pool in
            if pool?.size != size {
                pool?.stop()
                pool = WorkerPool(size: size)
            }
            return pool!
        }
        if !workerPool.run(count, body) {
            for i in 0..<count { body(i) }
        }
    }

    /// Splits 0..<count into `threads` contiguous chunks and runs `body(range)` on each.
    public static func parallelChunks(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = max(1, min(threads, count / max(minChunk, 1)))
        if workers <= 1 { if count > 0 { body(0..<count) }; return }
        let per = (count + workers - 1) / workers
        parallelFor(workers) { w in
            let lo = w * per, hi = min(count, lo + per)
            if lo < hi { body(lo..<hi) }
        }
    }
}

/// Row-major GEMM in single or double precision: C = alpha · op(A) · op(B) + beta · C (OpenBLAS cblas_sgemm or
/// cblas_dgemm; double where float rounding would limit an exact answer, as in least-squares normal equations).
@inline(__always)
public func gemm<T: BLASScalar>(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                                alpha: T = 1, a: UnsafePointer<T>, lda: Int,
                                b: UnsafePointer<T>, ldb: Int,
                                beta: T = 0, c: UnsafeMutablePointer<T>, ldc: Int) {
    guard let (ta, tb) = blasTransposes(transA, transB, m: m, n: n) else { return }
    T.cblasGEMM(
        CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c,
        blasint(ldc))
}

/// The CBLAS transpose flags, or nil for an empty product; first makes sure OpenBLAS was pinned to one thread.
@inline(__always)
func blasTransposes(_ transA: Bool, _ transB: Bool, m: Int, n: Int) -> (CBLAS_TRANSPOSE, CBLAS_TRANSPOSE)? {
    if m == 0 || n == 0 { return nil }
    _ = Engine.threads
    return (transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans)
}

/// Scratch buffer of floats allocated per worker (64-byte aligned).
@usableFromInline
final class Scratch {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(_ count: Int) {
        self.count = count
        pointer = BufferPool.allocate(max(count, 1) * 4).bindMemory(to: Float.self, capacity: max(count, 1))
    }
    deinit { BufferPool.release(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * 4) }
}
