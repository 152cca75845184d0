import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

/// Every single-op case in Tests/Fixtures/ops.safetensors (made by tools/make_fixtures.py with
/// PyTorch's functional API) reproduced by GhostTensor within 1e-4 · max|ref|.
final class TorchParityOpsTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let op: String
        let stride: IntOrPair?
        let padding: IntOrPair?
        let groups: Int?
        let kernel_size: IntOrPair?
        let output_size: IntOrPair?
        let eps: Double?
        let label_smoothing: Double?
        let count_include_pad: Bool?
    }

    /// PyTorch hyperparameters come as an int or a pair.
    enum IntOrPair: Decodable {
        case one(Int), two(Int, Int)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Int.self) { self = .one(v); return }
            let a = try c.decode([Int].self)
            self = .two(a[0], a.count > 1 ? a[1] : a[0])
        }
        var pair: (Int, Int) { switch self { case .one(let v): return (v, v); case .two(let a, let b): return (a, b) } }
    }

    func testEveryOpCaseMatchesPyTorch() throws {
        let file = try SafetensorsFile(path: Fixtures.path("ops.safetensors"))
        let cases = try JSONDecoder().decode([Case].self, from: Data(file.metadata["cases"]!.utf8))
        XCTAssertGreaterThanOrEqual(cases.count, 15)
        let t = Dictionary(try file.allTensors(), uniquingKeysWith: { a, _ in a })
        var seen = Set<String>()
        for c in cases {
            func get(_ k: String) -> Tensor { t["\(c.name).\(k)"]! }
            func opt(_ k: String) -> Tensor? { t["\(c.name).\(k)"] }
            seen.insert(c.op)
            switch c.op {
            case "conv2d", "depthwise":
                let conv = Conv2D(weight: get("w"), bias: opt("b"), stride: c.stride?.pair ?? (1, 1),
                                  padding: c.padding?.pair ?? (0, 0), groups: c.groups ?? 1)
                assertClose(conv(get("x")), get("y"), c.name)
            case "batchnorm_eval":
                let bn = BatchNorm2D(get("weight").count, eps: Float(c.eps ?? 1e-5))
                bn.weight.value = get("weight"); bn.bias.value = get("bias")
                bn.runningMean.value = get("running_mean"); bn.runningVar.value = get("running_var")
                assertClose(bn(get("x")), get("y"), c.name)
            case "maxpool":
                let k = c.kernel_size!.pair.0, s = c.stride?.pair.0 ?? k, p = c.padding?.pair.0 ?? 0
                assertClose(Pooling.maxPool(get("x"), kernel: k, stride: s, padding: p), get("y"), c.name)
            case "avgpool":
                let k = c.kernel_size!.pair.0, s = c.stride?.pair.0 ?? k, p = c.padding?.pair.0 ?? 0
                assertClose(Pooling.avgPool(get("x"), kernel: k, stride: s, padding: p,
                                            countIncludePad: c.count_include_pad ?? true), get("y"), c.name)
            case "adaptive_avgpool":
                let (oh, ow) = c.output_size!.pair
                let y = Pooling.adaptiveAvgPool(get("x"), outH: oh, outW: ow)
                assertClose(y, get("y"), c.name)
                if oh == 1 && ow == 1 { assertClose(Pooling.globalAvgPool(get("x")).reshaped(y.shape), get("y"), c.name + " global") }
            case "linear":
                let w = get("w")
                var rng = SplitMix64(seed: 0)
                let lin = Linear(w.shape[1], w.shape[0], rng: &rng)
                lin.weight.value = w; lin.bias!.value = get("b")
                assertClose(lin(get("x")), get("y"), c.name)
            case "cross_entropy":
                let targets = get("target").scalars.map { Int($0) }
                let (loss, grad) = CrossEntropy.lossAndGradient(logits: get("logits"), targets: targets,
                                                                 labelSmoothing: Float(c.label_smoothing ?? 0))
                XCTAssertEqual(loss, get("loss").scalars[0], accuracy: 1e-5 * max(1, abs(loss)), c.name)
                assertClose(grad, get("grad"), c.name + " grad")
            case "relu":
                assertClose(Elementwise.relu(get("x")), get("y"), c.name)
            default:
                XCTFail("unknown op \(c.op) in fixture")
            }
        }
        XCTAssertTrue(seen.isSuperset(of: ["conv2d", "depthwise", "batchnorm_eval", "maxpool", "avgpool",
                                           "adaptive_avgpool", "linear", "cross_entropy"]))
    }
}
