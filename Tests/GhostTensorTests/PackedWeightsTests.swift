import XCTest

@testable import GhostTensor
import GhostTestSupport

/// Weights packed once for OpenBLAS's micro-kernel (`OpenBLASMicroKernel`, `PackedWeights`) against cblas_sgemm, and
/// `Module.withPackedWeights` on convolutions against the unpacked forward.
final class PackedWeightsTests: XCTestCase {
    private var savedThreads = 1

    override func setUp() { savedThreads = Engine.threads }
    override func tearDown() { Engine.threads = savedThreads }

    /// Debian's OpenBLAS 0.3.21 exports the micro-kernels of every x86-64 family GhostKit runs on; the loader must
    /// find them, read panel widths that divide 64 and keep OpenBLAS's blocking.
    func testMicroKernelLoadsForThisCPU() throws {
        let core = BLASKernelSelection.coreName
        guard ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"].contains(core) else {
            throw XCTSkip("OpenBLAS runs its \(core) kernels here")
        }
        let micro = try XCTUnwrap(OpenBLASMicroKernel.shared, "no usable micro-kernel for \(core)")
        XCTAssertTrue([4, 8, 16, 32].contains(micro.unrollM), "unroll M \(micro.unrollM)")
        XCTAssertTrue([2, 4, 8].contains(micro.unrollN), "unroll N \(micro.unrollN)")
        XCTAssertEqual(micro.p % micro.unrollM, 0)
        XCTAssertNil(OpenBLASMicroKernel.load(core: "NoSuchCore"))
    }

    func testDepthBlocksCoverKAndBalanceTheLastTwo() {
        XCTAssertEqual(OpenBLASMicroKernel.depthBlocks(100, q: 320, unrollM: 16), [100])
        XCTAssertEqual(OpenBLASMicroKernel.depthBlocks(640, q: 320, unrollM: 16), [320, 320])
        XCTAssertEqual(OpenBLASMicroKernel.depthBlocks(500, q: 320, unrollM: 16), [256, 244])
        XCTAssertEqual(OpenBLASMicroKernel.depthBlocks(4608, q: 320, unrollM: 16).reduce(0, +), 4608)
        XCTAssertEqual(OpenBLASMicroKernel.depthBlocks(0, q: 320, unrollM: 16), [])
    }

    /// C = W · X on ragged shapes (K over several depth blocks, n over several `p` runs or, at a depth under `q`,
    /// over several widened runs; channels off the panel grid, which take cblas_sgemm) and leading dimensions wider
    /// than the data, with the weight packed to keep and packed per call by the workers; `finish` runs once, after
    /// all of C is written.
    func testMultiplyMatchesCBLAS() throws {
        let micro = try XCTUnwrap(OpenBLASMicroKernel.shared)
        var rng = SplitMix64(seed: 3)
        let shapes = [
            (m: 37, k: 53, n: 29), (m: 64, k: 2 * micro.q + 77, n: micro.p + 13), (m: 5, k: 9, n: 1),
            (m: 24, k: 40, n: micro.p * micro.q / 40 + 50),
        ]
        Engine.threads = 2
        for (m, k, n) in shapes {
            let w = Tensor(gaussian: [m, k], std: 1, rng: &rng)
            let ldx = n + 3, ldc = n + 5
            let x = Tensor(gaussian: [k, ldx], std: 1, rng: &rng)
            let kept = try XCTUnwrap(PackedWeights(w))
            let perCall = try XCTUnwrap(PackedWeights(perCall: w.readPointer, rows: m, depth: k))
            let u = micro.unrollN
            let ranges = [0..<m, u..<m, 0..<min(m, 2 * u), 1..<m, (m - 1)..<m]
            for (packed, channels) in [kept, perCall].flatMap({ p in ranges.map { (p, $0) } }) {
                var expected = [Float](repeating: 0, count: channels.count * ldc)
                var got = [Float](repeating: .nan, count: channels.count * ldc)
                gemm(
                    m: channels.count, n: n, k: k, a: w.readPointer + channels.lowerBound * k, lda: k, b: x.readPointer,
                    ldb: ldx, c: &expected, ldc: ldc)
                var finished = 0
                got.withUnsafeMutableBufferPointer { c in
                    packed.multiply(channels: channels, n: n, x: x.readPointer, ldx: ldx, c: c.baseAddress!, ldc: ldc) {
                        finished += 1
                        // C is complete when finish runs: its last element already holds the product.
                        XCTAssertFalse(c[(channels.count - 1) * ldc + n - 1].isNaN, "finish before C was written")
                    }
                }
                XCTAssertEqual(finished, 1, "\(m)×\(k)×\(n) channels \(channels): finish ran \(finished) times")
                let scale = expected.reduce(0) { max($0, abs($1)) }
                for r in 0..<channels.count {
                    for j in 0..<n {
                        let (e, g) = (expected[r * ldc + j], got[r * ldc + j])
                        XCTAssertEqual(g, e, accuracy: 1e-5 * scale, "\(m)×\(k)×\(n) channels \(channels) at \(r),\(j)")
                    }
                    // Columns past n are C's padding: left as they were.
                    XCTAssertTrue(got[r * ldc + n].isNaN, "\(m)×\(k)×\(n) wrote past n")
                }
            }
        }
    }

    /// Batch-1 convolutions on 7×7 maps (3×3 on the GEMM path, strided, pointwise) give the same output inside and
    /// outside the scope at 1 and 2 threads, pack their weight there and free it after.
    func testConvolutionsInsideTheScopeMatchAndReleaseTheirPacks() throws {
        try XCTSkipIf(OpenBLASMicroKernel.shared == nil, "no micro-kernel")
        var rng = SplitMix64(seed: 5)
        let cases: [(cin: Int, cout: Int, k: Int, stride: Int, side: Int)] = [
            (96, 72, 3, 1, 7), (64, 40, 3, 2, 14), (128, 200, 1, 1, 7), (48, 33, 7, 2, 22),
        ]
        for t in [1, 2] {
            Engine.threads = t
            for c in cases {
                let conv = Conv2D(
                    weight: Tensor(gaussian: [c.cout, c.cin, c.k, c.k], std: 0.1, rng: &rng),
                    bias: Tensor(gaussian: [c.cout], std: 1, rng: &rng), stride: (c.stride, c.stride),
                    padding: (c.k / 2, c.k / 2))
                let model = Sequential([conv])
                model.train(false)
                let x = Tensor(gaussian: [1, c.cin, c.side, c.side], std: 1, rng: &rng)
                let reference = model(x)
                let (inside, packed) = model.withPackedWeights { (model(x), conv.packedWeight != nil) }
                XCTAssertTrue(packed, "\(c) did not pack")
                XCTAssertNil(conv.packedWeight)
                assertClose(inside, reference, "\(c), \(t) threads")
            }
        }
    }

    /// A weight replaced inside the scope is packed again; training-mode forwards, wide GEMMs and batches over 1 never
    /// pack.
    func testReplacedWeightRepacksAndTrainingNeverPacks() throws {
        try XCTSkipIf(OpenBLASMicroKernel.shared == nil, "no micro-kernel")
        var rng = SplitMix64(seed: 9)
        let conv = Conv2D(weight: Tensor(gaussian: [32, 16, 1, 1], std: 1, rng: &rng))
        let x = Tensor(gaussian: [1, 16, 7, 7], std: 1, rng: &rng)
        conv.train(false)
        conv.withPackedWeights {
            _ = conv(x)
            let first = conv.packedWeight
            XCTAssertNotNil(first)
            conv.weight.value = Tensor(gaussian: [32, 16, 1, 1], std: 1, rng: &rng)
            let y = conv(x)
            XCTAssertFalse(conv.packedWeight === first)
            conv.packedWeight = nil
            conv.packsWeight = false
            assertClose(y, conv(x), "after the weight was replaced")
            conv.packsWeight = true
            _ = conv(Tensor(gaussian: [1, 16, 64, 64], std: 1, rng: &rng))  // 4096 columns: no pack
            XCTAssertNil(conv.packedWeight)
            _ = conv(Tensor(gaussian: [2, 16, 7, 7], std: 1, rng: &rng))  // batch 2: per-call packing
            XCTAssertNil(conv.packedWeight)
            conv.train(true)
            _ = conv(x)
            XCTAssertNil(conv.packedWeight)
        }
        XCTAssertFalse(conv.packsWeight)
    }
}
