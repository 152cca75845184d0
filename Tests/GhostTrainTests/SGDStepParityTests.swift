import Foundation
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import GhostTrain
import XCTest

/// Two SGD steps (momentum, Nesterov, weight decay) of a small ResNet in training mode, against
/// PyTorch (tools/make_train_fixture.py): loss, every gradient, every weight and BN running stat.
final class SGDStepParityTests: XCTestCase {
    func testTwoStepsMatchPyTorch() throws { try checkTwoSteps("cost-model dispatch") }

    /// The same two steps with every stride-1 3×3 conv of ≥ 16 channels forced onto each Winograd variant: the
    /// training forward, the input gradient (WinogradBackwardData) and the weight gradient (WinogradBackwardWeight)
    /// stay within the parity tolerance.
    func testTwoStepsMatchPyTorchOnWinograd() throws {
        defer { WinogradKernel.dispatch = .costModel }
        for variant in WinogradKernel.Variant.allCases {
            WinogradKernel.dispatch = .fixed(variant)
            try checkTwoSteps("\(variant)")
        }
    }

    private func checkTwoSteps(_ path: String) throws {
        let file = try SafetensorsFile(path: Fixtures.path("train_step.safetensors"))
        let t = Dictionary(try file.allTensors(), uniquingKeysWith: { a, _ in a })
        let arch = try Architecture(json: file.metadata["ghostkit.arch"]!)
        let model = arch.build()
        var initial: [String: Tensor] = [:]
        for (k, v) in t where k.hasPrefix("init.") { initial[String(k.dropFirst(5))] = v }
        try model.load(stateDict: initial)
        model.train(true)
        let sgd = SGD(parameters: model.trainableParameters(), learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true)
        for step in 1...2 {
            model.zeroGradients()
            let logits = model(t["x\(step)"]!)
            let (loss, grad) = CrossEntropy.lossAndGradient(logits: logits, targets: t["y\(step)"]!.scalars.map { Int($0) })
            XCTAssertEqual(loss, t["loss\(step)"]!.scalars[0], accuracy: 1e-4, "loss \(step), \(path)")
            _ = model.backward(grad)
            if step == 1 {
                for (name, p) in model.trainableParameters() {
                    assertClose(p.grad!, t["grad1.\(name)"]!, relTol: 1e-4, "grad \(name), \(path)")
                }
            }
            sgd.step()
        }
        for (name, p) in model.namedParameters() {
            assertClose(p.value, t["after2.\(name)"]!, relTol: 1e-4, "after two steps: \(name), \(path)")
        }
    }

    func testLearningRateSchedules() {
        let cos = LRSchedule.cosine(baseLR: 0.1, totalSteps: 110, warmupSteps: 10, minLR: 0)
        XCTAssertEqual(cos.learningRate(at: 0), 0.01, accuracy: 1e-7)
        XCTAssertEqual(cos.learningRate(at: 9), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cos.learningRate(at: 60), 0.05, accuracy: 1e-6)
        XCTAssertEqual(cos.learningRate(at: 110), 0, accuracy: 1e-7)
        let step = LRSchedule.step(baseLR: 1, milestones: [5, 8], gamma: 0.1, warmupSteps: 0)
        XCTAssertEqual(step.learningRate(at: 4), 1)
        XCTAssertEqual(step.learningRate(at: 5), 0.1, accuracy: 1e-7)
        XCTAssertEqual(step.learningRate(at: 9), 0.01, accuracy: 1e-8)
    }

    func testGradientClipping() {
        let p = Parameter(Tensor(zeros: [2]))
        p.grad = Tensor(shape: [2], values: [3, 4])
        let sgd = SGD(parameters: [("p", p)], learningRate: 1)
        XCTAssertEqual(sgd.clipGradientNorm(1), 5, accuracy: 1e-5)
        XCTAssertEqual(p.grad!.scalars[0], 0.6, accuracy: 1e-4)
        XCTAssertEqual(p.grad!.scalars[1], 0.8, accuracy: 1e-4)
    }
}
