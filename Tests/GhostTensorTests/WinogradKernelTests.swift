import GhostTensor
import GhostTestSupport
import XCTest

/// Winograd F(2×2, 3×3) and F(4×4, 3×3) against the direct six-loop reference (Conv2DKernelTests.referenceConv)
/// and the im2col / tap-GEMM path, within the parity tolerance 1e-4 · max |ref|.
final class WinogradKernelTests: XCTestCase {
    /// (batch, Cin, H, W, Cout): odd sizes, maps smaller than a tile, one-pixel and one-row maps, batch 1, channels
    /// not multiples of 8, and ResNet-like shapes with many channels (the longest sums, where F(4×4)'s larger
    /// transform coefficients cost most precision); 35 and 40 wide maps have ≥ 9 tiles a row, so the input transform
    /// runs eight tiles at a time and then a tail; the last has many blocks per worker, so U is made once and
    /// shared rather than transformed in cache per block. The batch-1 3², 5², 7², 9², 28² and 21- to 33-wide maps with
    /// channels not multiples of 8 give rows of 1–8 tiles and every tail length after eight-tile groups, for both
    /// variants (the rows a vectorised small-map transform has to get right); both transforms' horizontal passes
    /// run eight tiles at a time across tile rows, so the multi-row blocks of the batched and 28² shapes put groups
    /// of eight over row (and image) boundaries.
    static let shapes: [(n: Int, c: Int, h: Int, w: Int, o: Int)] = [
        (1, 3, 5, 5, 2), (2, 5, 7, 9, 7), (1, 1, 1, 1, 1), (3, 4, 2, 3, 5), (1, 7, 1, 13, 3), (2, 9, 13, 1, 4),
        (1, 16, 14, 14, 24), (2, 13, 11, 17, 19), (4, 8, 6, 6, 8), (1, 64, 28, 28, 64), (2, 256, 7, 7, 256),
        (1, 512, 7, 7, 33), (5, 3, 19, 10, 6), (1, 5, 6, 35, 4), (6, 32, 40, 40, 48),
        (1, 10, 3, 3, 17), (1, 9, 7, 7, 10), (1, 12, 9, 9, 5), (1, 19, 28, 28, 13), (1, 6, 5, 29, 11),
        (1, 11, 4, 21, 9), (1, 7, 3, 25, 6), (1, 5, 2, 33, 3),
    ]

    private func check(_ variant: WinogradKernel.Variant, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for threads in [1, 2] {
            Engine.threads = threads
            for s in Self.shapes {
                let x = Tensor(gaussian: [s.n, s.c, s.h, s.w], std: 1, rng: &rng)
                let w = Tensor(gaussian: [s.o, s.c, 3, 3], std: 0.5, rng: &rng)
                let filters = WinogradKernel.Filters(w, variant: variant)
                let got = Conv2DKernel.forward(x, weight: w, stride: (1, 1), padding: (1, 1), winograd: filters)
                let ref = Conv2DKernelTests.referenceConv(x, w, bias: nil, stride: 1, padding: 1, groups: 1)
                assertClose(got, ref, "\(variant) \(s) threads \(threads)")
                let gemm = Conv2DKernel.forward(x, weight: w, stride: (1, 1), padding: (1, 1))
                assertClose(got, gemm, "\(variant) \(s) vs the GEMM path, threads \(threads)")
            }
        }
        Engine.threads = Engine.defaultThreads
    }

    /// (batch, Cin, H, W, Cout) that take the output-channel split at 2 or 3 workers (batch 1 on 7², 14² and 28²
    /// maps, and a batch-2 7² one): odd channel counts, output channels not multiples of the 16-row chunks, one or
    /// several chunks per worker, and F(2×2)'s wider 14² blocks.
    static let channelSplitShapes: [(n: Int, c: Int, h: Int, w: Int, o: Int)] = [
        (1, 37, 14, 14, 45), (1, 128, 14, 14, 144), (1, 19, 28, 28, 33), (1, 64, 28, 28, 80), (1, 61, 7, 7, 23),
        (1, 300, 7, 7, 200), (2, 21, 7, 7, 130), (1, 33, 13, 11, 17), (1, 100, 14, 14, 70),
    ]

