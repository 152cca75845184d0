/// What happened when a state dict was loaded into a model.
public struct LoadReport: Equatable {
    public var loaded: [String] = []
    /// Model parameters with no tensor in the file.
    public var missing: [String] = []
    /// Tensors in the file that the model does not have.
    public var unexpected: [String] = []
    /// (name, model shape, file shape).
    public var shapeMismatches: [(String, [Int], [Int])] = []

    public var isExact: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty }

    public static func == (a: LoadReport, b: LoadReport) -> Bool {
        a.loaded == b.loaded && a.missing == b.missing && a.unexpected == b.unexpected
            && a.shapeMismatches.map(\.0) == b.shapeMismatches.map(\.0)
    }

    /// One line listing every problem by name (empty when exact).
    public var summary: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: " + Self.list(missing)) }
        if !unexpected.isEmpty { parts.append("unexpected keys: " + Self.list(unexpected)) }
        if !shapeMismatches.isEmpty {
            parts.append(
                "shape mismatches: " + Self.list(shapeMismatches.map { "\($0.0) (model \($0.1), file \($0.2))" }))
        }
        return parts.joined(separator: "; ")
    }

    private static func list(_ names: [String], limit: Int = 8) -> String {
        names.count <= limit
            ? names.joined(separator: ", ")
            : names.prefix(limit).joined(separator: ", ") + ", … (\(names.count) in all)"
    }
}

extension Module {
    /// All parameters and buffers by dotted name (copies share storage with the model).
    public func stateDict() -> [(String, Tensor)] { namedParameters().map { ($0.0, $0.1.value) } }

    /// Copies tensors into the model's parameters by name. With `strict`, any missing,
    /// unexpected or wrongly shaped key throws (naming them); otherwise matching keys are loaded
    /// and the rest reported. A scalar `num_batches_tracked` may be stored as [] or [1].
    @discardableResult
    public func load(
        stateDict: [String: Tensor], strict: Bool = true, source: String = "state dict"
    ) throws -> LoadReport {
        var report = LoadReport()
        let params = namedParameters()
        let known = Set(params.map(\.0))
        var staged: [(Parameter, Tensor)] = []
        for (name, p) in params {
            guard let t = stateDict[name] else {
                report.missing.append(name)
                continue
            }
            if t.shape != p.shape && !(t.count == p.value.count && t.count == 1) {
                report.shapeMismatches.append((name, p.shape, t.shape))
                continue
            }
            staged.append((p, t))
            report.loaded.append(name)
        }
        report.unexpected = stateDict.keys.filter { !known.contains($0) }.sorted()
        if strict && !report.isExact { throw GhostError.file(source, report.summary) }
        for (p, t) in staged { p.value = t.reshaped(p.shape) }
        return report
    }
}
