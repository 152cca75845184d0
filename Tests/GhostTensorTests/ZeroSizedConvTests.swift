import GhostTensor
import GhostTestSupport
import XCTest

/// Zero-sized maps reaching a convolution (a 0×0 image, an empty batch) give an empty (or all-padding, zero) output
/// instead of a division by zero in the GEMM tiling (SIGFPE in Conv2DKernel.tiles).
final class ZeroSizedConvTests: XCTestCase {
    func testZeroSizedInputsGiveEmptyOutputs() {
        var rng = SplitMix64(seed: 1)
        let w3 = Tensor(gaussian: [4, 3, 3, 3], std: 1, rng: &rng), w1 = Tensor(gaussian: [4, 3, 1, 1], std: 1, rng: &rng)
        for (x, w, stride, pad, expected) in [
            (Tensor(zeros: [2, 3, 0, 0]), w3, 1, 1, [2, 4, 0, 0]),
            (Tensor(zeros: [2, 3, 5, 0]), w3, 1, 1, [2, 4, 5, 0]),
            (Tensor(zeros: [0, 3, 8, 8]), w3, 1, 1, [0, 4, 8, 8]),
            (Tensor(zeros: [2, 3, 0, 0]), w1, 1, 0, [2, 4, 0, 0]),
            (Tensor(zeros: [0, 3, 40, 40]), w3, 2, 1, [0, 4, 20, 20]),
        ] {
            let y = Conv2DKernel.forward(x, weight: w, stride: (stride, stride), padding: (pad, pad))
            XCTAssertEqual(y.shape, expected, "input \(x.shape)")
        }
        // A 7×7/2 stem with padding 3 on a 0×0 image: a 1×1 output of padding only.
        let stem = Conv2DKernel.forward(Tensor(zeros: [1, 3, 0, 0]), weight: Tensor(gaussian: [8, 3, 7, 7], std: 1, rng: &rng),
                                        stride: (2, 2), padding: (3, 3))
        XCTAssertEqual(stem.shape, [1, 8, 1, 1])
        XCTAssertEqual(stem.maxAbs, 0)
    }
}
