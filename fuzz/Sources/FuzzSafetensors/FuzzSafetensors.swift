import Foundation
import FuzzSupport
import GhostIO
import GhostCheckpoint
import GhostModels

/// Any bytes as a safetensors file, read in memory: every tensor decoded, the architecture metadata parsed.
@main enum FuzzSafetensors: FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer) {
        guard let file = try? SafetensorsFile(path: "fuzz.safetensors", data: Data(bytes)) else { return }
        for name in file.names { _ = try? file.tensor(name) }
        if let json = file.metadata[Checkpoint.Key.architecture] { _ = try? Architecture(json: json) }
    }
}
