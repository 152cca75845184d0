import GhostTensor
import GhostTestSupport
import XCTest

/// The 3×3 "same" depthwise path (a Ghost module's cheap operation, d = 3): every epilogue, routed input and
/// output planes, channel multipliers 1–3, odd channel counts, batch 1 and > 1, maps from 1×1 to 56², 1–3
/// threads, against the direct reference convolution.
final class DepthwiseKernelTests: XCTestCase {
    struct Shape { var n, c, h, w, mult: Int }

    static let shapes: [Shape] = [
        Shape(n: 1, c: 37, h: 7, w: 7, mult: 1), Shape(n: 2, c: 33, h: 14, w: 14, mult: 1),
        Shape(n: 1, c: 17, h: 28, w: 28, mult: 1), Shape(n: 1, c: 5, h: 56, w: 56, mult: 1),
        Shape(n: 3, c: 7, h: 5, w: 9, mult: 2), Shape(n: 2, c: 3, h: 1, w: 1, mult: 3),
        Shape(n: 1, c: 9, h: 1, w: 11, mult: 1), Shape(n: 2, c: 11, h: 13, w: 2, mult: 1),
    ]

    /// Which parts of the epilogue a case uses.
    enum EpilogueParts: CaseIterable { case none, scaleShift, scaleShiftReLU, residual, residualReLU, reluOnly }

    /// `relu?(conv · scale + shift + residual)` by plain loops over the reference convolution, written into
    /// `want[n, outputMap[co]]` (outputs mapped to −1 are skipped).
    static func expected(
        reference ref: Tensor, parts: EpilogueParts, scale: Tensor, shift: Tensor, residual: Tensor,
        outputMap: [Int], into want: inout Tensor
    ) {
        let (n, o, h, w) = (ref.shape[0], ref.shape[1], ref.shape[2], ref.shape[3])
        for i in 0..<n { for co in 0..<o where outputMap[co] >= 0 { for yy in 0..<h { for xx in 0..<w {
            let d = outputMap[co]
            var v = ref[i, co, yy, xx]
            switch parts {
            case .none, .reluOnly: break
            case .scaleShift, .scaleShiftReLU: v = v * scale[co] + shift[co]
            case .residual, .residualReLU: v = v * scale[co] + shift[co] + residual[i, d, yy, xx]
            }
            if parts == .scaleShiftReLU || parts == .residualReLU || parts == .reluOnly { v = max(v, 0) }
            want[i, d, yy, xx] = v
        } } } }
    }

    /// The kernel epilogue for `parts` (borrowing the tensors' pointers: the caller keeps them alive).
    static func epilogue(_ parts: EpilogueParts, scale: Tensor, shift: Tensor, residual: Tensor) -> Epilogue {
        let scaled = parts != .none && parts != .reluOnly
        let withResidual = parts == .residual || parts == .residualReLU
        return Epilogue(
            scale: scaled ? UnsafePointer(scale.readPointer) : nil,
            shift: scaled ? UnsafePointer(shift.readPointer) : nil,
            residual: withResidual ? UnsafePointer(residual.readPointer) : nil,
            relu: parts == .scaleShiftReLU || parts == .residualReLU || parts == .reluOnly)
    }

