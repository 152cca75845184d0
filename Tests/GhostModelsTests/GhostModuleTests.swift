import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// The eval-mode Ghost module writes both branches straight into its output (ChannelRouting); it must give
/// exactly what concat + gather (+ residual, ReLU) of the two branches gives.
final class GhostModuleTests: XCTestCase {
    /// A module with random BN statistics and the given output_index.
    func makeModule(in cin: Int, out n: Int, kernel: Int, stride: Int, s: Int, relu: Bool, index: [Int],
                    rng: inout SplitMix64) -> GhostModule {
        let g = GhostModule(cin, n, kernel: kernel, stride: stride, padding: kernel / 2, s: s, d: 3, relu: relu, rng: &rng)
        for bn in [g.primaryBN, g.cheapBN] {
            let c = bn.channels
            bn.weight.value = Tensor(uniform: [c], bound: 1, rng: &rng)
            bn.bias.value = Tensor(uniform: [c], bound: 0.5, rng: &rng)
            bn.runningMean.value = Tensor(uniform: [c], bound: 0.3, rng: &rng)
            bn.runningVar.value = Tensor(shape: [c], values: (0..<c).map { _ in 0.5 + rng.nextFloat() })
        }
        g.outputIndex.value = Tensor(shape: [n], values: index.map(Float.init))
        g.train(false)
        return g
    }

    /// concat(intrinsic, ghost)[index] (+ residual) (→ ReLU), from the layers one by one.
    func reference(_ g: GhostModule, _ x: Tensor, residual: Tensor?, reluAfter: Bool) -> Tensor {
        var x1 = g.primaryBN(g.primaryConv(x))
        if g.relu { x1 = Elementwise.relu(x1) }
        var x2 = g.cheapBN(g.cheapConv(x1))
        if g.relu { x2 = Elementwise.relu(x2) }
        let y = Elementwise.gatherChannels([x1, x2], index: g.index)
        return residual.map { Elementwise.add(y, $0, relu: reluAfter) } ?? y
    }

    func testRoutedForwardMatchesConcatAndGather() {
        var rng = SplitMix64(seed: 11)
        // (in, out, kernel, stride, s, relu, index): plain slice, a permutation keeping every intrinsic channel
        // (routed through the GEMM's scratch rows), a repeated channel and one leaving intrinsic
        // channels out (both take the gather path), and s = 3 with cut ghost channels.
        let cases: [(Int, Int, Int, Int, Int, Bool, [Int])] = [
            (5, 8, 1, 1, 2, false, Array(0..<8)),
            (5, 8, 3, 2, 2, true, [7, 2, 0, 5, 1, 6, 3, 4]),
            (4, 6, 3, 1, 2, false, [0, 1, 3, 4, 5, 3]),
            (6, 8, 1, 1, 2, false, [4, 5, 6, 7, 0, 1, 2, 3]),
            (3, 7, 3, 1, 3, false, [3, 4, 5, 6, 7, 8, 0]),
            (3, 7, 3, 1, 3, true, [6, 0, 3, 1, 2, 4, 5]),
        ]
        for (i, (cin, n, k, stride, s, relu, index)) in cases.enumerated() {
            let g = makeModule(in: cin, out: n, kernel: k, stride: stride, s: s, relu: relu, index: index, rng: &rng)
            let x = Tensor(uniform: [3, cin, 9, 7], bound: 1, rng: &rng)
            let shape = [3, n, (9 + 2 * (k / 2) - k) / stride + 1, (7 + 2 * (k / 2) - k) / stride + 1]
            let r = Tensor(uniform: shape, bound: 1, rng: &rng)
            for t in [1, 2] {
                Engine.threads = t
                assertClose(g(x), reference(g, x, residual: nil, reluAfter: false), "case \(i), \(t) threads")
                for reluAfter in [false, true] {
                    assertClose(g.forward(x, residual: r, reluAfterResidual: reluAfter),
                                reference(g, x, residual: r, reluAfter: reluAfter),
                                "case \(i) + residual (ReLU \(reluAfter)), \(t) threads")
                }
            }
        }
        Engine.threads = Engine.defaultThreads
    }

    /// Small maps (7×7, batch 8) take the GEMM's several-images-per-tile path; routed rows must land per image.
    func testRoutedForwardOnSmallMapsBatchesImages() {
        var rng = SplitMix64(seed: 5)
        let g = makeModule(in: 16, out: 12, kernel: 1, stride: 1, s: 2, relu: true,
                           index: [11, 0, 10, 1, 9, 2, 8, 3, 7, 4, 6, 5], rng: &rng)
        let x = Tensor(uniform: [8, 16, 7, 7], bound: 1, rng: &rng)
        for t in [1, 2] {
            Engine.threads = t
            assertClose(g(x), reference(g, x, residual: nil, reluAfter: false), "\(t) threads")
        }
        Engine.threads = Engine.defaultThreads
    }
}
