import Foundation
import GhostAnalysis
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

/// NaN and ±∞ in the maps of a scan: detected and named (layer, channel, image) before fitting, and a fit handed
/// them anyway returns NaN at once instead of searching for a ridge forever (fit-kernels spun at 100 % CPU).
final class NonFiniteFitTests: XCTestCase {
    func activations(_ bad: Float, image: Int, channel: Int) -> Tensor {
        var rng = SplitMix64(seed: 3)
        let x = Tensor(gaussian: [3, 4, 5, 5], std: 1, rng: &rng)
        x.uncheckedMutablePointer[(image * 4 + channel) * 25 + 7] = bad
        return x
    }

    func testNonFiniteMapsAreNamedByLayerChannelAndImage() {
        for bad in [Float.nan, .infinity, -.infinity] {
            let x = activations(bad, image: 2, channel: 3)
            let found = PairFitting.firstNonFinite(x)
            XCTAssertEqual(found?.image, 2)
            XCTAssertEqual(found?.channel, 3)
            XCTAssertThrowsError(try PairFitting.checkFinite(x, layer: "layer1.0", file: "scan/activations.h5")) { e in
                XCTAssertEqual("\(e)", "scan/activations.h5: layer layer1.0, channel 3 holds \(bad) (image 2); "
                               + "kernel fits need finite activations")
            }
        }
        var rng = SplitMix64(seed: 4)
        XCTAssertNoThrow(try PairFitting.checkFinite(Tensor(gaussian: [2, 3, 4, 4], std: 1, rng: &rng), layer: "l", file: "f"))
    }

    func testFitOfNonFiniteMapsReturnsNaNPromptly() {
        for bad in [Float.nan, .infinity] {
            let x = activations(bad, image: 0, channel: 1)
            for norm in MapNormalization.allCases {
                let fits = PairFitting.fit(x, pairs: [(a: 1, b: 2), (a: 2, b: 1), (a: 0, b: 3)], sizes: [1, 3, 5],
                                           normalization: norm, bias: true)
                XCTAssertEqual(fits.count, 3)
                XCTAssertTrue(fits[0].allSatisfy { $0.mse.isNaN || !$0.mse.isFinite || $0.kernel.contains { $0.isNaN } },
                              "\(bad) \(norm): \(fits[0].map(\.mse))")
                XCTAssertTrue(fits[2].allSatisfy { $0.mse.isFinite }, "the finite pair still fits")
            }
        }
    }
}
