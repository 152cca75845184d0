import GhostTensor
import XCTest

/// Max pooling against a direct loop over each window (the torch fixtures in TorchParityOpsTests cover a few
/// shapes; this one covers every kernel / stride / padding mix the separable passes index differently).
final class PoolingTests: XCTestCase {
    private var savedThreads = 1
    override func setUp() { savedThreads = Engine.threads }
    override func tearDown() { Engine.threads = savedThreads }

    /// max over the window's valid taps, taps in row-major order, as PyTorch (padding never wins).
    private func reference(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> [Float] {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let OH = Pooling.outputSize(H, kernel: kernel, stride: stride, padding: padding)
        let OW = Pooling.outputSize(W, kernel: kernel, stride: stride, padding: padding)
        let v = x.scalars
        var out: [Float] = []
        for plane in 0..<(N * C) {
            for oy in 0..<OH {
                for ox in 0..<OW {
                    var best = -Float.infinity
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let (iy, ix) = (oy * stride - padding + ky, ox * stride - padding + kx)
                            guard iy >= 0, iy < H, ix >= 0, ix < W else { continue }
                            best = max(best, v[(plane * H + iy) * W + ix])
                        }
                    }
                    out.append(best)
                }
            }
        }
        return out
    }

    func testMaxPoolMatchesDirectWindows() {
        var rng = SplitMix64(seed: 11)
        for (kernel, stride) in [(1, 1), (2, 2), (3, 1), (3, 2), (3, 3), (5, 2), (4, 3)] {
            for padding in 0...(kernel / 2) {
                for (h, w) in [(7, 7), (9, 12), (kernel, 17)] {
                    let x = Tensor(gaussian: [2, 3, h, w], std: 1, rng: &rng)
                    for t in [1, 2] {
                        Engine.threads = t
                        let y = Pooling.maxPool(x, kernel: kernel, stride: stride, padding: padding)
                        XCTAssertEqual(
                            y.scalars, reference(x, kernel: kernel, stride: stride, padding: padding),
                            "k\(kernel) s\(stride) p\(padding) \(h)×\(w), \(t) threads")
                    }
                }
            }
        }
    }

    /// A plane of −∞ (a saturated activation) stays −∞, including the windows that overlap the padding.
    func testMaxPoolKeepsNegativeInfinity() {
        let x = Tensor(shape: [1, 1, 4, 4], values: [Float](repeating: -.infinity, count: 16))
        let y = Pooling.maxPool(x, kernel: 3, stride: 2, padding: 1)
        XCTAssertEqual(y.scalars, [Float](repeating: -.infinity, count: 4))
    }
}
