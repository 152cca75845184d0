/// Element-wise and channel-wise tensor operations (forward).
public enum Elementwise {
    /// max(x, 0).
    public static func relu(_ x: Tensor) -> Tensor {
        map(x, minChunk: 1 << 16) { xp, _, yp, r in for i in r { yp[i] = max(xp[i], 0) } }
    }

    /// a + b (same shapes), optionally followed by ReLU.
    public static func add(_ a: Tensor, _ b: Tensor, relu: Bool = false) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        return map(a, b, minChunk: 1 << 16) { ap, bp, yp, r in
            if relu { for i in r { yp[i] = max(ap[i] + bp[i], 0) } } else { for i in r { yp[i] = ap[i] + bp[i] } }
        }
    }

    /// Per-channel affine y = x·scale[c] + shift[c] on NCHW (or [N, C]) tensors, optional ReLU.
    public static func channelAffine(_ x: Tensor, scale: Tensor, shift: Tensor, relu: Bool = false) -> Tensor {
        let N = x.shape[0]
        let C = x.shape[1]
        let HW = x.count / max(N * C, 1)
        precondition(
            scale.count == C && shift.count == C, "channel affine: \(C) channels, got \(scale.count)/\(shift.count)")
        let y = Tensor(uninitialized: x.shape)
        let xp = x.pointer
        let yp = y.pointer
        let sp = scale.pointer
        let bp = shift.pointer
        Engine.parallelChunks(N * C, minChunk: 64) { range in
            for plane in range {
                let c = plane % C
                let s = sp[c]
                let b = bp[c]
                let src = xp + plane * HW
                let dst = yp + plane * HW
                if relu {
                    for i in 0..<HW { dst[i] = max(src[i] * s + b, 0) }
                } else {
                    for i in 0..<HW { dst[i] = src[i] * s + b }
                }
            }
        }
        return y
    }

    /// Concatenates NCHW tensors along channels.
    public static func concatChannels(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concat of nothing")
        let N = parts[0].shape[0]
        let spatial = Array(parts[0].shape.dropFirst(2))
        for p in parts {
            precondition(p.shape[0] == N && Array(p.shape.dropFirst(2)) == spatial, "concat: shapes differ")
        }
        let HW = spatial.reduce(1, *)
        let C = parts.reduce(0) { $0 + $1.shape[1] }
        let y = Tensor(uninitialized: [N, C] + spatial)
        for n in 0..<N {
            var c0 = 0
            for p in parts {
                let cp = p.shape[1]
                (y.pointer + (n * C + c0) * HW).update(from: p.pointer + n * cp * HW, count: cp * HW)
                c0 += cp
            }
        }
        return y
    }

    /// Output channel c is channel `index[c]` of the channel-wise concatenation of `parts` (NCHW), without
    /// materialising the concatenation: concat + slice + permutation in one copy.
    public static func gatherChannels(_ parts: [Tensor], index: [Int]) -> Tensor {
        let N = parts[0].shape[0]
        let spatial = Array(parts[0].shape.dropFirst(2))
        let HW = spatial.reduce(1, *)
        var source: [(part: Int, channel: Int)] = []
        for (i, p) in parts.enumerated() { for c in 0..<p.shape[1] { source.append((i, c)) } }
        precondition(index.allSatisfy { (0..<source.count).contains($0) }, "gather index outside 0..<\(source.count)")
        let y = Tensor(uninitialized: [N, index.count] + spatial)
        let C = index.count
        // Planes are copied in parallel: this runs once per Ghost module per forward.
        Engine.parallelChunks(N * C, minChunk: max(1, 16_384 / max(HW, 1))) { range in
            for plane in range {
                let n = plane / C
                let (i, ch) = source[index[plane % C]]
                let p = parts[i]
                (y.pointer + plane * HW).update(from: p.pointer + (n * p.shape[1] + ch) * HW, count: HW)
            }
        }
        return y
    }

    /// y[:, c] = relu?(y[:, c] + r[:, c]) for the listed channels c of NCHW tensors of one shape, in place.
    public static func addInPlace(_ y: Tensor, _ r: Tensor, channels: [Int], relu: Bool) {
        precondition(y.shape == r.shape && y.rank >= 2, "addInPlace: shapes \(y.shape) and \(r.shape) differ")
        let N = y.shape[0]
        let C = y.shape[1]
        let HW = y.count / max(N * C, 1)
        let K = channels.count
        precondition(channels.allSatisfy { (0..<C).contains($0) }, "addInPlace: channel outside 0..<\(C)")
        let e = Epilogue(relu: relu)
        channels.withUnsafeBufferPointer { list in
            Engine.parallelChunks(N * K, minChunk: max(1, 16_384 / max(HW, 1))) { range in
                for item in range {
                    let offset = ((item / K) * C + list[item % K]) * HW
                    e.applyRow(
                        from: y.pointer + offset, to: y.pointer + offset, count: HW, channel: 0,
                        residual: r.pointer + offset)
                }
            }
        }
    }

    /// Channels [start, start+count) of an NCHW tensor.
    public static func sliceChannels(_ x: Tensor, start: Int, count: Int) -> Tensor {
        let N = x.shape[0]
        let C = x.shape[1]
        let HW = x.count / max(N * C, 1)
        precondition(
            start >= 0 && count >= 0 && start + count <= C, "slice [\(start), \(start + count)) of \(C) channels")
        let y = Tensor(uninitialized: [N, count] + Array(x.shape.dropFirst(2)))
        for n in 0..<N {
            (y.pointer + n * count * HW).update(from: x.pointer + (n * C + start) * HW, count: count * HW)
        }
        return y
    }

    /// Zero-pads channels: `before` zero channels, then x, then `after` zero channels.
    public static func padChannels(_ x: Tensor, before: Int, after: Int) -> Tensor {
        let N = x.shape[0]
        let C = x.shape[1]
        let HW = x.count / max(N * C, 1)
        let Co = C + before + after
        let y = Tensor(zeros: [N, Co] + Array(x.shape.dropFirst(2)))
        for n in 0..<N { (y.pointer + (n * Co + before) * HW).update(from: x.pointer + n * C * HW, count: C * HW) }
        return y
    }

    /// Spatial subsampling x[:, :, ::s, ::s].
    public static func subsample(_ x: Tensor, stride s: Int) -> Tensor {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let OH = (H + s - 1) / s
        let OW = (W + s - 1) / s
        let y = Tensor(uninitialized: [N, C, OH, OW])
        for plane in 0..<(N * C) {
            let src = x.pointer + plane * H * W
            let dst = y.pointer + plane * OH * OW
            for oy in 0..<OH { for ox in 0..<OW { dst[oy * OW + ox] = src[oy * s * W + ox * s] } }
        }
        return y
    }
}