    /// Plain tensors in and out, each epilogue.
    func testSame3x3AgainstDirectReference() {
        defer { Engine.threads = Engine.defaultThreads }
        var rng = SplitMix64(seed: 2026)
        for threads in [1, 2, 3] {
            Engine.threads = threads
            for s in Self.shapes {
                let o = s.c * s.mult
                let x = Tensor(gaussian: [s.n, s.c, s.h, s.w], std: 1, rng: &rng)
                let w = Tensor(gaussian: [o, 1, 3, 3], std: 0.5, rng: &rng)
                let ref = Conv2DKernelTests.referenceConv(x, w, bias: nil, stride: 1, padding: 1, groups: s.c)
                let scale = Tensor(gaussian: [o], std: 1, rng: &rng), shift = Tensor(gaussian: [o], std: 1, rng: &rng)
                let residual = Tensor(gaussian: [s.n, o, s.h, s.w], std: 1, rng: &rng)
                for parts in EpilogueParts.allCases {
                    let e = Self.epilogue(parts, scale: scale, shift: shift, residual: residual)
                    let y = Conv2DKernel.forward(
                        x, weight: w, stride: (1, 1), padding: (1, 1), groups: s.c, epilogue: e)
                    var want = Tensor(zeros: ref.shape)
                    Self.expected(
                        reference: ref, parts: parts, scale: scale, shift: shift, residual: residual,
                        outputMap: Array(0..<o), into: &want)
                    assertClose(y, want, "\(s) \(parts) threads \(threads)")
                }
                withExtendedLifetime((scale, shift, residual)) {}
            }
        }
    }

    /// A Ghost module's layout: input planes read through a permuted map from a wider tensor, output planes
    /// scattered into another wider one with some cut (−1), the untouched planes left as they were; and the cheap
    /// operation in place (input and output planes in the same tensor).
    func testSame3x3RoutedAndInPlace() {
        defer { Engine.threads = Engine.defaultThreads }
        var rng = SplitMix64(seed: 20)
        for threads in [1, 2, 3] {
            Engine.threads = threads
            for s in Self.shapes {
                let o = s.c * s.mult
                let channels = s.c + o + 3
                // Input channel ci in plane inputMap[ci] (reversed, after the first plane), outputs after the inputs,
                // every fourth one cut.
                let inputMap = (0..<s.c).map { 1 + s.c - 1 - $0 }
                let outputMap = (0..<o).map { $0 % 4 == 3 ? -1 : s.c + 2 + $0 }
                let wide = Tensor(gaussian: [s.n, channels, s.h, s.w], std: 1, rng: &rng)
                var x = Tensor(zeros: [s.n, s.c, s.h, s.w])
                for i in 0..<s.n { for ci in 0..<s.c { for yy in 0..<s.h { for xx in 0..<s.w {
                    x[i, ci, yy, xx] = wide[i, inputMap[ci], yy, xx]
                } } } }
                let w = Tensor(gaussian: [o, 1, 3, 3], std: 0.5, rng: &rng)
                let ref = Conv2DKernelTests.referenceConv(x, w, bias: nil, stride: 1, padding: 1, groups: s.c)
                let scale = Tensor(gaussian: [o], std: 1, rng: &rng), shift = Tensor(gaussian: [o], std: 1, rng: &rng)
                let residual = Tensor(gaussian: [s.n, channels, s.h, s.w], std: 1, rng: &rng)
                let routing = ChannelRouting(
                    outputChannels: channels, outputMap: outputMap, input: (channels, inputMap))
                for parts in EpilogueParts.allCases {
                    let e = Self.epilogue(parts, scale: scale, shift: shift, residual: residual)
                    var want = Tensor(shape: wide.shape, values: wide.scalars)
                    Self.expected(
                        reference: ref, parts: parts, scale: scale, shift: shift, residual: residual,
                        outputMap: outputMap, into: &want)
                    let label = "\(s) \(parts) threads \(threads)"
                    let y = Tensor(shape: wide.shape, values: wide.scalars)
                    Conv2DKernel.forward(
                        wide, weight: w, stride: (1, 1), padding: (1, 1), groups: s.c, epilogue: e, into: y,
                        routing: routing)
                    assertClose(y, want, "routed \(label)")
                    let inPlace = Tensor(shape: wide.shape, values: wide.scalars)
                    Conv2DKernel.forward(
                        inPlace, weight: w, stride: (1, 1), padding: (1, 1), groups: s.c, epilogue: e, into: inPlace,
                        routing: routing)
                    assertClose(inPlace, want, "in place \(label)")
                }
                withExtendedLifetime((scale, shift, residual)) {}
            }
        }
    }
}
