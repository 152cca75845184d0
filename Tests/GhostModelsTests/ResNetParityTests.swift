import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// Random-weight torchvision models run by PyTorch (tools/make_fixtures.py) and by GhostKit
/// must agree to 1e-4 · max|ref| on logits and on every stage output.
final class ResNetParityTests: XCTestCase {
    func checkModel(_ name: String, threads: [Int] = [1, 2], file: StaticString = #filePath, line: UInt = #line) throws {
        let ckpt = try Checkpoint(path: Fixtures.path("\(name).weights.safetensors"))
        let (model, report) = try ckpt.makeModel()
        XCTAssertTrue(report.isExact, report.summary)
        let io = try Fixtures.tensors("\(name).io.safetensors")
        let input = io["input"]!, output = io["output"]!
        for t in threads {
            Engine.threads = t
            var captured: [String: Tensor] = [:]
            model.observer = { name, x in
                if name == "stem" { captured["stem"] = x }
                if name.hasPrefix("layer") { captured[String(name.split(separator: ".")[0])] = x }  // last block wins
            }
            let logits = model(input)
            assertClose(logits, output, "\(name) logits, \(t) threads", file: file, line: line)
            for key in ["stem", "layer1", "layer2", "layer3", "layer4"] {
                if let ref = io[key] { assertClose(captured[key]!, ref, "\(name) \(key)", file: file, line: line) }
            }
            model.observer = nil
            // Image by image with the weights packed once (batch-1 forwards are the ones that pack).
            for i in 0..<input.shape[0] {
                let y = model.withPackedWeights { model(batchImage(i, of: input)) }
                assertClose(
                    y, batchImage(i, of: output), "\(name) logits of image \(i), packed weights, \(t) threads",
                    file: file, line: line)
            }
        }
        Engine.threads = Engine.defaultThreads
    }

    func testResNet18ImageNetStemF32() throws { try checkModel("resnet18_w16") }
    func testResNet50BottleneckF16() throws { try checkModel("resnet50_w8") }
    func testResNet18CIFARStemBF16() throws { try checkModel("resnet18_cifar_w16") }
    func testCIFARResNet20OptionA() throws { try checkModel("cifar_resnet20_A") }
    func testCIFARResNet20OptionB() throws { try checkModel("cifar_resnet20_B") }

    /// The same models in training mode (batch statistics) are not what PyTorch's eval gave:
    /// guards against BN silently ignoring its mode.
    func testTrainingModeChangesBatchNorm() throws {
        let ckpt = try Checkpoint(path: Fixtures.path("cifar_resnet20_A.weights.safetensors"))
        let (model, _) = try ckpt.makeModel()
        let io = try Fixtures.tensors("cifar_resnet20_A.io.safetensors")
        model.train(true)
        let y = model(io["input"]!)
        var diff: Float = 0
        for i in 0..<y.count { diff = max(diff, abs(y.readPointer[i] - io["output"]!.readPointer[i])) }
        XCTAssertGreaterThan(diff, 1e-3)
    }

    func testStridedBottleneckWithOddInput() throws {
        let w = try Fixtures.tensors("bottleneck_s2.weights.safetensors")
        let io = try Fixtures.tensors("bottleneck_s2.io.safetensors")
        var rng = SplitMix64(seed: 0)
        let block = Bottleneck(inChannels: 32, planes: 16, stride: 2, shortcut: .projection, rng: &rng)
        try block.load(stateDict: w)
        assertClose(block(io["input"]!), io["output"]!, "bottleneck stride 2")
    }
}
