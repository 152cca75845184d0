import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import GhostTrain
import XCTest

/// Adam and AdamW against three steps of torch.optim.Adam / AdamW (tools/make_adam_fixture.py); state round trip.
final class AdamTests: XCTestCase {
    let t = try! Fixtures.tensors("adam_steps.safetensors")

    func tinyModel() throws -> Module {
        var rng = SplitMix64(seed: 0)
        let m = Sequential([Conv2D(1, 4, kernel: 3, padding: 1, bias: true, rng: &rng), ReLU(), GlobalAvgPool(), Linear(4, 3, rng: &rng)])
        var initial: [String: Tensor] = [:]
        for (k, v) in t where k.hasPrefix("init.") { initial[String(k.dropFirst(5))] = v }
        try m.load(stateDict: initial)
        m.train(true)
        return m
    }

    func step(_ m: Module, _ opt: Optimizer, _ k: Int) {
        m.zeroGradients()
        let logits = m(t["x\(k)"]!)
        let (_, grad) = CrossEntropy.lossAndGradient(logits: logits, targets: t["y\(k)"]!.scalars.map { Int($0) })
        _ = m.backward(grad)
        opt.step()
    }

    func testThreeStepsMatchPyTorch() throws {
        for (name, wd, decoupled) in [("adam", Float(0.01), false), ("adamw", Float(0.05), true)] {
            let m = try tinyModel()
            let opt = Adam(parameters: m.trainableParameters(), learningRate: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-6,
                           weightDecay: wd, decoupled: decoupled)
            for k in 1...3 {
                step(m, opt, k)
                for (p, param) in m.trainableParameters() {
                    assertClose(param.value, t["\(name).after\(k).\(p)"]!, relTol: 1e-4, "\(name) step \(k) \(p)")
                }
            }
            for (p, _) in m.trainableParameters() {
                assertClose(opt.state["exp_avg_sq.\(p)"]!, t["\(name).exp_avg_sq.\(p)"]!, relTol: 1e-4, "\(name) exp_avg_sq \(p)")
                XCTAssertEqual(opt.state["step.\(p)"]?.scalars, [3])
            }
        }
    }

    /// Adam's L2 decay and AdamW's decoupled decay differ: same gradients, other weights.
    func testAdamAndAdamWDiffer() throws {
        let a = try tinyModel(), b = try tinyModel()
        let oa = Adam(parameters: a.trainableParameters(), learningRate: 0.01, weightDecay: 0.1)
        let ob = Adam(parameters: b.trainableParameters(), learningRate: 0.01, weightDecay: 0.1, decoupled: true)
        step(a, oa, 1); step(b, ob, 1)
        XCTAssertNotEqual(a.stateDict().first!.1.scalars, b.stateDict().first!.1.scalars)
    }

    /// Two steps, state saved and loaded into a fresh optimiser, third step: bitwise the uninterrupted run.
    func testStateRoundTripIsExact() throws {
        let a = try tinyModel(), b = try tinyModel()
        let oa = Adam(parameters: a.trainableParameters(), learningRate: 0.01, weightDecay: 0.05, decoupled: true)
        let ob = Adam(parameters: b.trainableParameters(), learningRate: 0.01, weightDecay: 0.05, decoupled: true)
        for k in 1...2 { step(a, oa, k); step(b, ob, k) }
        let resumed = Adam(parameters: b.trainableParameters(), learningRate: 0.01, weightDecay: 0.05, decoupled: true)
        try resumed.loadState(ob.state)
        step(a, oa, 3); step(b, resumed, 3)
        for ((n, x), (_, y)) in zip(a.stateDict(), b.stateDict()) { XCTAssertEqual(x.scalars, y.scalars, n) }
    }

    func testForeignStateAndUnknownNamesAreErrors() throws {
        let m = try tinyModel()
        let adam = Adam(parameters: m.trainableParameters(), learningRate: 0.01)
        XCTAssertThrowsError(try adam.loadState(["momentum.0.weight": Tensor(zeros: [4, 1, 3, 3])])) { e in
            XCTAssertEqual("\(e)", "optimizer state 'momentum.0.weight' does not belong to Adam (was the checkpoint trained with another --optimizer?)")
        }
        let sgd = SGD(parameters: m.trainableParameters(), learningRate: 0.1, momentum: 0.9)
        XCTAssertThrowsError(try sgd.loadState(["exp_avg.0.weight": Tensor(zeros: [4, 1, 3, 3])]))
        XCTAssertThrowsError(try sgd.loadState(["momentum.0.weight": Tensor(zeros: [3])]))
        XCTAssertThrowsError(try OptimizerKind(name: "rmsprop")) { e in
            XCTAssertEqual("\(e)", "unknown optimizer 'rmsprop' (valid: sgd, adam, adamw)")
        }
        XCTAssertEqual(try OptimizerKind(name: "AdamW"), .adamw)
    }
}
