import Foundation
import GhostTensor

#if canImport(Glibc)
import Glibc
#endif

/// Resolves `--layers` (comma-separated names or shell globs) against a model's layer names.
public enum LayerSelection {
    /// The layers `spec` names, in model order; nil or empty: `defaultLayers`, else every layer but the stem.
    public static func resolve(_ spec: String?, available: [String], defaultLayers: [String]? = nil) throws -> [String]
    {
        guard let spec, !spec.isEmpty else { return defaultLayers ?? available.filter { $0 != "stem" } }
        var out: [String] = []
        for pattern in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !pattern.isEmpty {
            // Dots separate levels: "layer1.*" is layer1's blocks, "layer1.0.*" the layers inside block layer1.0.
            let slashed = pattern.replacingOccurrences(of: ".", with: "/")
            let matches = available.filter {
                fnmatch(slashed, $0.replacingOccurrences(of: ".", with: "/"), FNM_PATHNAME) == 0
            }
            guard !matches.isEmpty else {
                throw GhostError("unknown layer '\(pattern)'; valid layers: \(available.joined(separator: ", "))")
            }
            for m in matches where !out.contains(m) { out.append(m) }
        }
        return available.filter(out.contains)
    }
}
