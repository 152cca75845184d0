import Foundation
import GhostConvert
import GhostModels
import GhostReport
import GhostTensor
import GhostTestSupport
import XCTest

/// The conversion's original-vs-Ghost grids: both written as PNG, SVG and PDF, each naming its model.
final class ConversionGridsTests: XCTestCase {
    func testBothGridsNameTheirModelAndTheCheapChannels() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.buildResNet(seed: 5)
        var rng = SplitMix64(seed: 6)
        let batches = (0..<2).map { _ in Tensor(gaussian: [8, 1, 10, 10], std: 1, rng: &rng) }
        let (ghost, ghostArch, _) = try ResNetToGhost.convert(
            model, architecture: arch,
            settings: .init(ghost: GhostSettings(s: 2, d: 3)),
            calibration: batches)
        let grids = try ConversionGrids(
            original: model, ghost: ghost, unit: "layer1.0.conv1",
            image: Tensor(gaussian: [1, 1, 10, 10], std: 1, rng: &rng))
        let pictures = grids.render(
            originalName: arch.displayName, ghostName: ghostArch.displayName, image: "test image 0")
        try pictures.original.write(to: dir + "/grid-resnet.png")
        try pictures.ghost.write(to: dir + "/grid-ghost.png")
        try assertFigure(
            dir + "/grid-resnet", size: pictures.original.pixelSize,
            labels: [arch.displayName, "layer1.0.conv1", "test image 0", "8 of 16 channels", "ch 15"])
        try assertFigure(
            dir + "/grid-ghost", size: pictures.ghost.pixelSize,
            labels: [ghostArch.displayName, "Ghost module output", "8 of 16 channels"])
        XCTAssertNotEqual(arch.displayName, ghostArch.displayName)
    }
}
