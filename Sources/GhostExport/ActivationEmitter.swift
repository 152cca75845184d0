import GhostTensor

extension ONNXGraphBuilder {
    /// One of GhostKit's activations as standard operators, with PyTorch's definitions: Relu, LeakyRelu,
    /// exact GELU as x·½·(1 + erf(x/√2)) (Gelu is opset 20), Sigmoid, HardSigmoid(α = 1/6, β = ½) = relu6(x + 3)/6,
    /// HardSwish.
    public func activation(_ x: String, _ kind: Activation.Kind, slope: Float = 0.01, name: String) -> String {
        switch kind {
        case .relu: return node("Relu", [x], name: name)
        case .leakyReLU: return node("LeakyRelu", [x], name: name, [Self.float("alpha", slope)])
        case .sigmoid: return node("Sigmoid", [x], name: name)
        case .hardSigmoid:
            return node("HardSigmoid", [x], name: name, [Self.float("alpha", 1 / 6), Self.float("beta", 0.5)])
        case .hardSwish: return node("HardSwish", [x], name: name)
        case .gelu:
            let root2 = constant(name + ".sqrt2", [Float(2).squareRoot()], shape: [])
            let one = constant(name + ".one", [1], shape: [])
            let half = constant(name + ".half", [0.5], shape: [])
            let e = node("Erf", [node("Div", [x, root2], name: name + ".scaled")], name: name + ".erf")
            let gate = node("Mul", [node("Add", [e, one], name: name + ".plus1"), half], name: name + ".gate")
            return node("Mul", [x, gate], name: name)
        }
    }
}
