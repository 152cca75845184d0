/// Base class of every layer and model.
///
/// A module owns named parameters and named child modules; their dotted paths are the
/// PyTorch state-dict keys (`layer1.0.conv1.weight`). `callAsFunction` runs the forward pass.
/// Subclasses override `forward`, `children`, `localParameters` and `profile`.
open class Module {
    /// Training mode (batch statistics in BatchNorm); set recursively with `train(_:)`.
    public private(set) var training = false

    public init() {}

    /// The forward pass.
    open func forward(_ x: Tensor) -> Tensor {
        preconditionFailure("\(type(of: self)) does not implement forward(_:)")
    }

    /// The backward pass for the most recent `forward` in training mode: accumulates parameter
    /// gradients into `Parameter.grad` and returns dL/d(input).
    open func backward(_ gradOutput: Tensor) -> Tensor {
        preconditionFailure("\(type(of: self)) does not implement backward(_:)")
    }

    /// Direct sub-modules with their state-dict names, in registration order.
    open var children: [(String, Module)] { [] }

    /// This module's own parameters and buffers (not its children's).
    open var localParameters: [(String, Parameter)] { [] }

    /// Propagates an input shape through the module, recording params and MACs of each leaf.
    open func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        var shape = input
        for (name, child) in children { shape = profiler.nest(name) { child.profile(shape, &$0) } }
        return shape
    }

    public final func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// Switches this module and all descendants to training (true) or evaluation (false) mode.
    public final func train(_ on: Bool = true) {
        training = on
        for (_, c) in children { c.train(on) }
    }

    /// Every parameter and buffer below this module with its dotted name, in state-dict order.
    public final func namedParameters(prefix: String = "") -> [(String, Parameter)] {
        var out = localParameters.map { (prefix + $0.0, $0.1) }
        for (name, child) in children { out += child.namedParameters(prefix: prefix + name + ".") }
        return out
    }

    /// Every module below this one (depth first) with its dotted name; the root is "".
    public final func namedModules(prefix: String = "") -> [(String, Module)] {
        var out: [(String, Module)] = [(prefix, self)]
        for (name, child) in children {
            out += child.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
        return out
    }

    /// Trainable parameters (buffers excluded) with their names.
    public final func trainableParameters() -> [(String, Parameter)] { namedParameters().filter { !$0.1.isBuffer } }

    /// Clears every accumulated gradient.
    public final func zeroGradients() { for (_, p) in namedParameters() { p.grad = nil } }

    /// Number of trainable scalars (buffers excluded, as torchvision counts).
    public final var parameterCount: Int {
        namedParameters().filter { !$0.1.isBuffer }.reduce(0) { $0 + $1.1.value.count }
    }
}

/// Modules applied one after another; children are named "0", "1", … as in `nn.Sequential`.
public final class Sequential: Module {
    public private(set) var layers: [Module]

    public init(_ layers: [Module]) { self.layers = layers }

    public override var children: [(String, Module)] { layers.enumerated().map { (String($0.offset), $0.element) } }

    public override func forward(_ x: Tensor) -> Tensor { layers.reduce(x) { $1($0) } }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        layers.reversed().reduce(gradOutput) { $1.backward($0) }
    }
}
