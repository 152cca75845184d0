/// The per-channel multiply of squeeze-and-excitation and ECA: y[n, c, :, :] = x[n, c, :, :] · g[n, c].
public enum ChannelGate {
    /// x [N, C, H, W] times a gate of N·C values ([N, C] or [N, C, 1, 1]).
    public static func apply(_ x: Tensor, gate g: Tensor) -> Tensor {
        let (N, C, HW) = x.planes
        precondition(x.rank == 4 && g.count == N * C, "channel gate: \(g.shape) for input \(x.shape)")
        let y = Tensor(uninitialized: x.shape)
        let (xp, gp, yp) = (x.readPointer, g.readPointer, y.pointer)
        Engine.parallelChunks(N * C, minChunk: 64) { r in
            for plane in r {
                let (s, src, dst) = (gp[plane], xp + plane * HW, yp + plane * HW)
                for i in 0..<HW { dst[i] = src[i] * s }
            }
        }
        return y
    }

    /// Gradients of `apply`: dx = dy·g, dg[n, c] = Σ dy·x over the plane (shaped like `gate`).
    public static func backward(x: Tensor, gate g: Tensor, gradOutput gy: Tensor) -> (x: Tensor, gate: Tensor) {
        let (N, C, HW) = x.planes
        precondition(
            gy.shape == x.shape && g.count == N * C, "channel gate backward: \(gy.shape), \(g.shape) for \(x.shape)")
        let (gx, gg) = (Tensor(uninitialized: x.shape), Tensor(uninitialized: g.shape))
        let (xp, gp, dyp) = (x.readPointer, g.readPointer, gy.readPointer)
        let (dxp, dgp) = (gx.pointer, gg.pointer)
        Engine.parallelChunks(N * C, minChunk: 64) { r in
            for plane in r {
                let s = gp[plane]
                let o = plane * HW
                var acc: Float = 0
                for i in 0..<HW {
                    dxp[o + i] = dyp[o + i] * s
                    acc += dyp[o + i] * xp[o + i]
                }
                dgp[plane] = acc
            }
        }
        return (gx, gg)
    }
}
