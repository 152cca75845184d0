/// dL/dX of a stride-1, padding-1 3×3 convolution (one group) on WinogradKernel: the input gradient of
/// y = conv(x, w) is itself a stride-1 "same" 3×3 convolution, dX = conv(dY, w̃) with w̃[ci][co][ki][kj] =
/// w[co][ci][2 − ki][2 − kj] (PyTorch's `conv_transpose2d(dY, w, padding=1)`), so it takes the forward's
/// F(m×m, 3×3) kernel and its cost-model dispatch, Cout channels in and Cin out.
public enum WinogradBackwardData {
    /// The geometry of dX = conv(dY, w̃) for a convolution `g`: Cout channels in, Cin out, same maps.
    public static func transposedGeometry(_ g: ConvGeometry) -> ConvGeometry {
        ConvGeometry(
            batch: g.batch, inChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
            outChannels: g.inChannels, kernel: (g.kernelH, g.kernelW), stride: (g.strideH, g.strideW),
            padding: (g.padH, g.padW), groups: g.groups)
    }

    /// The variant the layer dispatch (`WinogradKernel.preferredVariant`) picks for the transposed convolution
    /// of `g`, or nil where dX stays on the GEMM paths (unsupported geometry, few channels, or cheaper there).
    public static func variant(for g: ConvGeometry) -> WinogradKernel.Variant? {
        guard WinogradKernel.supports(g) else { return nil }  // stride 1, padding 1: output maps as big as input
        return WinogradKernel.preferredVariant(for: transposedGeometry(g))
    }

    /// w̃ [Cin, Cout, 3, 3] of a weight [Cout, Cin, 3, 3]: channels swapped, taps rotated by 180°.
    public static func transposedFlipped(_ weight: Tensor) -> Tensor {
        let (cout, cin, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let taps = kh * kw
        let flipped = Tensor(uninitialized: [cin, cout, kh, kw])
        let src = weight.readPointer
        let dst = flipped.pointer
        for co in 0..<cout {
            for ci in 0..<cin {
                let s = src + (co * cin + ci) * taps
                let d = dst + (ci * cout + co) * taps
                for t in 0..<taps { d[t] = s[taps - 1 - t] }
            }
        }
        return flipped
    }

    /// dX [N, Cin, H, W] given dY [N, Cout, H, W] and the weight, on `variant`.
    public static func gradInput(gradOutput gy: Tensor, weight: Tensor, variant: WinogradKernel.Variant) -> Tensor {
        let flipped = transposedFlipped(weight)
        return Conv2DKernel.forward(
            gy, weight: flipped, stride: (1, 1), padding: (1, 1),
            winograd: WinogradKernel.Filters(flipped, variant: variant))
    }
}
