import Foundation
import GhostIO

/// The trained checkpoints shipped in checkpoints/, used when a command is given none.
enum EmbeddedCheckpoint {
    static let names = ["resnet50-fmnist.safetensors", "resnet18-fmnist.safetensors"]

    /// The first embedded checkpoint found in $GHOSTKIT_CHECKPOINTS (a folder), then ./checkpoints, then the
    /// `checkpoints/` folder of the repository the executable was built in (the nearest ancestor of the
    /// executable's real path that has one), so any working directory works.
    static func path() throws -> String {
        var folders: [String] = []
        if let env = ProcessInfo.processInfo.environment["GHOSTKIT_CHECKPOINTS"], !env.isEmpty { folders.append(env) }
        folders.append("checkpoints")
        if let exe = Bundle.main.executablePath {
            var dir = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<6 {
                folders.append(dir.appendingPathComponent("checkpoints").path)
                dir = dir.deletingLastPathComponent()
            }
        }
        for folder in folders {
            for n in names where FileManager.default.fileExists(atPath: folder + "/" + n) { return folder + "/" + n }
        }
        throw GhostError.file("checkpoints/" + names[0], "no such file (no embedded checkpoint in "
            + "$GHOSTKIT_CHECKPOINTS, ./checkpoints or beside the executable; pass --checkpoint)")
    }
}
