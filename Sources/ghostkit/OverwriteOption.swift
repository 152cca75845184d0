import ArgumentParser
import Foundation
import GhostIO

/// The one rule for existing outputs, shared by every command that writes files: an existing output is refused
/// (one line naming it and --overwrite) unless --overwrite is given; then each file is replaced atomically.
struct OverwriteOption: ParsableArguments {
    @Flag(help: "Replace existing outputs (each file atomically); without it an existing output is refused.")
    var overwrite = false

    /// Throws for the first of `paths` that exists, unless --overwrite.
    func check(_ paths: [String]) throws {
        guard !overwrite else { return }
        for p in paths where FileManager.default.fileExists(atPath: p) {
            throw GhostError.file(p, "already exists (pass --overwrite to replace it)")
        }
    }
}
