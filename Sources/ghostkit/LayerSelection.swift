import ArgumentParser
import Foundation
import GhostTensor

/// Resolves `--layers` (comma-separated names or shell globs) against a model's layer names.
enum LayerSelection {
    static func resolve(_ spec: String?, available: [String], defaultLayers: [String]? = nil) throws -> [String] {
        guard let spec, !spec.isEmpty else { return defaultLayers ?? available.filter { $0 != "stem" } }
        var out: [String] = []
        for pattern in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !pattern.isEmpty {
            // Dots separate levels: "layer1.*" is layer1's blocks, "layer1.0.*" the layers inside block layer1.0.
            let slashed = pattern.replacingOccurrences(of: ".", with: "/")
            let matches = available.filter { fnmatch(slashed, $0.replacingOccurrences(of: ".", with: "/"), FNM_PATHNAME) == 0 }
            guard !matches.isEmpty else {
                throw ValidationError("unknown layer '\(pattern)'; valid layers: \(available.joined(separator: ", "))")
            }
            for m in matches where !out.contains(m) { out.append(m) }
        }
        return available.filter(out.contains)
    }
}

/// Creates an output directory, turning failures into one-line errors.
enum OutputDirectory {
    static func create(_ dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw GhostError.file(dir, "cannot create output directory")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else { throw GhostError.file(dir, "output directory is not writable") }
    }
}
