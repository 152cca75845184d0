import CCPU
import GhostKernelsAVX512

/// Direct convolution on AVX-512 CPUs for the batch-1 shapes where OpenBLAS's GEMMs trail: 3×3 convolutions of
/// stride 2 and those on maps too small for Winograd, and 1×1 ones over ≥ 512 input channels. (At batch 8 the
/// GEMMs are wide enough, and ResNet-50 measured 4–12 % slower with this path.) No im2col and no packing of
/// the input: the micro-kernel (`directConvBlock64`) broadcasts input pixels straight from the (padded) input and
/// multiplies them by 64 output channels of the weight at a time. On one Zen 4 core: 110 GFLOP/s on ResNet's
/// stride-2 3×3 layers and 7² 3×3 ones, where sgemm alone (im2col not counted) reaches 86–99.
public enum DirectConvKernel {
    /// Whether this CPU can run the micro-kernel (AVX-512F, with the OS saving its registers).
    public static let isAvailable = ghostkit_cpu_has_avx512f() != 0

    /// Whether convolutions take this path where it applies (A/B runs switch it off); true where available.
    nonisolated(unsafe) public static var enabled = isAvailable

    /// Output channels per micro-kernel call, and pixels per accumulator row.
    static let channelBlock = 64
    static let pixelRun = 7

    /// Whether `g` runs here: batch 1, one group, square 3×3 (padding 1) or 1×1 (padding 0, ≥ 512 input channels)
    /// kernels of stride 1 or 2, output channels a multiple of 64 and output width a multiple of 7 (all ResNet maps).
    public static func applies(to g: ConvGeometry) -> Bool {
        guard enabled, g.groups == 1, g.kernelH == g.kernelW, g.strideH == g.strideW, g.strideH <= 2,
            g.outChannels % channelBlock == 0, g.outWidth % pixelRun == 0, g.outHeight > 0, g.batch == 1
        else { return false }
        switch g.kernelH {
        case 3: return g.padH == 1 && g.padW == 1
        case 1: return g.padH == 0 && g.padW == 0 && g.inChannels >= 512
        default: return false
        }
    }

    /// A weight [Cout, Cin, k, k] rearranged for the micro-kernel: [Cout/64][Cin][k·k][64].
    public final class Weights: @unchecked Sendable {
        /// The weight rearranged, when kept between forwards (`Conv2D` compares its storage); nil per call.
        let source: Tensor?
        let buffer: Scratch

        /// `weight` rearranged, kept with it (a `Conv2D` holding it between forwards).
        public convenience init(kept weight: Tensor) { self.init(weight, source: weight) }

        /// `weight` rearranged for one call.
        convenience init(perCall weight: Tensor) { self.init(weight, source: nil) }

        private init(_ weight: Tensor, source: Tensor?) {
            self.source = source
            let (cout, cin, taps) = (weight.shape[0], weight.shape[1], weight.shape[2] * weight.shape[3])
            buffer = Scratch(weight.count)
            let src = weight.readPointer
            let dst = buffer.pointer
            let block = DirectConvKernel.channelBlock
            let (blocks, workers) = (cout / block, min(Engine.threads, cout / block))
            Engine.parallelFor(workers) { w in
                var b = w
                while b < blocks {
                    for c in 0..<block {
                        let co = b * block + c
                        for ci in 0..<cin {
                            let s = src + (co * cin + ci) * taps
                            let d = dst + ((b * cin + ci) * taps) * block + c
                            for t in 0..<taps { d[t * block] = s[t] }
                        }
                    }
                    b += workers
                }
            }
        }
    }

    /// Same contract as `Conv2DKernel.gemmForward` for a geometry `applies(to:)` accepts (one image), with `weights`
    /// made from the conv's weight.
    static func forward(
        x: UnsafePointer<Float>, weights: Weights, y: UnsafeMutablePointer<Float>, g: ConvGeometry,
        epilogue: Epilogue, yChannels: Int?, outputMap: UnsafePointer<Int>?, residualBase: Int
    ) {
        let (k, s, p) = (g.kernelH, g.strideH, g.padH)
        let (oh, ow, P) = (g.outHeight, g.outWidth, g.outPixels)
        let cin = g.inChannels
        // The padded input (`copyPaddedRows`: rows W + p apart, each led by p zeros that are also the right padding
        // of the row above), p zero rows above and below, p zeros after the last row; a 1×1 conv (p = 0, the same
        // strides) reads x in place.
        let rowStride = g.width + p
        let paddedRows = g.height + 2 * p
        let plane = paddedRows * rowStride + p
        let padded = p == 0 ? nil : Scratch(cin * plane)
        if let padded {
            let dst = padded.pointer
            let workers = min(Engine.threads, paddedRows)
            Engine.parallelFor(workers) { w in
                let r0 = w * paddedRows / workers
                let r1 = (w + 1) * paddedRows / workers
                g.copyPaddedRows(of: x, from: r0 - p, count: r1 - r0, into: dst + r0 * rowStride, plane: plane)
            }
            for c in 0..<cin { (dst + c * plane + paddedRows * rowStride).update(repeating: 0, count: p) }
        }
        let input = padded.map { UnsafePointer($0.pointer) } ?? x
        let blocks = g.outChannels / channelBlock
        // Rows per work item: a tile of about 8 K floats (in L1/L2 while the epilogue moves it out).
        let rowsPerItem = max(1, min(oh, 128 / ow))
        let rowItems = (oh + rowsPerItem - 1) / rowsPerItem
        let items = blocks * rowItems
        let workers = min(Engine.threads, items)
        let weight = UnsafePointer(weights.buffer.pointer)
        Engine.parallelFor(workers) { w in
            let tile = Scratch(channelBlock * rowsPerItem * ow)
            var item = w
            while item < items {
                let (b, r) = item.quotientAndRemainder(dividingBy: rowItems)
                let oy0 = r * rowsPerItem
                let rows = min(rowsPerItem, oh - oy0)
                let count = rows * ow
                directConvBlock64(
                    x: input, plane: plane, rowStride: rowStride, inChannels: cin,
                    kernel: k, stride: s, weight: weight + b * cin * k * k * channelBlock, oy0: oy0, rows: rows,
                    outWidth: ow, tile: tile.pointer, ld: count)
                for c in 0..<channelBlock {
                    let channel = b * channelBlock + c
                    let offset = (outputMap?[channel] ?? channel) * P + oy0 * ow
                    epilogue.applyRow(
                        from: tile.pointer + c * count, to: y + offset, count: count, channel: channel,
                        residual: epilogue.residual.map { $0 + residualBase + offset })
                }
                item += workers
            }
        }
        withExtendedLifetime((padded, weights)) {}
    }
}
