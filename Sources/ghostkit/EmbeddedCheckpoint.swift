import Foundation
import GhostTensor

/// The trained checkpoints shipped in checkpoints/, used when a command is given none.
enum EmbeddedCheckpoint {
    static let candidates = ["checkpoints/resnet50-fmnist.safetensors", "checkpoints/resnet18-fmnist.safetensors"]

    /// The first embedded checkpoint present.
    static func path() throws -> String {
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw GhostError.file(candidates[0], "no such file (no embedded checkpoint; pass --checkpoint)")
        }
        return path
    }
}
