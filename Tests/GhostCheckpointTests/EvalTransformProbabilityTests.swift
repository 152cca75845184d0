import Foundation
import GhostCheckpoint
import GhostData
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

/// JPEG/PNG → torchvision's Resize(256) + CenterCrop(224) (or Resize(32) + CenterCrop(32)) → ImageNet mean/std →
/// a torchvision-layout ResNet-18 gives PyTorch's probabilities (tools/make_image_fixtures.py).
final class EvalTransformProbabilityTests: XCTestCase {
    struct Expected: Decodable {
        let p224: [Double]
        let p32: [Double]
    }

    func testProbabilitiesMatchTorchvision() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("images/expected.json")))
        let expected = try JSONDecoder().decode([String: Expected].self, from: data)
        let ckpt = try Checkpoint(path: Fixtures.path("images/r18_w16.pth"))
        XCTAssertEqual(ckpt.architecture.displayName, "resnet18 (width 0.0625, 3→10)")
        XCTAssertEqual(ckpt.architecture.defaultInputSize, 224)
        let model = try ckpt.makeModel().model
        let norm = Normalization.imagenet
        var worst = 0.0
        for (name, e) in expected.sorted(by: { $0.key < $1.key }) {
            let img = try ImageFile.read8(path: Fixtures.path("images/photos/" + name), channels: 3)
            for (side, reference) in [(224, e.p224), (32, e.p32)] {
                let x = EvalTransform(inputSize: side).apply(img)
                let plane = side * side
                for c in 0..<3 { for i in 0..<plane {
                    x.uncheckedMutablePointer[c * plane + i] = (x.uncheckedMutablePointer[c * plane + i] - norm.mean[c]) / norm.std[c]
                } }
                let p = CrossEntropy.softmax(model(x.reshaped([1, 3, side, side]))).scalars.map(Double.init)
                for (a, b) in zip(p, reference) {
                    XCTAssertEqual(a, b, accuracy: 2e-3, "\(name) at \(side)²")
                    worst = max(worst, abs(a - b))
                }
                XCTAssertEqual(p.indices.max { p[$0] < p[$1] }, reference.indices.max { reference[$0] < reference[$1] },
                               "\(name) at \(side)²: top-1")
            }
        }
        print("EvalTransformProbabilityTests: worst |p − p_torch| = \(worst)")
    }

    /// PNGs with transparency (alpha dropped, as PIL's convert("RGB")): torchvision's probabilities at 224².
    func testTransparentPNGsMatchTorchvision() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("images/alpha.json")))
        let expected = try JSONDecoder().decode([String: Transparent].self, from: data)
        let model = try Checkpoint(path: Fixtures.path("images/r18_w16.pth")).makeModel().model
        let norm = Normalization.imagenet
        var worst = 0.0
        for (name, e) in expected.sorted(by: { $0.key < $1.key }) {
            let reference = e.p224
            let img = try ImageFile.read8(path: Fixtures.path("images/alpha/" + name), channels: 3)
            let x = EvalTransform(inputSize: 224).apply(img)
            let plane = 224 * 224
            for c in 0..<3 { for i in 0..<plane {
                x.uncheckedMutablePointer[c * plane + i] = (x.uncheckedMutablePointer[c * plane + i] - norm.mean[c]) / norm.std[c]
            } }
            let p = CrossEntropy.softmax(model(x.reshaped([1, 3, 224, 224]))).scalars.map(Double.init)
            for (a, b) in zip(p, reference) {
                XCTAssertEqual(a, b, accuracy: 2e-3, name)
                worst = max(worst, abs(a - b))
            }
            XCTAssertEqual(p.indices.max { p[$0] < p[$1] }, reference.indices.max { reference[$0] < reference[$1] }, name)
        }
        print("testTransparentPNGsMatchTorchvision: worst |p − p_torch| = \(worst)")
    }

    struct Transparent: Decodable { let p224: [Double] }
}
