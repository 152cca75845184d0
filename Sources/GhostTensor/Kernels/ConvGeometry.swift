/// Shape arithmetic of a 2-D convolution or pooling window over an NCHW input.
public struct ConvGeometry: Equatable {
    public var batch, inChannels, height, width: Int
    public var outChannels, kernelH, kernelW: Int
    public var strideH, strideW, padH, padW: Int
    public var groups: Int

    public var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    public var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Output pixels per image.
    public var outPixels: Int { outHeight * outWidth }
    /// Input channels seen by one group.
    public var groupInChannels: Int { inChannels / groups }
    /// Output channels produced by one group.
    public var groupOutChannels: Int { outChannels / groups }
    /// Rows of a group's im2col patch matrix (= columns of its weight matrix).
    public var patchSize: Int { groupInChannels * kernelH * kernelW }
    /// A 1×1, stride-1, unpadded convolution: the input already is the patch matrix.
    public var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
    /// Each input channel feeds its own output channel(s): groups == inChannels.
    public var isDepthwise: Bool { groups == inChannels && groups > 1 }

    public init(
        batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
        kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), groups: Int = 1
    ) {
        self.batch = batch
        self.inChannels = inChannels
        self.height = height
        self.width = width
        self.outChannels = outChannels
        self.kernelH = kernel.0
        self.kernelW = kernel.1
        self.strideH = stride.0
        self.strideW = stride.1
        self.padH = padding.0
        self.padW = padding.1
        self.groups = groups
    }

    /// Output columns ox whose tap at kernel column `kj` lands inside the input row:
    /// 0 ≤ ox·strideW − padW + kj < width.
    @inline(__always)
    public func validColumns(kj: Int) -> Range<Int> {
        let lo = kj >= padW ? 0 : (padW - kj + strideW - 1) / strideW
        let last = width - 1 + padW - kj  // ox·strideW ≤ last; negative (tap right of the padded row): none
        let hi = last < 0 ? 0 : min(outWidth, last / strideW + 1)
        return lo..<max(lo, hi)
    }

    /// Visits every kernel tap (ki, kj) and output row oy whose input row iy = oy·strideH − padH + ki lies inside
    /// the input, with the output columns where the tap lands inside that row (kj outermost): the loop nest of
    /// the direct (depthwise) kernels.
    @inline(__always)
    func forEachTapRow(_ body: (_ ki: Int, _ kj: Int, _ oy: Int, _ iy: Int, _ columns: Range<Int>) -> Void) {
        for kj in 0..<kernelW {
            let columns = validColumns(kj: kj)
            if columns.isEmpty { continue }
            for ki in 0..<kernelH {
                for oy in 0..<outHeight {
                    let iy = oy * strideH - padH + ki
                    if iy >= 0 && iy < height { body(ki, kj, oy, iy, columns) }
                }
            }
        }
    }

    /// The sizes of the per-group GEMM convolution: output pixels, patch size, groups, input and output channels
    /// per group, and floats per input image.
    var groupGEMMSizes: (Int, Int, Int, Int, Int, Int) {
        (outPixels, patchSize, groups, groupInChannels, groupOutChannels, inChannels * height * width)
    }

    /// Output shape [N, Cout, OH, OW].
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

    /// Multiply-accumulates of the forward pass.
    public var macs: Int { batch * outChannels * outPixels * patchSize }
}
