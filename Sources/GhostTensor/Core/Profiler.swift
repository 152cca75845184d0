/// Collects per-layer output shapes, parameter counts and multiply-accumulates during a
/// shape-only walk of a model (no arithmetic is done).
public struct Profiler {
    public struct Row {
        /// Dotted module path, e.g. "layer1.0.conv1".
        public let path: String
        public let kind: String
        public let outputShape: [Int]
        public let params: Int
        public let macs: Int
    }

    public private(set) var rows: [Row] = []
    /// Output shape of every nested scope ("layer1", "layer1.0", …) as its module returned it: the true
    /// output of a block even when its last recorded leaf is not (a Ghost module's cheap operation).
    public private(set) var scopeOutputs: [String: [Int]] = [:]
    private var path: [String] = []

    public init() {}

    /// Records a leaf layer at the current path.
    public mutating func record(kind: String, output: [Int], params: Int, macs: Int) {
        rows.append(Row(path: path.joined(separator: "."), kind: kind, outputShape: output, params: params, macs: macs))
    }

    /// Runs `body` with `name` appended to the current path.
    public mutating func nest<R>(_ name: String, _ body: (inout Profiler) -> R) -> R {
        path.append(name)
        defer { path.removeLast() }
        return body(&self)
    }

    /// Runs a module's `profile` with `name` appended to the current path and records the shape it returns.
    public mutating func nest(_ name: String, _ body: (inout Profiler) -> [Int]) -> [Int] {
        path.append(name)
        defer { path.removeLast() }
        let shape = body(&self)
        scopeOutputs[path.joined(separator: ".")] = shape
        return shape
    }

    public var totalParams: Int { rows.reduce(0) { $0 + $1.params } }
    public var totalMACs: Int { rows.reduce(0) { $0 + $1.macs } }

    /// Sums params/MACs by the first path component ("conv1", "layer1", "fc", …), in first-seen order; components
    /// in `expanding` are split one level further ("blocks" → "blocks.0", "blocks.1", …).
    public func byTopLevel(expanding: Set<String> = []) -> [(name: String, params: Int, macs: Int)] {
        var order: [String] = []
        var sums: [String: (Int, Int)] = [:]
        for r in rows {
            let parts = r.path.split(separator: ".")
            let top = parts.prefix(parts.first.map { expanding.contains(String($0)) } == true ? 2 : 1).joined(
                separator: ".")
            if sums[top] == nil {
                order.append(top)
                sums[top] = (0, 0)
            }
            sums[top]!.0 += r.params
            sums[top]!.1 += r.macs
        }
        return order.map { ($0, sums[$0]!.0, sums[$0]!.1) }
    }
}
