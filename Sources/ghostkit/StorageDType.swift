import ArgumentParser
import GhostIO

/// `--dtype` of a checkpoint a command writes.
enum StorageDType {
    /// F32, F16 or BF16 (any case); anything else is a validation error naming the flag.
    static func parse(_ text: String) throws -> SafetensorsDType {
        guard let dtype = SafetensorsDType(rawValue: text.uppercased()), [.F32, .F16, .BF16].contains(dtype) else {
            throw ValidationError("--dtype must be F32, F16 or BF16 (got \(text.prefix(20)))")
        }
        return dtype
    }
}
