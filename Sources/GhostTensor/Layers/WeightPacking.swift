extension Module {
    /// Runs `body` with eval-mode forwards allowed to keep their convolutions' weights packed for OpenBLAS's
    /// micro-kernel between calls (`PackedWeights`: batch-1 and other narrow GEMMs stop repacking the weights on
    /// every call, as ONNX Runtime's sessions do), and frees the packed copies when it returns. A layer packs on its
    /// first batch-1 eval forward that gains from it (`Conv2D`), so memory grows by at most the weights of those
    /// layers (ResNet-50 at 224²: 73 MiB).
    ///
    /// The weights must not change in place inside `body` (a replaced weight tensor is noticed and repacked; an
    /// optimiser step writing into it is not). Nested calls keep the outer scope's packs.
    public final func withPackedWeights<R>(_ body: () throws -> R) rethrows -> R {
        let convs = namedModules().compactMap { $0.1 as? Conv2D }.filter { !$0.packsWeight }
        for conv in convs { conv.packsWeight = true }
        defer {
            for conv in convs {
                conv.packsWeight = false
                conv.packedWeight = nil
                conv.directWeight = nil
            }
        }
        return try body()
    }
}
