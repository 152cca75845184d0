import Foundation
import GhostTensor

/// Creates an output directory, turning failures into one-line errors.
public enum OutputDirectory {
    /// Creates `dir` (and its parents) and checks that it is writable.
    public static func create(_ dir: String) throws {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw GhostError.file(dir, "cannot create output directory")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else { throw GhostError.file(dir, "output directory is not writable") }
    }
}
