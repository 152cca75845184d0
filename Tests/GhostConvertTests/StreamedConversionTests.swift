import GhostAnalysis
import GhostConvert
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// convert sums its correlations and least-squares equations per conv as each batch's BN outputs appear, with
/// batches made one at a time. The result must be the in-memory computation's: every BN output of the whole
/// calibration set captured at once, one correlation matrix and one least-squares fit over all of it.
final class StreamedConversionTests: XCTestCase {
    func testStreamedConversionEqualsInMemoryFits() throws {
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.buildResNet(seed: 11)
        var rng = SplitMix64(seed: 12)
        let all = Tensor(gaussian: [18, 1, 10, 10], std: 1, rng: &rng)
        let per = all.count / 18
        var made = 0
        let streamed = CalibrationBatches(count: 3) { b in
            made += 1
            let t = Tensor(uninitialized: [6, 1, 10, 10])
            t.uncheckedMutablePointer.update(from: all.readPointer + b * 6 * per, count: 6 * per)
            return t
        }
        let settings = ResNetToGhost.Settings(ghost: GhostSettings(s: 2, d: 3))
        let (ghost, _, units) = try ResNetToGhost.convert(model, architecture: arch, settings: settings,
                                                         calibration: streamed)
        XCTAssertEqual(made, 6, "two passes (correlations, fits) over three batches, each made when needed")

        // The in-memory reference: all 18 images in one forward pass, every site's BN output held at once.
        let sites = try ResNetToGhost.sites(original: model, ghost: ghost)
        var captured: [String: Tensor] = [:]
        ResNetToGhost.collect(model, [all], sites: sites) { captured = $0 }
        var checkedKernels = 0
        for site in sites {
            let x = try XCTUnwrap(captured[site.observed]), n = site.conv.outChannels
            var corr = ChannelCorrelation(channels: n)
            corr.add(x)
            let selection = IntrinsicSelection.greedy(correlation: corr.pearson(), channels: n, ratio: 2)
            XCTAssertEqual(site.module.index, selection.outputIndex, site.name)
            let m = selection.intrinsic.count, d = 3
            let w = site.module.cheapConv.weight.value
            var fitted: [Double] = []
            for (k, list) in selection.ghosts.enumerated() {
                for (t, c) in list.enumerated() {
                    var src = PairFitting.maps(x, channel: selection.intrinsic[k], normalization: .raw)
                    if site.relu { for i in src.indices where src[i] < 0 { src[i] = 0 } }
                    let tgt = PairFitting.maps(x, channel: c, normalization: .raw)
                    let f = KernelFit.fit(source: src, target: tgt, images: 18, height: x.shape[2], width: x.shape[3],
                                          sizes: [d])[0]
                    let q = k + t  // s − 1 = 1 cheap slot per intrinsic channel
                    for i in 0..<(d * d) {
                        XCTAssertEqual(Double(w.readPointer[q * d * d + i]), f.kernel[i],
                                       accuracy: 1e-4 * max(1, abs(f.kernel[i])), "\(site.name) channel \(c)")
                    }
                    fitted.append(f.r2)
                    checkedKernels += 1
                }
            }
            XCTAssertEqual(m + fitted.count, n)
            let unit = try XCTUnwrap(units.first { $0.name == site.name })
            XCTAssertEqual(unit.meanR2 ?? .nan, fitted.reduce(0, +) / Double(fitted.count), accuracy: 1e-6, site.name)
        }
        XCTAssertGreaterThan(checkedKernels, 200)
    }
}