    /// The output-channel split (shared input transform, chunks of output channels per worker) against the direct
    /// reference and the GEMM path at 1, 2 and 3 threads, both variants, with routed outputs and residual + ReLU.
    func testOutputChannelSplitMatchesReference() {
        defer { Engine.threads = Engine.defaultThreads }
        var rng = SplitMix64(seed: 31)
        var taken = 0
        for s in Self.channelSplitShapes {
            let x = Tensor(gaussian: [s.n, s.c, s.h, s.w], std: 1, rng: &rng)
            let w = Tensor(gaussian: [s.o, s.c, 3, 3], std: 0.5, rng: &rng)
            let ref = Conv2DKernelTests.referenceConv(x, w, bias: nil, stride: 1, padding: 1, groups: 1)
            Engine.threads = 1
            let gemm = Conv2DKernel.forward(x, weight: w, stride: (1, 1), padding: (1, 1))
            let g = ConvGeometry(batch: s.n, inChannels: s.c, height: s.h, width: s.w, outChannels: s.o,
                                 kernel: (3, 3), padding: (1, 1))
            for variant in WinogradKernel.Variant.allCases {
                let filters = WinogradKernel.Filters(w, variant: variant)
                for threads in [1, 2, 3] {
                    Engine.threads = threads
                    if WinogradKernel.WorkSplit(g, variant: variant, workers: threads).kind == .outputChannels {
                        taken += 1
                    }
                    let got = Conv2DKernel.forward(x, weight: w, stride: (1, 1), padding: (1, 1), winograd: filters)
                    let label = "\(variant) \(s) threads \(threads)"
                    assertClose(got, ref, label)
                    assertClose(got, gemm, "\(label) vs the GEMM path")
                    Conv2DKernelTests.checkRoutedEpilogue(
                        x: x, w: w, stride: 1, padding: 1, map: Conv2DKernelTests.scatteredMap(s.o),
                        yChannels: s.o + 2, winograd: filters, reference: ref, rng: &rng, "scattered \(label)")
                    Conv2DKernelTests.checkRoutedEpilogue(
                        x: x, w: w, stride: 1, padding: 1, map: (0..<s.o).map { $0 + 1 }, yChannels: s.o + 4,
                        winograd: filters, reference: ref, rng: &rng, "contiguous \(label)")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(taken, 2 * 2 * Self.channelSplitShapes.count - 4,
                                    "most of these shapes should take the output-channel split at 2 and 3 threads")
    }

    /// The split rule: batch 1 on small maps splits output channels at 2 workers, never at 1; batch 8 and the
    /// batch-1 56² map (two blocks a worker) keep the tile-row split.
    func testWorkSplitRule() {
        let split = { (n: Int, c: Int, side: Int, workers: Int) in
            WinogradKernel.WorkSplit(self.geometry(n, c, side), variant: .f4x3, workers: workers).kind
        }
        XCTAssertEqual(split(1, 256, 14, 2), .outputChannels)
        XCTAssertEqual(split(1, 128, 28, 2), .outputChannels)
        XCTAssertEqual(split(1, 512, 7, 2), .outputChannels)
        XCTAssertEqual(split(1, 256, 14, 1), .tileRows)
        XCTAssertEqual(split(1, 64, 56, 2), .tileRows)
        XCTAssertEqual(split(8, 256, 14, 2), .tileRows)
        XCTAssertEqual(split(8, 128, 28, 2), .tileRows)
    }

    /// The kernel computes with the filters it is given: made from another weight, the output is that weight's conv.
    func testUsesTheGivenFilters() {
        var rng = SplitMix64(seed: 4)
        let x = Tensor(gaussian: [2, 8, 9, 10], std: 1, rng: &rng)
        let w = Tensor(gaussian: [6, 8, 3, 3], std: 0.5, rng: &rng)
        let other = Tensor(gaussian: [6, 8, 3, 3], std: 0.5, rng: &rng)
        for variant in WinogradKernel.Variant.allCases {
            let got = Conv2DKernel.forward(x, weight: w, stride: (1, 1), padding: (1, 1),
                                           winograd: WinogradKernel.Filters(other, variant: variant))
            assertClose(got, Conv2DKernelTests.referenceConv(x, other, bias: nil, stride: 1, padding: 1, groups: 1),
                        "\(variant)")
        }
    }

    func testF2x3AgainstDirectReference() { check(.f2x3, seed: 5) }

    func testF4x3AgainstDirectReference() { check(.f4x3, seed: 6) }

    /// The fused epilogue (BN scale/shift, bias, residual, ReLU) and the channel routing of a Ghost module's primary
    /// conv: routed channels get the epilogue, the others stay untouched.
    func testRoutedEpilogueWithResidualAndReLU() {
        var rng = SplitMix64(seed: 9)
        let (n, c, h, w, o) = (2, 11, 10, 9, 5)
        let x = Tensor(gaussian: [n, c, h, w], std: 1, rng: &rng)
        let weight = Tensor(gaussian: [o, c, 3, 3], std: 0.5, rng: &rng)
        let scale = Tensor(gaussian: [o], std: 1, rng: &rng), shift = Tensor(gaussian: [o], std: 1, rng: &rng)
        let map = [6, 0, 3, 7, 2]  // channels 1, 4 and 5 of the 8 stay untouched
        let residual = Tensor(gaussian: [n, 8, h, w], std: 1, rng: &rng)
        let ref = Conv2DKernelTests.referenceConv(x, weight, bias: nil, stride: 1, padding: 1, groups: 1)
        for variant in WinogradKernel.Variant.allCases {
            for threads in [1, 2] {
                Engine.threads = threads
                let y = Tensor(repeating: 42, shape: [n, 8, h, w])
                let e = Epilogue(scale: UnsafePointer(scale.readPointer), shift: UnsafePointer(shift.readPointer),
                                 residual: UnsafePointer(residual.readPointer), relu: true)
                Conv2DKernel.forward(x, weight: weight, stride: (1, 1), padding: (1, 1), epilogue: e, into: y,
                                     routing: ChannelRouting(outputChannels: 8, outputMap: map),
                                     winograd: WinogradKernel.Filters(weight, variant: variant))
                var worst: Float = 0
                for i in 0..<n { for co in 0..<8 { for yy in 0..<h { for xx in 0..<w {
                    let got = y[i, co, yy, xx]
                    if let k = map.firstIndex(of: co) {
                        let want = max(ref[i, k, yy, xx] * scale[k] + shift[k] + residual[i, co, yy, xx], 0)
                        worst = max(worst, abs(got - want) / max(1, abs(want)))
                    } else {
                        XCTAssertEqual(got, 42, "untouched channel \(co) written (\(variant))")
                    }
                } } } }
                XCTAssertLessThan(worst, 1e-4, "\(variant) threads \(threads)")
            }
        }
        Engine.threads = Engine.defaultThreads
        withExtendedLifetime((scale, shift, residual)) {}
    }

    /// The layer's filters follow its weight: changed in place after an eval forward, the next forward uses the
    /// new values; the fused BN + residual + ReLU forward matches the reference.
    func testLayerFollowsWeightChanges() {
        Engine.threads = 2
        defer { Engine.threads = Engine.defaultThreads }
        var rng = SplitMix64(seed: 11)
        let g = ConvGeometry(batch: 4, inChannels: 32, height: 16, width: 16, outChannels: 32, kernel: (3, 3),
                             padding: (1, 1))
        XCTAssertNotNil(WinogradKernel.preferredVariant(for: g), "this shape should take the Winograd path")
        let x = Tensor(gaussian: [4, 32, 16, 16], std: 1, rng: &rng)
        let w = Tensor(gaussian: [32, 32, 3, 3], std: 0.5, rng: &rng)
        let bias = Tensor(gaussian: [32], std: 1, rng: &rng)
        let conv = Conv2D(weight: w, bias: bias, stride: (1, 1), padding: (1, 1))
        assertClose(conv(x), Conv2DKernelTests.referenceConv(x, w, bias: bias, stride: 1, padding: 1, groups: 1),
                    "first forward")
        for i in 0..<w.count where i % 3 == 0 { conv.weight.value.uncheckedMutablePointer[i] *= -2 }
        assertClose(conv(x), Conv2DKernelTests.referenceConv(x, conv.weight.value, bias: bias, stride: 1, padding: 1,
                                                             groups: 1), "after the weight changed in place")
        let scale = Tensor(gaussian: [32], std: 1, rng: &rng), shift = Tensor(gaussian: [32], std: 1, rng: &rng)
        let residual = Tensor(gaussian: [4, 32, 16, 16], std: 1, rng: &rng)
        let fused = conv.forward(x, scale: scale, shift: shift, residual: residual, relu: true)
        let plain = Conv2DKernelTests.referenceConv(x, conv.weight.value, bias: bias, stride: 1, padding: 1, groups: 1)
        let want = Tensor(uninitialized: plain.shape)
        for i in 0..<plain.count {
            let ch = (i / 256) % 32
            want.uncheckedMutablePointer[i] = max(plain.uncheckedMutablePointer[i] * scale[ch] + shift[ch] + residual.uncheckedMutablePointer[i], 0)
        }
        assertClose(fused, want, "fused BN + residual + ReLU")
    }

    /// The older threshold rule (kept for A/B runs): F(4×4) on maps of ≥ 14 pixels a side with ≥ 16 tiles per
    /// worker, nothing on 7×7 maps, few channels, or batch-1 14×14 maps (16 tiles) at one or two workers.
    func testThresholdDispatchRule() {
        Engine.threads = 2
        WinogradKernel.dispatch = .f4Threshold
        defer { Engine.threads = Engine.defaultThreads; WinogradKernel.dispatch = .costModel }
        XCTAssertEqual(WinogradKernel.preferredVariant(for: geometry(8, 64, 56)), .f4x3)
        XCTAssertEqual(WinogradKernel.preferredVariant(for: geometry(1, 64, 28)), .f4x3)
        XCTAssertEqual(WinogradKernel.preferredVariant(for: geometry(8, 256, 14)), .f4x3)
        XCTAssertNil(WinogradKernel.preferredVariant(for: geometry(8, 512, 7)))
        XCTAssertNil(WinogradKernel.preferredVariant(for: geometry(1, 256, 14)))
        XCTAssertNil(WinogradKernel.preferredVariant(for: geometry(8, 8, 56)))
        Engine.threads = 1  // 16 tiles are enough for one worker but too few to pay for the filter transform
        XCTAssertNil(WinogradKernel.preferredVariant(for: geometry(1, 256, 14)))
        XCTAssertEqual(WinogradKernel.preferredVariant(for: geometry(2, 256, 14)), .f4x3)
    }

    /// The cost model's choices on ResNet's shapes and their Ghost-ResNet primaries, as measured per layer (README,
    /// Benchmark): F(4×4) on the large maps at either batch, the GEMMs for batch-1 7×7 maps, never a variant for few
    /// channels; and each choice is the cheapest estimate.
    func testCostModelDispatch() {
        defer { Engine.threads = Engine.defaultThreads }
        // Ghost-ResNet's primary on 14², batch 1, one worker: F(2×2)'s blocks of 42 and 7 tiles measure 1.34× slower
        // than F(4×4)'s one block of 16 (`bench --conv-layers`, Zen 4); pricing all blocks as the widest chose F(2×2).
        Engine.threads = 1
        XCTAssertEqual(WinogradKernel.preferredVariant(for: geometry(1, 256, 14, outChannels: 128)), .f4x3)
        for threads in [1, 2] {
            Engine.threads = threads
            XCTAssertEqual(WinogradKernel.preferredVariant(for: geometry(8, 64, 56)), .f4x3)
            XCTAssertEqual(WinogradKernel.preferredVariant(for: geometry(1, 64, 56)), .f4x3)
            XCTAssertEqual(WinogradKernel.preferredVariant(for: geometry(8, 128, 28)), .f4x3)
            XCTAssertNil(WinogradKernel.preferredVariant(for: geometry(1, 512, 7)))
            XCTAssertNil(WinogradKernel.preferredVariant(for: geometry(8, 8, 56)))
            XCTAssertNil(WinogradKernel.preferredVariant(for: geometry(1, 512, 7, outChannels: 256)))
            for n in [1, 2, 8] {
                // The Ghost primaries (c/2 outputs) where c/2 ≥ 16, the least `preferredVariant` gives a variant.
                var shapes: [ConvGeometry] = []
                for (c, side) in [(64, 56), (128, 28), (256, 14), (512, 7), (24, 9)] {
                    shapes.append(geometry(n, c, side))
                    if c / 2 >= 16 { shapes.append(geometry(n, c, side, outChannels: c / 2)) }
                }
                for g in shapes {
                    let chosen = WinogradCostModel.cost(g, variant: WinogradKernel.preferredVariant(for: g),
                                                        workers: threads)
                    for v in [nil] + WinogradKernel.Variant.allCases.map(Optional.some) {
                        XCTAssertLessThanOrEqual(chosen, WinogradCostModel.cost(g, variant: v, workers: threads),
                                                 "\(g) \(String(describing: v))")
                    }
                }
            }
        }
    }

    /// Eval-mode layers on whatever path the cost model picks (F(2×2), F(4×4) or the GEMMs) match the direct
    /// reference: batch 1 and 2, odd maps, 1 and 2 threads.
    func testCostModelLayersMatchReference() {
        defer { Engine.threads = Engine.defaultThreads }
        var rng = SplitMix64(seed: 21)
        var seen: Set<String> = []
        for threads in [1, 2] {
            Engine.threads = threads
            for (n, c, side) in [(1, 256, 14), (1, 64, 28), (2, 48, 13), (1, 128, 7), (2, 32, 15)] {
                let conv = Conv2D(c, c, kernel: 3, padding: 1, rng: &rng)
                let x = Tensor(gaussian: [n, c, side, side], std: 1, rng: &rng)
                seen.insert(String(describing: WinogradKernel.preferredVariant(for: geometry(n, c, side))))
                assertClose(conv(x), Conv2DKernelTests.referenceConv(x, conv.weight.value, bias: nil, stride: 1,
                                                                   padding: 1, groups: 1), "\(n)×\(c)×\(side)²")
            }
        }
        XCTAssertGreaterThan(seen.count, 1, "the shapes should exercise more than one path")
    }

    private func geometry(_ n: Int, _ c: Int, _ side: Int, outChannels: Int? = nil) -> ConvGeometry {
        ConvGeometry(batch: n, inChannels: c, height: side, width: side, outChannels: outChannels ?? c,
                     kernel: (3, 3), padding: (1, 1))
    }

    func testSupportsOnlyStrideOnePaddedThreeByThree() {
        let base = ConvGeometry(batch: 1, inChannels: 4, height: 8, width: 8, outChannels: 4, kernel: (3, 3),
                                padding: (1, 1))
        XCTAssertTrue(WinogradKernel.supports(base))
        var strided = base; strided.strideH = 2; strided.strideW = 2
        var grouped = base; grouped.groups = 2
        var unpadded = base; unpadded.padH = 0; unpadded.padW = 0
        var five = base; five.kernelH = 5; five.kernelW = 5; five.padH = 2; five.padW = 2
        for g in [strided, grouped, unpadded, five] { XCTAssertFalse(WinogradKernel.supports(g), "\(g)") }
    }
}
