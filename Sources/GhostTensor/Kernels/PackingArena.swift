import Synchronization

/// The one buffer that per-call weight packings (`PackedWeights(perCall:…)`) are written into, grown to the largest
/// weight seen and kept: convolutions run one after another, so the whole forward needs one packed weight at a time,
/// where pooling a buffer per weight size kept every size alive (ResNet-50 at batch 8: +18 MiB of peak RSS). A
/// second packing while one holds the arena (forwards on two threads) gets nil and takes a pooled buffer.
enum PackingArena {
    private struct State {
        var buffer: UnsafeMutableRawPointer?
        var bytes = 0
        var busy = false
    }

    private static let state = Mutex(State())

    /// The arena, at least `floats` floats (64-byte aligned), held until `release()`; nil while another caller
    /// holds it.
    static func acquire(floats: Int) -> UnsafeMutablePointer<Float>? {
        let bytes = max(floats, 1) * 4
        let raw: UnsafeMutableRawPointer? = state.withLock { s in
            guard !s.busy else { return nil }
            s.busy = true
            if s.bytes < bytes {
                s.buffer?.deallocate()
                s.buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
                s.bytes = bytes
            }
            return s.buffer
        }
        return raw?.bindMemory(to: Float.self, capacity: max(floats, 1))
    }

    /// Gives the arena back (call once per successful `acquire`).
    static func release() { state.withLock { $0.busy = false } }
}
