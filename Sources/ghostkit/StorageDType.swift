import ArgumentParser
import GhostIO

/// `--dtype` of a checkpoint a command writes: F32, F16 or BF16 (any case).
enum StorageDType: String, ExpressibleByArgument, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    init?(argument: String) { self.init(rawValue: argument.uppercased()) }

    /// The safetensors dtype the tensors are stored as.
    var safetensors: SafetensorsDType {
        switch self {
        case .f32: return .F32
        case .f16: return .F16
        case .bf16: return .BF16
        }
    }
}
