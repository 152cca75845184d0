import ArgumentParser
import Foundation

/// Parses "1,3,5,7" into odd kernel sizes ≥ 1, ascending.
func parseSizes(_ spec: String) throws -> [Int] {
    let parts = spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap { Int($0) }
    guard !values.isEmpty, values.count == parts.count else {
        throw ValidationError("--sizes must be comma-separated integers, got '\(spec)'")
    }
    for d in values where d < 1 || d % 2 == 0 {
        throw ValidationError(
            "kernel size \(d) is invalid: d must be odd and ≥ 1 (\"same\" padding needs a centre tap)")
    }
    return Array(Set(values)).sorted()
}
