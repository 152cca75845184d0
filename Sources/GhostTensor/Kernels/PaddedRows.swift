/// The zero-padded row layout of the im2col-free kernels (TapGEMMKernel, the depthwise 3×3 ones): rows W + p floats
/// apart, each led by p zeros that are also the right padding of the row above, images stacked with p zero rows
/// between them, so every kernel tap is a plain shift of one buffer.
extension ConvGeometry {
    /// Copies stacked input rows first ..< first + count of `x` [batch][inChannels][H][W] (row s = n·(H + p) + iy; rows
    /// above the first image, between images, below the last, or with iy ≥ H are zero), each led by p = padW zeros,
    /// into `padded` [inChannels][plane].
    @inline(__always)
    func copyPaddedRows(
        of x: UnsafePointer<Float>, from first: Int, count: Int,
        into padded: UnsafeMutablePointer<Float>, plane: Int
    ) {
        let H = height
        let W = width
        let p = padW
        let P = H * W
        let rowStride = W + p
        let imageRows = H + p
        let stackedRows = batch * imageRows
        for r in 0..<count {
            let s = first + r
            let (n, iy) = s.quotientAndRemainder(dividingBy: imageRows)
            let inside = s >= 0 && s < stackedRows && iy < H
            for c in 0..<inChannels {
                let row = padded + c * plane + r * rowStride
                if inside {
                    row.update(repeating: 0, count: p)
                    (row + p).update(from: x + (n * inChannels + c) * P + iy * W, count: W)
                } else {
                    row.update(repeating: 0, count: rowStride)
                }
            }
        }
    }
}
