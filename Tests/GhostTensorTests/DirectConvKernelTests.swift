import GhostTestSupport
import XCTest

@testable import GhostTensor

/// DirectConvKernel against the direct reference loop and against the GEMM path it replaces (epilogue, routing).
final class DirectConvKernelTests: XCTestCase {
    private func geometry(_ cin: Int, _ cout: Int, _ side: Int, kernel: Int, stride: Int, batch: Int = 1)
        -> ConvGeometry
    {
        ConvGeometry(batch: batch, inChannels: cin, height: side, width: side, outChannels: cout,
                     kernel: (kernel, kernel), stride: (stride, stride), padding: (kernel / 2, kernel / 2))
    }

    func testAppliesOnlyToItsShapes() throws {
        try XCTSkipUnless(DirectConvKernel.isAvailable, "no AVX-512F on this CPU")
        XCTAssertTrue(DirectConvKernel.applies(to: geometry(128, 64, 56, kernel: 3, stride: 2)))
        XCTAssertTrue(DirectConvKernel.applies(to: geometry(512, 256, 7, kernel: 3, stride: 1)))
        XCTAssertTrue(DirectConvKernel.applies(to: geometry(1024, 128, 14, kernel: 1, stride: 1)))
        XCTAssertFalse(DirectConvKernel.applies(to: geometry(128, 64, 56, kernel: 3, stride: 2, batch: 2)))
        XCTAssertFalse(DirectConvKernel.applies(to: geometry(128, 96, 56, kernel: 3, stride: 2)))
        XCTAssertFalse(DirectConvKernel.applies(to: geometry(128, 64, 16, kernel: 3, stride: 2)))
        XCTAssertFalse(DirectConvKernel.applies(to: geometry(256, 64, 14, kernel: 1, stride: 1)))
        XCTAssertFalse(DirectConvKernel.applies(to: geometry(64, 64, 28, kernel: 5, stride: 1)))
        DirectConvKernel.enabled = false
        defer { DirectConvKernel.enabled = true }
        XCTAssertFalse(DirectConvKernel.applies(to: geometry(128, 64, 56, kernel: 3, stride: 2)))
    }

    /// Stride 1 and 2, 3×3 and 1×1, one and two workers, odd input sizes (13 → 7 at stride 2).
    func testMatchesReference() throws {
        try XCTSkipUnless(DirectConvKernel.isAvailable, "no AVX-512F on this CPU")
        defer { Engine.threads = Engine.defaultThreads }
        var rng = SplitMix64(seed: 41)
        let shapes = [(32, 64, 14, 3, 2), (24, 128, 13, 3, 2), (48, 128, 7, 3, 1), (512, 64, 7, 1, 1),
                      (512, 64, 14, 1, 2), (16, 64, 28, 3, 1)]
        for threads in [1, 2] {
            Engine.threads = threads
            for (cin, cout, side, k, s) in shapes {
                XCTAssertTrue(DirectConvKernel.applies(to: geometry(cin, cout, side, kernel: k, stride: s)))
                let x = Tensor(gaussian: [1, cin, side, side], std: 1, rng: &rng)
                let w = Tensor(gaussian: [cout, cin, k, k], std: 0.1, rng: &rng)
                let y = Conv2DKernel.forward(x, weight: w, stride: (s, s), padding: (k / 2, k / 2))
                let want = Conv2DKernelTests.referenceConv(x, w, bias: nil, stride: s, padding: k / 2, groups: 1)
                assertClose(y, want, "\(cin)→\(cout) \(side)² k\(k) s\(s), \(threads) threads")
            }
        }
    }

    /// BN scale/shift, residual and ReLU, written into permuted channels of a wider output, and with the weight
    /// kept rearranged: the same as the GEMM path gives.
    func testEpilogueRoutingAndKeptWeights() throws {
        try XCTSkipUnless(DirectConvKernel.isAvailable, "no AVX-512F on this CPU")
        var rng = SplitMix64(seed: 42)
        let (cin, cout, side) = (40, 64, 14)
        let x = Tensor(gaussian: [1, cin, side, side], std: 1, rng: &rng)
        let w = Tensor(gaussian: [cout, cin, 3, 3], std: 0.1, rng: &rng)
        let scale = Tensor(gaussian: [cout], std: 1, rng: &rng)
        let shift = Tensor(gaussian: [cout], std: 1, rng: &rng)
        let residual = Tensor(gaussian: [1, 2 * cout, 7, 7], std: 1, rng: &rng)
        let routing = ChannelRouting(outputChannels: 2 * cout, outputMap: (0..<cout).map { 2 * cout - 1 - 2 * $0 })
        func run(direct: Bool, kept: Bool) -> Tensor {
            DirectConvKernel.enabled = direct
            defer { DirectConvKernel.enabled = DirectConvKernel.isAvailable }
            let y = Tensor(zeros: [1, 2 * cout, 7, 7])
            let e = Epilogue(scale: UnsafePointer(scale.pointer), shift: UnsafePointer(shift.pointer),
                             residual: UnsafePointer(residual.pointer), relu: true)
            Conv2DKernel.forward(
                x, weight: w, stride: (2, 2), padding: (1, 1), epilogue: e, into: y, routing: routing,
                direct: kept ? DirectConvKernel.Weights(kept: w) : nil)
            return y
        }
        let want = run(direct: false, kept: false)
        assertClose(run(direct: true, kept: false), want, "direct, weight rearranged per call")
        assertClose(run(direct: true, kept: true), want, "direct, weight kept rearranged")
    }
}
