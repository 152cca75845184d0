/// How eval-mode stride-1 3×3 convolutions choose between Winograd F(2×2), F(4×4) and the im2col / tap GEMMs
/// (`WinogradKernel.dispatch`).
public enum WinogradDispatch: Sendable, Equatable {
    /// The cheapest path by `WinogradCostModel` for the layer's shape, batch and worker count (the default).
    case costModel
    /// The rule before the cost model: F(4×4) on maps ≥ 14² with ≥ 16 tiles per worker and ≥ 32 in all, else the
    /// GEMMs (kept for A/B benchmarks).
    case f4Threshold
    /// This variant wherever the kernel supports the shape (nil: never Winograd); for per-layer benchmarks.
    case fixed(WinogradKernel.Variant?)
}
