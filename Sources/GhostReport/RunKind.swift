/// What wrote a run folder under outputs/, which fixes its place in the report: the scan and its
/// Table 2 analogue first, then conversion and fine-tuning, then everything else.
public enum RunKind: Int, CaseIterable, Comparable, Sendable {
    case scan, fitKernels, convert, finetune, compare, ablation, other

    /// Section heading of this kind.
    public var heading: String {
        switch self {
        case .scan: "Redundancy scan"
        case .fitKernels: "Table 2 analogue: d×d depthwise fits"
        case .convert: "ResNet → Ghost-ResNet conversion"
        case .finetune: "Fine-tuning"
        case .compare: "Model comparison"
        case .ablation: "Ablation"
        case .other: "Other runs"
        }
    }

    /// The kind of a run folder, from its name (as the commands name them) or, failing that, its files.
    public static func of(folder name: String, files: [String]) -> RunKind {
        let prefixes: [(String, RunKind)] = [
            ("scan-", .scan), ("fit-kernels-", .fitKernels), ("convert-", .convert),
            ("finetune-", .finetune), ("compare", .compare), ("ablation", .ablation),
        ]
        if let k = prefixes.first(where: { name.hasPrefix($0.0) }) { return k.1 }
        if files.contains("pairs.json") { return .scan }
        if files.contains("mse-vs-d.png") { return .fitKernels }
        if files.contains(where: { $0.hasPrefix("grid-") }) { return .convert }
        return .other
    }

    public static func < (a: RunKind, b: RunKind) -> Bool { a.rawValue < b.rawValue }
}
