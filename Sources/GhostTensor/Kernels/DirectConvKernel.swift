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
            Engine.parallelFor(min(Engine.threads, cout / block)) { w in
                var b = w
                while b < cout / block {
                    for c in 0..<block {
                        let co = b * block + c
                        for ci in 0..<cin {
                            let s = src + (co * cin + ci) * taps
                            let d = dst + ((b * cin + ci) * taps) * block + c
                            for t in 0..<taps { d[t * block] = s[t] }
                        }
                    }
                    b += min(Engine.threads, cout / block)
                }
            }
        }
    }

    /// Same contract as `Conv2DKernel.gemmForward` for a geometry `applies(to:)` accepts, with `weights` made from
    /// the conv's weight.
    static func forward(
        x: UnsafePointer<Float>, weights: Weights, y: UnsafeMutablePointer<Float>, g: ConvGeometry,
        epilogue: Epilogue, yChannels: Int?, outputMap: UnsafePointer<Int>?, residualBase: Int
    ) {
        let (k, s, p) = (g.kernelH, g.strideH, g.padH)
        let (oh, ow, P) = (g.outHeight, g.outWidth, g.outPixels)
        let cin = g.inChannels
        let outImage = (yChannels ?? g.outChannels) * P
        // The padded input: rows wide enough for the last pixel run's taps, zero borders.
        let rowStride = p == 0 ? g.width : g.width + 2 * p
        let paddedRows = p == 0 ? g.height : g.height + 2 * p
        let plane = rowStride * paddedRows
        let padded = p == 0 ? nil : Scratch(cin * plane)
        let blocks = g.outChannels / channelBlock
        // Rows per work item: a tile of about 8 K floats (in L1/L2 while the epilogue moves it out).
        let rowsPerItem = max(1, min(oh, 128 / ow))
        let rowItems = (oh + rowsPerItem - 1) / rowsPerItem
        let items = blocks * rowItems
        let workers = min(Engine.threads, items)
        let weight = UnsafePointer(weights.buffer.pointer)
        for n in 0..<g.batch {
            let image = x + n * cin * g.height * g.width
            let input: UnsafePointer<Float>
            if let padded {
                let dst = padded.pointer
                Engine.parallelFor(min(Engine.threads, cin)) { w in
                    var c = w
                    while c < cin {
                        let d = dst + c * plane
                        d.update(repeating: 0, count: p * rowStride)
                        for iy in 0..<g.height {
                            let row = d + (iy + p) * rowStride
                            row.update(repeating: 0, count: p)
                            (row + p).update(from: image + (c * g.height + iy) * g.width, count: g.width)
                            (row + p + g.width).update(repeating: 0, count: p)
                        }
                        (d + (g.height + p) * rowStride).update(repeating: 0, count: p * rowStride)
                        c += min(Engine.threads, cin)
                    }
                }
                input = UnsafePointer(dst)
            } else {
                input = image
            }
            Engine.parallelFor(workers) { w in
                let tile = Scratch(channelBlock * rowsPerItem * ow)
                var item = w
                while item < items {
                    let (b, r) = item.quotientAndRemainder(dividingBy: rowItems)
                    let oy0 = r * rowsPerItem
                    let rows = min(rowsPerItem, oh - oy0)
                    let count = rows * ow
                    directConvBlock64(
                        x: input, plane: plane, rowStride: rowStride, inChannels: cin, kernel: k, stride: s,
                        weight: weight + b * cin * k * k * channelBlock, oy0: oy0, rows: rows, outWidth: ow,
                        tile: tile.pointer, ld: count)
                    for c in 0..<channelBlock {
                        let channel = b * channelBlock + c
                        let offset = n * outImage + (outputMap?[channel] ?? channel) * P + oy0 * ow
                        epilogue.applyRow(
                            from: tile.pointer + c * count, to: y + offset, count: count, channel: channel,
                            residual: epilogue.residual.map { $0 + residualBase + offset })
                    }
                    item += workers
                }
            }
        }
        withExtendedLifetime((padded, weights)) {}
    }
}
