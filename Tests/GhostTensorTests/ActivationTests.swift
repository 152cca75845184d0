import GhostTensor
import GhostTestSupport
import XCTest

/// Activations by name: values against PyTorch (torch 1.13, printed by hand) and finite-difference gradients.
final class ActivationTests: XCTestCase {
    let x = Tensor(shape: [1, 1, 2, 4], values: [-4, -2.5, -1, -0.3, 0.2, 1, 2, 3.5])

    func testValuesMatchPyTorch() throws {
        let expected: [(String, Float, [Float])] = [
            ("gelu", 0.01, [-0.0001267195, -0.01552418, -0.1586553, -0.1146266, 0.115852, 0.8413447, 1.9545, 3.499186]),
            ("sigmoid", 0.01, [0.01798621, 0.07585818, 0.2689414, 0.4255575, 0.549834, 0.7310586, 0.880797, 0.9706877]),
            ("hard-sigmoid", 0.01, [0, 0.08333334, 0.3333333, 0.45, 0.5333334, 0.6666667, 0.8333333, 1]),
            ("h-swish", 0.01, [0, -0.2083333, -0.3333333, -0.135, 0.1066667, 0.6666667, 1.666667, 3.5]),
            ("leaky-relu", 0.2, [-0.8, -0.5, -0.2, -0.06, 0.2, 1, 2, 3.5]),
            ("ReLU", 0.01, [0, 0, 0, 0, 0.2, 1, 2, 3.5]),
        ]
        for (name, slope, want) in expected {
            let y = try Activation(name: name, slope: slope)(x).scalars
            for (a, b) in zip(y, want) { XCTAssertEqual(a, b, accuracy: 2e-6, name) }
        }
    }

    func testUnknownNameListsTheValidOnes() {
        XCTAssertThrowsError(try Activation(name: "swish")) { e in
            XCTAssertEqual("\(e)", "unknown activation 'swish' (valid: relu, leaky-relu, gelu, sigmoid, hard-sigmoid, h-swish)")
        }
    }

    func testHardSwishDerivative() {
        let d = Activation.gradient(.hardSwish, input: x, gradOutput: Tensor(repeating: 1, shape: x.shape)).scalars
        let want: [Float] = [0, -2.5 / 3 + 0.5, -1 / 3 + 0.5, -0.1 + 0.5, 0.2 / 3 + 0.5, 1 / 3 + 0.5, 2 / 3 + 0.5, 1]
        for (a, b) in zip(d, want) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }
}

extension GradientCheckTests {
    func testActivationGradients() {
        for kind in Activation.Kind.allCases {
            check(Activation(kind, slope: 0.1), input: [2, 3, 4, 4], eps: 1e-3, tol: 1e-2)
        }
    }
}
