import ArgumentParser
import GhostAnalysis
import GhostModels
import GhostReport
import GhostTrain

// The library's enums as flag values (case-insensitive); argument-parser's error for a bad value names the flag
// and lists every valid value.

extension Stem: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension Shortcut: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

extension MapNormalization: ExpressibleByArgument {}
extension FeatureMapGrid.ColorMap: ExpressibleByArgument {}
extension FeatureMapGrid.Normalization: ExpressibleByArgument {}

extension OptimizerKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// `--attention` of a GhostNet.
enum AttentionKind: String, ExpressibleByArgument, CaseIterable {
    case se, eca
    init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}
